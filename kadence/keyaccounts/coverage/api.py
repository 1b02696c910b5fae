"""Coverage of the account pool over the API (issue 15 §9).

- GET /api/key-accounts/coverage — per team and region: accounts, unowned, neglected, covered, coverage rate
  (%), and each seller's load against their limit;
- GET /api/key-accounts/coverage/accounts — the accounts of a list (kind=all|unowned|neglected|covered),
  paginated, with their last activity;
- POST /api/key-accounts/coverage/assign — bulk assignment (ids, or a whole list); 422 `over_limit` unless
  `confirm_over_limit`;
- GET /api/key-accounts/coverage/activation — inside sales' new-customer activation for a period;
- GET/PUT /api/key-accounts/coverage/policy — the limits and the neglect window (PUT: an admin; `version`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.pagination import paginate
from kadence.core.schemas import Clean, Day, ErrorOut, Id, In, PageOut, PageQuery, Reason, Version, page_out
from kadence.domain.kam.coverage import CoverageCounts
from kadence.keyaccounts.coverage import selectors, services
from kadence.keyaccounts.coverage.models import CoveragePolicy

router = Router(tags=["key accounts: coverage"])
PREFIX = "/key-accounts/coverage"
KindIn = Literal["all", "unowned", "neglected", "covered"]


class KamCoverageScopeQuery(Clean):
    unit_id: Id | None = Field(None, description="A unit in your reach; default your scope.")
    owner_id: Id | None = Field(None, description="A seller in your reach.")
    day: Day | None = Field(None, description="As of this day; default today.")


class KamCoverageAccountsQuery(KamCoverageScopeQuery, PageQuery):
    kind: KindIn = "all"


class KamCoverageCountsOut(Schema):
    total: int
    unowned: int
    neglected: int
    covered: int
    rate: Decimal | None = Field(description="covered ÷ total, in %")


class KamCoverageTerritoryOut(KamCoverageCountsOut):
    unit_id: int | None
    unit: str
    region_id: int | None


class KamCoverageLoadOut(Schema):
    seller_id: int
    seller: str
    unit_id: int | None
    kind: str
    accounts: int
    limit: int
    over: bool


class KamCoveragePolicyOut(Schema):
    outside_limit: int
    inside_limit: int
    neglect_days: int
    version: int


class KamCoverageOut(Schema):
    as_of: date
    scope: str
    policy: KamCoveragePolicyOut
    teams: list[KamCoverageTerritoryOut]
    regions: list[KamCoverageTerritoryOut]
    total: KamCoverageCountsOut
    loads: list[KamCoverageLoadOut]


class KamCoverageAccountOut(Schema):
    id: int
    name: str
    owner_id: int
    owner: str
    owner_active: bool
    team_id: int
    region_id: int
    buying_power: Decimal
    last_activity: date | None


class KamCoverageAssignIn(In):
    owner_id: Id
    account_ids: list[Id] | None = Field(None, max_length=services.MAX_BULK, description="The accounts; or:")
    kind: Literal["unowned", "neglected", "covered"] | None = Field(
        None, description="…every account of this list"
    )
    unit_id: Id | None = Field(None, description="…in this unit (with `kind`).")
    day: Day | None = None
    confirm_over_limit: bool = False
    reason: Reason = ""


class KamCoverageAssignOut(Schema):
    owner_id: int
    assigned: int
    unchanged: int
    load: int
    limit: int
    over: bool


class KamActivationQuery(Clean):
    period: Literal["month", "quarter", "year"] = "month"
    day: Day | None = None
    unit_id: Id | None = None
    owner_id: Id | None = None


class KamActivationRowOut(Schema):
    seller_id: int | None
    seller: str
    accounts: int
    converted: int
    rate: Decimal | None
    median_days: Decimal | None


class KamActivationAccountOut(Schema):
    account_id: int
    name: str
    seller_id: int
    first_activity: date
    first_opportunity: date | None
    days: int | None


class KamActivationOut(Schema):
    period: str
    start: date
    end: date
    scope: str
    rows: list[KamActivationRowOut]
    total: KamActivationRowOut
    accounts: list[KamActivationAccountOut]


class KamCoveragePolicyIn(In):
    version: Version
    outside_limit: int | None = Field(None, ge=1, le=services.MAX_LIMIT)
    inside_limit: int | None = Field(None, ge=1, le=services.MAX_LIMIT)
    neglect_days: int | None = Field(None, ge=1, le=3650)
    reason: Reason = ""


def _counts(c: CoverageCounts) -> dict[str, Any]:
    return selectors.as_dict(c)


def _policy(p: CoveragePolicy) -> dict[str, Any]:
    return {
        "outside_limit": p.outside_limit,
        "inside_limit": p.inside_limit,
        "neglect_days": p.neglect_days,
        "version": p.version,
    }


def _territory(row: selectors.TerritoryRow) -> dict[str, Any]:
    return {
        **_counts(row.counts),
        "unit_id": row.unit.pk if row.unit else None,
        "unit": row.unit.name if row.unit else "",
        "region_id": row.region.pk if row.region else None,
    }


@router.get(PREFIX, response={200: KamCoverageOut, codes_4xx: ErrorOut})
def coverage(request: ApiRequest, query: Query[KamCoverageScopeQuery]) -> dict[str, Any]:
    report = selectors.coverage_report(
        request.auth, unit_id=query.unit_id, owner_id=query.owner_id, as_of=query.day
    )
    return {
        "as_of": report.as_of,
        "scope": report.scope.label,
        "policy": _policy(report.policy),
        "teams": [_territory(r) for r in report.teams],
        "regions": [_territory(r) for r in report.regions],
        "total": _counts(report.total),
        "loads": [
            {
                "seller_id": r.seller.pk,
                "seller": r.seller.label,
                "unit_id": r.seller.org_unit_id,
                "kind": r.kind,
                "accounts": r.load.accounts,
                "limit": r.load.limit,
                "over": r.load.over,
            }
            for r in report.loads
        ],
    }


@router.get(f"{PREFIX}/accounts", response={200: PageOut[KamCoverageAccountOut], codes_4xx: ErrorOut})
def accounts(request: ApiRequest, query: Query[KamCoverageAccountsQuery]) -> dict[str, Any]:
    rows = selectors.account_rows(
        request.auth, kind=query.kind, unit_id=query.unit_id, owner_id=query.owner_id, as_of=query.day
    )
    page = paginate(rows, query.page, query.page_size)
    out = page_out(page)
    out["items"] = [
        {
            "id": a.pk,
            "name": a.name,
            "owner_id": a.owner_id,
            "owner": a.owner.label,
            "owner_active": a.owner.is_active,
            "team_id": a.team_id,
            "region_id": a.region_id,
            "buying_power": a.buying_power,
            "last_activity": a.last_activity,
        }
        for a in page.items
    ]
    return out


@router.post(f"{PREFIX}/assign", response={200: KamCoverageAssignOut, codes_4xx: ErrorOut})
def assign(request: ApiRequest, payload: KamCoverageAssignIn) -> dict[str, Any]:
    """Give accounts to a seller of your units (managers, directors, admins): `account_ids`, or every
    account of the list `kind` (in `unit_id`). Atomic; each owner change audited by the account service.
    Over the seller's limit: 422 `over_limit` unless `confirm_over_limit`."""
    result = services.bulk_assign(
        request.auth,
        owner_id=payload.owner_id,
        account_ids=payload.account_ids,
        kind=payload.kind if payload.account_ids is None else None,
        unit_id=payload.unit_id,
        as_of=payload.day,
        confirm_over_limit=payload.confirm_over_limit,
        reason=payload.reason,
    )
    return {
        "owner_id": result.seller.pk,
        "assigned": result.assigned,
        "unchanged": result.unchanged,
        "load": result.load.accounts,
        "limit": result.load.limit,
        "over": result.load.over,
    }


@router.get(f"{PREFIX}/activation", response={200: KamActivationOut, codes_4xx: ErrorOut})
def activation(request: ApiRequest, query: Query[KamActivationQuery]) -> dict[str, Any]:
    report = selectors.activation_report(
        request.auth, period=query.period, day=query.day, unit_id=query.unit_id, owner_id=query.owner_id
    )

    def row(seller_id: int | None, label: str, f: Any) -> dict[str, Any]:
        return {
            "seller_id": seller_id,
            "seller": label,
            "accounts": f.accounts,
            "converted": f.converted,
            "rate": f.rate,
            "median_days": f.median_days,
        }

    return {
        "period": report.period.kind,
        "start": report.period.start,
        "end": report.period.end,
        "scope": report.scope.label,
        "rows": [row(r.seller.pk, r.seller.label, r.figures) for r in report.rows],
        "total": row(None, "", report.total),
        "accounts": [
            {
                "account_id": a.account_id,
                "name": a.name,
                "seller_id": a.seller_id,
                "first_activity": a.first_activity,
                "first_opportunity": a.first_opportunity,
                "days": a.days,
            }
            for a in selectors.activation_cohort(report)
        ],
    }


@router.get(f"{PREFIX}/policy", response={200: KamCoveragePolicyOut, codes_4xx: ErrorOut})
def policy(request: ApiRequest) -> dict[str, Any]:
    return _policy(CoveragePolicy.current())


@router.put(f"{PREFIX}/policy", response={200: KamCoveragePolicyOut, codes_4xx: ErrorOut})
def set_policy(request: ApiRequest, payload: KamCoveragePolicyIn) -> dict[str, Any]:
    """An admin sets the limits and the neglect window (`version` as read; 409 when stale)."""
    return _policy(services.policy_update(request.auth, **payload.dict()))
