"""Targets over the API (METHODOLOGY §10.1): list, create, edit (PATCH with `version`, 409 when
stale) and delete the target of a unit or a seller for a month, quarter or year
(kadence.planning.services.targets). The reports built on them — the ideal funnel and the capacity
check — are insights' (kadence.insights.api.ideal). Money is a decimal string."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.schemas import (
    MAX_ID,
    Clean,
    Day,
    ErrorOut,
    Id,
    In,
    Money,
    MoneyIn,
    PageOut,
    PageQuery,
    PatchIn,
    RefOut,
    Version,
    page_out,
)
from kadence.core.visibility import access_target, can_edit_target
from kadence.planning.models import Target
from kadence.planning.selectors.targets import period_of, target_list
from kadence.planning.services import targets as services

# The same tag as the ideal-funnel endpoints: one section of the API documentation, as before.
router = Router(tags=["targets and ideal funnel"])

TargetId = Path[int, {"ge": 1, "le": MAX_ID}]
PeriodKindIn = Literal["month", "quarter", "year"]


# --- schemas -------------------------------------------------------------------------------------


class TargetOut(Schema):
    """A target: exactly one of `unit` and `user` is set. `period_start` is the period's first day,
    `period_end` its last; `can_edit` says whether you may change it."""

    id: int
    unit: RefOut | None
    user: RefOut | None
    period_kind: str
    period_start: date
    period_end: date
    period_label: str
    amount: Money
    currency: str
    note: str
    version: int
    created_at: datetime
    updated_at: datetime
    can_edit: bool


class TargetQuery(PageQuery):
    period_kind: PeriodKindIn | None = None
    period_start: Day | None = Field(
        None, description="Any day of the period (with period_kind, default quarter)."
    )
    unit_id: Id | None = None
    user_id: Id | None = None


class TargetIn(In):
    unit_id: Id | None = Field(None, description="A unit (company, region, team); or user_id, not both.")
    user_id: Id | None = Field(None, description="A seller; or unit_id, not both.")
    period_kind: PeriodKindIn
    period_start: Day = Field(description="Any day of the period; stored as the period's first day.")
    amount: MoneyIn
    currency: str = Field("CNY", max_length=3)
    note: str = Field("", max_length=500)


class TargetPatch(PatchIn):
    version: Version
    period_kind: PeriodKindIn | None = None
    period_start: Day | None = None
    amount: MoneyIn | None = None
    currency: str | None = Field(None, max_length=3)
    note: str | None = Field(None, max_length=500)


class DeleteQuery(Clean):
    version: Version


# --- conversions ---------------------------------------------------------------------------------


def target_out(target: Target, user: Any) -> dict[str, Any]:
    period = period_of(target.period_kind, target.period_start, default_day=target.period_start)
    return {
        "id": target.pk,
        "unit": {"id": target.unit.pk, "name": target.unit.name} if target.unit else None,
        "user": {"id": target.user.pk, "name": target.user.label} if target.user else None,
        "period_kind": target.period_kind,
        "period_start": target.period_start,
        "period_end": period.end,
        "period_label": period.label,
        "amount": target.amount,
        "currency": target.currency,
        "note": target.note,
        "version": target.version,
        "created_at": target.created_at,
        "updated_at": target.updated_at,
        "can_edit": can_edit_target(user, target),
    }


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/targets", response={200: PageOut[TargetOut], codes_4xx: ErrorOut})
def list_targets(request: HttpRequest, query: Query[TargetQuery]) -> dict[str, Any]:
    """Targets you may see (a seller their own; a manager or director those of their units and of the
    sellers in them; an admin all), newest period first; filter by period, unit or seller."""
    page = target_list(request.auth, **query.dict())
    return {**page_out(page), "items": [target_out(t, request.auth) for t in page.items]}


@router.get("/targets/{target_id}", response={200: TargetOut, codes_4xx: ErrorOut})
def get_target(request: HttpRequest, target_id: TargetId) -> dict[str, Any]:
    """One target you may see."""
    return target_out(access_target(request.auth, target_id), request.auth)


@router.post("/targets", response={201: TargetOut, codes_4xx: ErrorOut})
def create_target(request: HttpRequest, payload: TargetIn) -> Status[dict[str, Any]]:
    """Set the target of a unit or a seller for a period: a manager for their teams and the sellers in
    them, a director for their regions and below, an admin anywhere (403 otherwise). The period
    start is normalised to the period's first day; a second target for the same scope and period
    is a 409 `duplicate` with `existing_id`."""
    target = services.target_create(request.auth, **payload.dict())
    return Status(201, target_out(access_target(request.auth, target.pk), request.auth))


@router.patch("/targets/{target_id}", response={200: TargetOut, codes_4xx: ErrorOut})
def update_target(request: HttpRequest, target_id: TargetId, payload: TargetPatch) -> dict[str, Any]:
    """Change the amount, currency, note or period; `version` must be the one you read (409 otherwise)."""
    services.target_update(request.auth, target_id, version=payload.version, **payload.changes("version"))
    return target_out(access_target(request.auth, target_id), request.auth)


@router.delete("/targets/{target_id}", response={204: None, codes_4xx: ErrorOut})
def delete_target(request: HttpRequest, target_id: TargetId, query: Query[DeleteQuery]) -> Status[None]:
    """Delete a target (who may set it): `?version=` is the one you read (409 if someone changed it since)."""
    services.target_delete(request.auth, target_id, version=query.version)
    return Status(204, None)
