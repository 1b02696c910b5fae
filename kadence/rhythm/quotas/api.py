"""Activity quotas and the effort leaderboard over the API (issue 13 §1 and §8).

- GET /api/rhythm/quotas/attainment — attainment per rep, team and region for a period, with the trend;
- GET /api/rhythm/quotas/config — the quota rows you may read; POST / PATCH / DELETE — an admin's;
- GET /api/rhythm/effort — the leaderboard of effort.

Figures (quota, gap, %) are decimal strings; `pct` is a percentage (75.0 = 75 %)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.errors import NotFound
from kadence.core.schemas import Clean, Day, ErrorOut, Id, IdPath, In, Money, PatchIn, Version
from kadence.rhythm.quotas import services
from kadence.rhythm.quotas.effort import effort_board
from kadence.rhythm.quotas.models import ActivityQuota, Metric, Per
from kadence.rhythm.quotas.selectors import (
    AttainmentReport,
    GroupRow,
    MetricCell,
    attainment_report,
    metric_definitions,
    quota_list,
)

router = Router(tags=["rhythm: activity quotas"])

PeriodIn = Literal["day", "week", "month", "quarter"]
if TYPE_CHECKING:  # mypy reads no Literal built at run time: to it, a choice is a str
    MetricIn = str
    PerIn = str
else:  # the model's choices, an enum in the OpenAPI schema
    MetricIn = Literal[tuple(Metric.values)]
    PerIn = Literal[tuple(Per.values)]
RoleIn = Literal["rep", "inside", "manager", "director", "admin"]


class QuotaPeriodQuery(Clean):
    period: PeriodIn = Field("week", description="day, week (Monday–Sunday), month or quarter.")
    day: Day | None = Field(None, description="Any day of the period; default today.")
    unit_id: Id | None = Field(None, description="A unit in your reach (its subtree); default your scope.")
    owner_id: Id | None = Field(None, description="One seller in your reach.")


class RhythmEffortQuery(QuotaPeriodQuery):
    sort: str = Field("", max_length=40, description="A column key to rank by; default the attainment.")


class QuotaAttainmentQuery(QuotaPeriodQuery):
    weeks: int | None = Field(None, ge=1, le=26, description="Weeks in the trend; default the setting (8).")


class QuotaMetricOut(Schema):
    key: str
    label: str
    definition: str


class QuotaCellOut(Schema):
    """A metric's actual, its quota over the period (null: no quota), the gap still to do, and % of quota."""

    metric: str
    actual: int
    quota: Money | None
    gap: Money | None
    pct: Money | None


class QuotaRepOut(Schema):
    id: int
    name: str
    role: str
    team_id: int | None
    team: str
    cells: list[QuotaCellOut]


class QuotaGroupOut(Schema):
    """A team's, a region's or the scope's figures: its reps with a quota of each metric, summed."""

    unit_id: int | None
    name: str
    reps: int
    cells: list[QuotaCellOut]


class QuotaTrendOut(Schema):
    week: date
    actual: dict[str, int]
    quota: dict[str, Money | None]
    pct: dict[str, Money | None]


class QuotaAttainmentOut(Schema):
    period: str
    label: str
    start: date
    end: date
    working_days: int
    scope: str
    metrics: list[QuotaMetricOut]
    reps: list[QuotaRepOut]
    teams: list[QuotaGroupOut]
    regions: list[QuotaGroupOut]
    total: QuotaGroupOut
    trend: list[QuotaTrendOut]


class QuotaOut(Schema):
    """A quota row: for a `role` (user null) or a `user` (overrides the role's row of the metric)."""

    id: int
    metric: str
    role: str
    user_id: int | None
    user: str | None
    per: str
    amount: int
    version: int


class QuotaListOut(Schema):
    metrics: list[QuotaMetricOut]
    items: list[QuotaOut]


class QuotaIn(In):
    metric: MetricIn
    per: PerIn
    amount: int = Field(ge=0, le=services.MAX_AMOUNT, strict=True)  # false is not 0
    role: RoleIn | None = Field(None, description="Every seller of this role; or user_id, not both.")
    user_id: Id | None = Field(None, description="One person; or role, not both.")


class QuotaPatch(PatchIn):
    version: Version
    per: PerIn | None = None
    amount: int | None = Field(None, ge=0, le=services.MAX_AMOUNT, strict=True)


class QuotaDeleteQuery(Clean):
    version: Version


class EffortColumnOut(Schema):
    key: str
    label: str
    definition: str
    kind: str


class EffortRowOut(Schema):
    name: str
    user_id: int | None
    unit_id: int | None
    reps: int
    values: dict[str, int | Money | None]


class EffortOut(Schema):
    period: str
    label: str
    start: date
    end: date
    scope: str
    sort: str
    columns: list[EffortColumnOut]
    reps: list[EffortRowOut]
    teams: list[EffortRowOut]


# --- conversions ---------------------------------------------------------------------------------


def _cells(cells: list[MetricCell]) -> list[dict[str, Any]]:
    return [
        {"metric": c.metric, "actual": c.actual, "quota": c.quota, "gap": c.gap, "pct": c.pct} for c in cells
    ]


def _group(group: GroupRow) -> dict[str, Any]:
    return {
        "unit_id": group.unit.pk if group.unit else None,
        "name": group.label,
        "reps": group.reps,
        "cells": _cells(group.cells),
    }


def _metrics() -> list[dict[str, str]]:
    return [{"key": k, "label": label, "definition": text} for k, label, text in metric_definitions()]


def attainment_out(report: AttainmentReport) -> dict[str, Any]:
    return {
        "period": report.period.kind,
        "label": report.period.label,
        "start": report.period.start,
        "end": report.period.end,
        "working_days": report.period.working_days,
        "scope": str(report.scope.label),
        "metrics": _metrics(),
        "reps": [
            {
                "id": r.user.pk,
                "name": r.user.label,
                "role": r.user.role,
                "team_id": r.team.pk if r.team else None,
                "team": r.team.name if r.team else "",
                "cells": _cells(r.cells),
            }
            for r in report.reps
        ],
        "teams": [_group(g) for g in report.teams],
        "regions": [_group(g) for g in report.regions],
        "total": _group(report.total),
        "trend": [{"week": p.week, "actual": p.actual, "quota": p.quota, "pct": p.pct} for p in report.trend],
    }


def quota_out(quota: ActivityQuota) -> dict[str, Any]:
    return {
        "id": quota.pk,
        "metric": quota.metric,
        "role": quota.role,
        "user_id": quota.user_id,
        "user": quota.user.label if quota.user else None,
        "per": quota.per,
        "amount": quota.amount,
        "version": quota.version,
    }


def _quota(request: ApiRequest, quota_id: int) -> ActivityQuota:
    found = next((q for q in quota_list(request.auth) if q.pk == quota_id), None)
    if found is None:
        raise NotFound(_("Unknown quota."))
    return found


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/rhythm/quotas/attainment", response={200: QuotaAttainmentOut, codes_4xx: ErrorOut})
def attainment(request: ApiRequest, query: Query[QuotaAttainmentQuery]) -> dict[str, Any]:
    """Activity-quota attainment for the period holding `day`: a seller their own; a manager their teams'
    reps and team totals; a director also their regions; an admin the company (or the unit / seller
    chosen; one outside your reach is 404)."""
    report = attainment_report(
        request.auth,
        period=query.period,
        day=query.day or timezone.localdate(),
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        trend_weeks=query.weeks,
    )
    return attainment_out(report)


@router.get("/rhythm/quotas/config", response={200: QuotaListOut, codes_4xx: ErrorOut})
def list_quotas(request: ApiRequest) -> dict[str, Any]:
    """The quota rows you may read (an admin all; a lead the role rows and their people's; a seller their
    role's and their own) and the metrics' definitions."""
    return {"metrics": _metrics(), "items": [quota_out(q) for q in quota_list(request.auth)]}


@router.post("/rhythm/quotas/config", response={201: QuotaOut, codes_4xx: ErrorOut})
def create_quota(request: ApiRequest, payload: QuotaIn) -> Status[dict[str, Any]]:
    """An admin sets a quota for a role or a person (403 otherwise; 409 `duplicate` when one exists)."""
    quota = services.quota_create(request.auth, **payload.dict())
    return Status(201, quota_out(_quota(request, quota.pk)))


@router.patch("/rhythm/quotas/config/{quota_id}", response={200: QuotaOut, codes_4xx: ErrorOut})
def update_quota(request: ApiRequest, quota_id: IdPath, payload: QuotaPatch) -> dict[str, Any]:
    """An admin changes a quota's amount or unit; `version` as read (409 when stale)."""
    services.quota_update(request.auth, quota_id, version=payload.version, **payload.changes("version"))
    return quota_out(_quota(request, quota_id))


@router.delete("/rhythm/quotas/config/{quota_id}", response={204: None, codes_4xx: ErrorOut})
def delete_quota(request: ApiRequest, quota_id: IdPath, query: Query[QuotaDeleteQuery]) -> Status[None]:
    """An admin removes a quota row (`?version=` as read)."""
    services.quota_delete(request.auth, quota_id, version=query.version)
    return Status(204, None)


@router.get("/rhythm/effort", response={200: EffortOut, codes_4xx: ErrorOut})
def effort(request: ApiRequest, query: Query[RhythmEffortQuery]) -> dict[str, Any]:
    """The leaderboard of effort for the period: per rep and team, every registered column with its
    definition, best first by `sort` (a column key; default the attainment)."""
    board = effort_board(
        request.auth,
        period=query.period,
        day=query.day or timezone.localdate(),
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        sort=query.sort,
    )

    return board_out(board)


def board_out(board: Any) -> dict[str, Any]:
    """A leaderboard as the API answers it (the effort leaderboard's and the performance leaderboard's)."""

    def row(r: Any) -> dict[str, Any]:
        return {
            "name": r.label,
            "user_id": r.user.pk if r.user else None,
            "unit_id": r.unit.pk if r.unit else None,
            "reps": r.reps,
            "values": r.values,
        }

    return {
        "period": board.period.kind,
        "label": board.period.label,
        "start": board.period.start,
        "end": board.period.end,
        "scope": str(board.scope.label),
        "sort": board.sort,
        "columns": [
            {"key": c.key, "label": str(c.label), "definition": str(c.definition), "kind": c.kind}
            for c in board.columns
        ],
        "reps": [row(r) for r in board.reps],
        "teams": [row(t) for t in board.teams],
    }
