"""Screening platforms over the API (issue 15 §10).

- GET /api/key-accounts/platforms — the month's funnel, counts per team and the from → to movement against
  the month before;
- GET /api/key-accounts/platforms/accounts — the accounts on a platform (`platform`, `from`), paginated;
- POST /api/key-accounts/platforms/runs — compute a month (managers, directors, admins), now or in the
  background;
- GET/PUT /api/key-accounts/platforms/criteria — the wall criteria and windows (PUT: an admin; `version`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.pagination import paginate
from kadence.core.schemas import (
    Clean,
    Day,
    ErrorOut,
    Id,
    In,
    MoneyIn,
    PageOut,
    PageQuery,
    Reason,
    Version,
    page_out,
)
from kadence.domain.kam.platforms import PLATFORMS
from kadence.keyaccounts.platforms import selectors, services, tasks
from kadence.keyaccounts.platforms.models import PlatformCriteria

router = Router(tags=["key accounts: screening platforms"])
PREFIX = "/key-accounts/platforms"
PlatformIn = Literal["potential", "market", "sales", "buying"]


class KamPlatformQuery(Clean):
    day: Day | None = Field(None, description="Any day of the month; default today.")
    unit_id: Id | None = None
    owner_id: Id | None = None


class KamPlatformAccountsQuery(KamPlatformQuery, PageQuery):
    platform: PlatformIn | None = None
    from_: Literal["new", "potential", "market", "sales", "buying"] | None = Field(None, alias="from")


class KamPlatformTeamOut(Schema):
    unit_id: int | None
    unit: str
    counts: dict[str, int]
    movement: dict[str, int] = Field(description="accounts that moved up, down, stayed, or are new")


class KamPlatformMoveOut(Schema):
    from_platform: str
    to_platform: str
    accounts: int


class KamPlatformReportOut(Schema):
    period: str
    start: date
    end: date
    previous: str
    scope: str
    computed: bool
    funnel: dict[str, int]
    teams: list[KamPlatformTeamOut]
    moves: list[KamPlatformMoveOut]


class KamPlatformAccountOut(Schema):
    account_id: int
    name: str
    platform: str
    previous: str
    owner_id: int
    team_id: int


class KamPlatformRunIn(In):
    day: Day | None = None
    background: bool = False


class KamPlatformRunOut(Schema):
    period: str
    start: date
    accounts: int | None
    queued: bool


class KamPlatformCriteriaOut(Schema):
    industries: list[str]
    min_size: str
    min_buying_power: Decimal
    regions: list[int]
    active_days: int
    revenue_days: int
    version: int


class KamPlatformCriteriaIn(In):
    version: Version
    industries: list[str] | None = Field(None, max_length=100)
    min_size: Literal["", "small", "medium", "large", "huge"] | None = None
    min_buying_power: MoneyIn | None = None
    regions: list[Id] | None = Field(None, max_length=100)
    active_days: int | None = Field(None, ge=1, le=3650)
    revenue_days: int | None = Field(None, ge=1, le=3650)
    reason: Reason = ""


def _criteria(c: PlatformCriteria) -> dict[str, Any]:
    return {
        "industries": list(c.industries or []),
        "min_size": c.min_size,
        "min_buying_power": c.min_buying_power,
        "regions": list(c.regions or []),
        "active_days": c.active_days,
        "revenue_days": c.revenue_days,
        "version": c.version,
    }


@router.get(PREFIX, response={200: KamPlatformReportOut, codes_4xx: ErrorOut})
def report(request: ApiRequest, query: Query[KamPlatformQuery]) -> dict[str, Any]:
    r = selectors.platform_report(request.auth, day=query.day, unit_id=query.unit_id, owner_id=query.owner_id)
    return {
        "period": r.period.label,
        "start": r.period.start,
        "end": r.period.end,
        "previous": r.previous.label,
        "scope": r.scope.label,
        "computed": r.computed,
        "funnel": r.funnel,
        "teams": [
            {"unit_id": u.pk if u else None, "unit": u.name if u else "", "counts": counts, "movement": moved}
            for u, counts, moved in r.teams
        ],
        "moves": [
            {"from_platform": f, "to_platform": t, "accounts": n}
            for (f, t), n in sorted(r.moves.items(), key=lambda kv: (kv[0][0], PLATFORMS.index(kv[0][1])))
        ],
    }


@router.get(f"{PREFIX}/accounts", response={200: PageOut[KamPlatformAccountOut], codes_4xx: ErrorOut})
def accounts(request: ApiRequest, query: Query[KamPlatformAccountsQuery]) -> dict[str, Any]:
    rows = selectors.platform_accounts(
        request.auth,
        day=query.day,
        platform=query.platform,
        from_platform=query.from_,
        unit_id=query.unit_id,
        owner_id=query.owner_id,
    )
    page = paginate(rows, query.page, query.page_size)
    out = page_out(page)
    out["items"] = [
        {
            "account_id": s.account_id,
            "name": s.account.name,
            "platform": s.platform,
            "previous": s.previous,
            "owner_id": s.owner_id,
            "team_id": s.team_id,
        }
        for s in page.items
    ]
    return out


@router.post(f"{PREFIX}/runs", response={200: KamPlatformRunOut, 202: KamPlatformRunOut, codes_4xx: ErrorOut})
def run(request: ApiRequest, payload: KamPlatformRunIn) -> Status[dict[str, Any]]:
    """Compute the month holding `day` (default today) for every account: managers, directors, admins."""
    day = payload.day or timezone.localdate()
    period = selectors.month_of(day)
    if payload.background:
        tasks.platforms_compute_later(request.auth, day=day)
        return Status(202, {"period": period.label, "start": period.start, "accounts": None, "queued": True})
    done = services.platforms_compute(request.auth, day=day)
    return Status(
        200, {"period": period.label, "start": period.start, "accounts": done.accounts, "queued": False}
    )


@router.get(f"{PREFIX}/criteria", response={200: KamPlatformCriteriaOut, codes_4xx: ErrorOut})
def criteria(request: ApiRequest) -> dict[str, Any]:
    return _criteria(PlatformCriteria.current())


@router.put(f"{PREFIX}/criteria", response={200: KamPlatformCriteriaOut, codes_4xx: ErrorOut})
def set_criteria(request: ApiRequest, payload: KamPlatformCriteriaIn) -> dict[str, Any]:
    """An admin sets the wall criteria (industry codes, minimum size and BP, regions) and the windows;
    `version` as read (409 when stale). Compute the month again to apply them."""
    return _criteria(services.criteria_update(request.auth, **payload.dict()))
