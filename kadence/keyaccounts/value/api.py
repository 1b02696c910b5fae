"""BP, SOW / SOA, the RAD matrix and ABC classes over the API (issue 15 items 2–4).

- GET  /api/keyaccounts/value/accounts/{id}?year= — the account's BP (and where it comes from), revenue,
  SOW, remaining opportunity, RAD cell, and its group's SOA / SOW / remaining;
- GET  /api/keyaccounts/value/accounts/{id}/buying-power — the BP per year and the history of changes;
- PUT  /api/keyaccounts/value/accounts/{id}/buying-power/{year} — enter or change a year's BP
  (`version` as read when it exists; 409 when stale);
- POST /api/keyaccounts/value/buying-power/bulk — many rows at once (an import; all or nothing);
- GET  /api/keyaccounts/value/rad — the 3 × 3 matrix of a scope and year; …/rad/accounts?cell=R1 — the
  accounts of a cell; …/rad/transitions — the moves since last year; …/rad/focus — the focus rule per AE;
- GET  /api/keyaccounts/value/abc?basis=revenue|profit|volume — classes and the Pareto curve;
  …/abc/accounts — the accounts with their class;
- GET  /api/keyaccounts/value/coverage?by=team|region — accounts with an owner and recent activity ÷ all;
- GET/PATCH /api/keyaccounts/value/policy, PUT /api/keyaccounts/value/margins/{industry_id} — an admin's
  configuration; POST /api/keyaccounts/value/compute — recompute a year (an admin).

SOW, SOA, shares and coverage are fractions (0.25 = 25 %); money is a decimal string."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx
from pydantic import StrictInt

from kadence.accounts.models import Account
from kadence.core.api import ApiRequest
from kadence.core.pagination import MAX_PAGE_NUMBER, MAX_PAGE_SIZE
from kadence.core.schemas import Clean, ErrorOut, Id, IdPath, In, Money, MoneyIn, page_out
from kadence.core.visibility import kam_value_scope
from kadence.keyaccounts.value import selectors, services
from kadence.keyaccounts.value.models import BuyingPower, BuyingPowerHistory

router = Router(tags=["key accounts: value"])
PREFIX = "/keyaccounts/value"

Year = Field(None, ge=2000, le=2100, description="The year (default this year).")
BasisIn = Literal["revenue", "profit", "volume"]
CellIn = Literal["R1", "R2", "R3", "D1", "D2", "D3", "A1", "A2", "A3"]
SourceIn = Literal["entered", "imported", "estimated"]


class KamScopeQuery(Clean):
    year: int | None = Year
    unit_id: Id | None = Field(None, description="A unit in your reach; default your scope.")
    owner_id: Id | None = Field(None, description="A seller in your reach.")


class KamYearQuery(Clean):
    year: int | None = Year


class KamCellQuery(KamScopeQuery):
    cell: CellIn | None = None  # none: the accounts of every cell
    page: int = Field(1, ge=1, le=MAX_PAGE_NUMBER)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


class KamAbcQuery(KamScopeQuery):
    basis: BasisIn = "revenue"


class KamAbcAccountsQuery(KamAbcQuery):
    klass: Literal["A", "B", "C"] | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE_NUMBER)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


class KamCoverageQuery(Clean):
    unit_id: Id | None = None
    owner_id: Id | None = None
    by: Literal["team", "region"] = "team"
    days: int | None = Field(None, ge=1, le=3650)


class KamGroupOut(Schema):
    units: int
    covered: int
    soa: Decimal | None
    revenue: Money
    bp: Money | None
    sow: Decimal | None
    remaining: Money | None


class KamAccountValueOut(Schema):
    account_id: int
    year: int
    bp: Money | None
    bp_source: str
    bp_version: int | None
    revenue: Money
    sow: Decimal | None
    remaining: Money | None
    cell: str | None
    stored_cell: str | None
    group: KamGroupOut | None


class KamBuyingPowerOut(Schema):
    id: int
    year: int
    amount: Money
    source: str
    note: str
    version: int
    updated_at: datetime


class KamBuyingPowerHistoryOut(Schema):
    year: int
    old_amount: Money | None
    new_amount: Money | None
    source: str
    note: str
    changed_by_id: int | None
    at: datetime


class KamBuyingPowersOut(Schema):
    items: list[KamBuyingPowerOut]
    history: list[KamBuyingPowerHistoryOut]
    fallback: Money


class KamBuyingPowerIn(In):
    amount: MoneyIn
    source: SourceIn = "entered"
    note: str = Field("", max_length=500)
    version: StrictInt | None = Field(
        None, ge=1, description="The version read; required when the year has a BP."
    )


class KamBulkRowIn(In):
    account_id: Id
    year: StrictInt = Field(ge=2000, le=2100)
    amount: MoneyIn
    note: str = Field("", max_length=500)


class KamBulkIn(In):
    rows: list[KamBulkRowIn] = Field(min_length=1, max_length=services.BULK_LIMIT)
    source: SourceIn = "imported"


class KamBulkOut(Schema):
    created: int
    updated: int
    unchanged: int


class KamCellOut(Schema):
    cell: str
    accounts: int
    bp: Money
    revenue: Money
    remaining: Money


class KamRadOut(Schema):
    year: int
    total: int
    computed_at: datetime | None
    cells: list[KamCellOut]


class KamRadAccountOut(Schema):
    account_id: int
    name: str
    owner_id: int
    cell: str
    bp: Money
    revenue: Money
    sow: Decimal
    remaining: Money


class KamRadAccountsOut(Schema):
    items: list[KamRadAccountOut]
    count: int
    count_exact: bool = True
    page: int | None
    page_size: int
    pages: int
    next_cursor: str | None = None


class KamMoveOut(Schema):
    before: str
    after: str
    accounts: int


class KamMovesOut(Schema):
    year: int
    items: list[KamMoveOut]


class KamFocusOut(Schema):
    owner_id: int
    owner: str
    r_count: int
    d_count: int
    flags: list[str]


class KamFocusListOut(Schema):
    year: int
    low: int
    high: int
    items: list[KamFocusOut]


class KamAbcClassOut(Schema):
    klass: str
    accounts: int
    value: Decimal
    share: Decimal | None


class KamAbcOut(Schema):
    year: int
    basis: str
    accounts: int
    total: Decimal
    classes: list[KamAbcClassOut]
    pareto: list[tuple[int, float]]


class KamAbcAccountOut(Schema):
    account_id: int
    name: str
    owner: str
    value: Decimal
    rank: int
    cum_share: Decimal
    klass: str


class KamAbcAccountsOut(KamRadAccountsOut):
    items: list[KamAbcAccountOut]  # type: ignore[assignment]


class KamTerritoryOut(Schema):
    unit_id: int | None
    name: str
    accounts: int
    covered: int
    rate: Decimal | None


class KamTerritoryCoverageOut(Schema):
    by: str
    days: int
    items: list[KamTerritoryOut]


class KamPolicyOut(Schema):
    sow_high_pct: Decimal
    sow_low_pct: Decimal
    bp_high: Money
    bp_low: Money
    abc_a_pct: Decimal
    abc_b_pct: Decimal
    default_margin_pct: Decimal
    focus_low: int
    focus_high: int
    version: int


Pct = Field(None, ge=0, le=100, max_digits=6, decimal_places=2)


class KamPolicyIn(In):
    version: StrictInt = Field(ge=1)
    sow_high_pct: Decimal | None = Pct
    sow_low_pct: Decimal | None = Pct
    bp_high: MoneyIn | None = None
    bp_low: MoneyIn | None = None
    abc_a_pct: Decimal | None = Pct
    abc_b_pct: Decimal | None = Pct
    default_margin_pct: Decimal | None = Pct
    focus_low: StrictInt | None = Field(None, ge=0, le=10000)
    focus_high: StrictInt | None = Field(None, ge=0, le=10000)


class KamMarginIn(In):
    margin_pct: Decimal | None = Field(..., ge=0, le=100, max_digits=6, decimal_places=2)


class KamMarginOut(Schema):
    industry_id: int
    margin_pct: Decimal | None


class KamComputeIn(In):
    year: StrictInt = Field(ge=2000, le=2100)


class KamComputeOut(Schema):
    year: int
    rad_cells: int
    abc_rows: int


def _year(value: int | None) -> int:
    return selectors.check_year(value if value is not None else selectors.this_year())


def _scope(request: ApiRequest, query: Any) -> Any:
    return kam_value_scope(request.auth, unit_id=query.unit_id, owner_id=query.owner_id)


@router.get(f"{PREFIX}/accounts/{{account_id}}", response={200: KamAccountValueOut, codes_4xx: ErrorOut})
def account_value(request: ApiRequest, account_id: IdPath, query: Query[KamYearQuery]) -> dict[str, Any]:
    """The account's value figures for the year (404 for an account you cannot see)."""
    v = selectors.account_value(request.auth, account_id, _year(query.year))
    g = v.group
    return {
        "account_id": v.account.pk,
        "year": v.year,
        "bp": v.bp,
        "bp_source": v.bp_source,
        "bp_version": v.bp_entry.version if v.bp_entry else None,
        "revenue": v.revenue,
        "sow": v.sow,
        "remaining": v.remaining,
        "cell": v.cell,
        "stored_cell": v.stored_cell,
        "group": g.__dict__ if g else None,
    }


@router.get(
    f"{PREFIX}/accounts/{{account_id}}/buying-power", response={200: KamBuyingPowersOut, codes_4xx: ErrorOut}
)
def buying_power_list(request: ApiRequest, account_id: IdPath) -> dict[str, Any]:
    """The account's BP per year (newest first), the history of changes and the fallback (Account.buying_power)."""
    rows = selectors.buying_powers(request.auth, account_id)  # checks the account may be seen
    history = BuyingPowerHistory.objects.filter(account_id=account_id).order_by("-at", "-id")[:200]
    fallback = Account.objects.filter(pk=account_id).values_list("buying_power", flat=True).first()
    return {"items": rows, "history": list(history), "fallback": fallback or Decimal(0)}


@router.put(
    f"{PREFIX}/accounts/{{account_id}}/buying-power/{{year}}",
    response={200: KamBuyingPowerOut, codes_4xx: ErrorOut},
)
def buying_power_put(
    request: ApiRequest, account_id: IdPath, year: int, payload: KamBuyingPowerIn
) -> BuyingPower:
    """Enter or change the account's BP for `year` (`version` as read when the year has one; 409 when stale)."""
    return services.buying_power_set(
        request.auth,
        account_id,
        year=year,
        amount=payload.amount,
        source=payload.source,
        note=payload.note,
        version=payload.version,
    )


@router.post(f"{PREFIX}/buying-power/bulk", response={200: KamBulkOut, codes_4xx: ErrorOut})
def buying_power_bulk(request: ApiRequest, payload: KamBulkIn) -> dict[str, Any]:
    """Set many BPs at once (up to 5,000 rows; all or nothing; 422 lists the rows refused)."""
    result = services.buying_power_bulk(request.auth, [r.dict() for r in payload.rows], source=payload.source)
    return result.__dict__


@router.get(f"{PREFIX}/rad", response={200: KamRadOut, codes_4xx: ErrorOut})
def rad(request: ApiRequest, query: Query[KamScopeQuery]) -> dict[str, Any]:
    """The RAD matrix of the scope for the year: accounts, BP, revenue and remaining per cell."""
    m = selectors.matrix(_scope(request, query), _year(query.year))
    return {
        "year": m.year,
        "total": m.total,
        "computed_at": m.computed_at,
        "cells": [c.__dict__ for c in m.cells.values()],
    }


@router.get(f"{PREFIX}/rad/accounts", response={200: KamRadAccountsOut, codes_4xx: ErrorOut})
def rad_accounts(request: ApiRequest, query: Query[KamCellQuery]) -> dict[str, Any]:
    """The scope's accounts in a cell (every cell without `cell`), largest BP first."""
    page = selectors.cell_accounts(
        _scope(request, query), _year(query.year), query.cell, query.page, query.page_size
    )
    out = page_out(page)
    out["items"] = [
        {
            "account_id": r.account_id,
            "name": r.account.name,
            "owner_id": r.owner_id,
            "cell": r.cell,
            "bp": r.bp,
            "revenue": r.revenue,
            "sow": r.sow,
            "remaining": r.remaining,
        }
        for r in page.items
    ]
    return out


@router.get(f"{PREFIX}/rad/transitions", response={200: KamMovesOut, codes_4xx: ErrorOut})
def rad_transitions(request: ApiRequest, query: Query[KamScopeQuery]) -> dict[str, Any]:
    """How the scope's accounts moved between cells since last year ("" = not placed last year)."""
    year = _year(query.year)
    return {"year": year, "items": [m.__dict__ for m in selectors.transitions(_scope(request, query), year)]}


@router.get(f"{PREFIX}/rad/focus", response={200: KamFocusListOut, codes_4xx: ErrorOut})
def rad_focus(request: ApiRequest, query: Query[KamScopeQuery]) -> dict[str, Any]:
    """The focus rule per AE: R and D accounts counted, flagged outside [focus_low, focus_high]."""
    year = _year(query.year)
    p = selectors.policy()
    rows = selectors.focus(_scope(request, query), year, p)
    return {
        "year": year,
        "low": p.focus_low,
        "high": p.focus_high,
        "items": [
            {
                "owner_id": r.owner.pk,
                "owner": r.owner.label,
                "r_count": r.r_count,
                "d_count": r.d_count,
                "flags": list(r.flags),
            }
            for r in rows
        ],
    }


@router.get(f"{PREFIX}/abc", response={200: KamAbcOut, codes_4xx: ErrorOut})
def abc(request: ApiRequest, query: Query[KamAbcQuery]) -> dict[str, Any]:
    """ABC classes of the scope (classified within the scope) by revenue, profit or volume, and the Pareto curve."""
    a = selectors.abc(_scope(request, query), _year(query.year), query.basis)
    return {
        "year": a.year,
        "basis": a.basis,
        "accounts": a.accounts,
        "total": a.total,
        "classes": [c.__dict__ for c in a.classes],
        "pareto": a.pareto,
    }


@router.get(f"{PREFIX}/abc/accounts", response={200: KamAbcAccountsOut, codes_4xx: ErrorOut})
def abc_accounts(request: ApiRequest, query: Query[KamAbcAccountsQuery]) -> dict[str, Any]:
    """The scope's accounts by rank with their class (one class with `klass`)."""
    page = selectors.abc_accounts(
        _scope(request, query), _year(query.year), query.basis, query.klass, query.page, query.page_size
    )
    out = page_out(page)
    out["items"] = [r.__dict__ for r in page.items]
    return out


@router.get(f"{PREFIX}/coverage", response={200: KamTerritoryCoverageOut, codes_4xx: ErrorOut})
def coverage(request: ApiRequest, query: Query[KamCoverageQuery]) -> dict[str, Any]:
    """Per territory: accounts with an active owner and recent activity ÷ all accounts (SOA of a territory)."""
    scope = kam_value_scope(request.auth, unit_id=query.unit_id, owner_id=query.owner_id)
    days = query.days or selectors.coverage_days()
    rows = selectors.coverage(scope, by=query.by, days=days)
    return {"by": query.by, "days": days, "items": [t.__dict__ for t in rows]}


@router.get(f"{PREFIX}/policy", response={200: KamPolicyOut, codes_4xx: ErrorOut})
def policy(request: ApiRequest) -> Any:
    """The thresholds and settings (everyone reads them)."""
    return selectors.policy()


@router.patch(f"{PREFIX}/policy", response={200: KamPolicyOut, codes_4xx: ErrorOut})
def policy_patch(request: ApiRequest, payload: KamPolicyIn) -> Any:
    """An admin changes the thresholds (`version` as read; 409 when stale)."""
    values = payload.dict(exclude_none=True)
    version = values.pop("version")
    return services.policy_update(request.auth, version=version, **values)


@router.put(f"{PREFIX}/margins/{{industry_id}}", response={200: KamMarginOut, codes_4xx: ErrorOut})
def margin_put(request: ApiRequest, industry_id: IdPath, payload: KamMarginIn) -> dict[str, Any]:
    """An admin sets an industry's gross margin % (null: back to the default)."""
    row = services.margin_set(request.auth, industry_id=industry_id, margin_pct=payload.margin_pct)
    return {"industry_id": industry_id, "margin_pct": row.margin_pct if row else None}


@router.post(f"{PREFIX}/compute", response={200: KamComputeOut, codes_4xx: ErrorOut})
def compute(request: ApiRequest, payload: KamComputeIn) -> dict[str, Any]:
    """An admin recomputes every account's RAD cell and ABC classes for a year."""
    return services.value_compute(request.auth, year=payload.year).__dict__
