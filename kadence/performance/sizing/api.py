"""Sales-force sizing over the API (issue 14 §6).

- GET /api/performance/sizing — the reps needed by your scope (or a unit of it) and its units one level
  down, with every input;
- PUT /api/performance/sizing/inputs/{unit_id} — set a unit's own inputs (`version` null to create them,
  the version read to change them; 409 when stale); DELETE (?version=) — back to its ancestors' inputs;
- PUT /api/performance/sizing/inputs/default — the company default (an admin's).

Amounts, hours and reps are decimal strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Clean, Day, ErrorOut, Id, IdPath, Money, Version
from kadence.performance.sizing import services
from kadence.performance.sizing.models import SizingAssumption
from kadence.performance.sizing.selectors import SizingRow, sizing_report

router = Router(tags=["performance: sales-force sizing"])


class SizingQuery(Clean):
    period_kind: Literal["month", "quarter", "year"] = Field("quarter", description="The period's kind.")
    day: Day | None = Field(None, description="Any day of the period; default today.")
    unit_id: Id | None = Field(None, description="A unit in your reach (its subtree); default your scope.")


class SizingResetQuery(Clean):
    version: Version


class SizingInputsIn(Clean):
    hours_per_activity: Decimal = Field(ge=Decimal("0.01"), le=100)
    selling_hours_per_month: Decimal = Field(ge=0, le=744)
    activities_per_won_deal: Decimal | None = Field(None, ge=0, le=10000, description="null: from history.")
    version: int | None = Field(None, ge=1, description="The version read; null to create a unit's own row.")


class SizingInputsOut(Schema):
    id: int
    unit_id: int | None
    unit: str | None
    hours_per_activity: Money
    selling_hours_per_month: Money
    activities_per_won_deal: Money | None
    version: int


class SizingRowOut(Schema):
    kind: str
    unit_id: int | None
    label: str
    target: Money | None
    booked: Money
    expected: Money
    gap: Money | None
    average_won_deal: Money | None
    won_deals_in_history: int
    activities_per_won_deal: Money | None
    activities_from_history: bool
    hours_per_activity: Money
    hours_per_rep: Money
    deals_needed: int | None
    activities_needed: Money | None
    hours_needed: Money | None
    reps_needed: Money | None
    headcount: int
    shortfall: int | None
    inputs: SizingInputsOut
    own_inputs: bool


class SizingOut(Schema):
    period: str
    label: str
    as_of: date
    days_left: int
    months_left: Money
    history_start: date
    scope: str
    expected_source: str
    total: SizingRowOut
    units: list[SizingRowOut]


def inputs_out(row: SizingAssumption) -> dict[str, Any]:
    return {
        "id": row.pk,
        "unit_id": row.unit_id,
        "unit": row.unit.name if row.unit else None,
        "hours_per_activity": row.hours_per_activity,
        "selling_hours_per_month": row.selling_hours_per_month,
        "activities_per_won_deal": row.activities_per_won_deal,
        "version": row.version,
    }


def row_out(row: SizingRow) -> dict[str, Any]:
    s, i = row.sizing, row.sizing.inputs
    return {
        "kind": row.kind,
        "unit_id": row.unit.pk if row.unit else None,
        "label": row.label,
        "target": i.target,
        "booked": i.booked,
        "expected": i.expected,
        "gap": s.gap,
        "average_won_deal": i.average_won_deal,
        "won_deals_in_history": row.history_deals,
        "activities_per_won_deal": i.activities_per_won_deal,
        "activities_from_history": row.activities_from_history,
        "hours_per_activity": i.hours_per_activity,
        "hours_per_rep": i.hours_per_rep,
        "deals_needed": s.deals_needed,
        "activities_needed": s.activities_needed,
        "hours_needed": s.hours_needed,
        "reps_needed": s.reps_needed,
        "headcount": i.headcount,
        "shortfall": s.shortfall,
        "inputs": inputs_out(row.assumption),
        "own_inputs": row.own,
    }


@router.get("/performance/sizing", response={200: SizingOut, codes_4xx: ErrorOut})
def sizing(request: ApiRequest, query: Query[SizingQuery]) -> dict[str, Any]:
    """The reps needed to reach the target over the rest of the period, per unit, against the headcount."""
    report = sizing_report(request.auth, period_kind=query.period_kind, day=query.day, unit_id=query.unit_id)
    p = report.position
    return {
        "period": p.period.kind,
        "label": p.period.label,
        "as_of": p.as_of,
        "days_left": p.days_left,
        "months_left": report.months_left,
        "history_start": report.history_start,
        "scope": str(p.scope.label),
        "expected_source": p.source,
        "total": row_out(report.total),
        "units": [row_out(r) for r in report.units],
    }


def _set(request: ApiRequest, unit_id: int | None, body: SizingInputsIn) -> dict[str, Any]:
    row = services.sizing_set(
        request.auth,
        unit_id,
        version=body.version,
        hours_per_activity=body.hours_per_activity,
        selling_hours_per_month=body.selling_hours_per_month,
        activities_per_won_deal=body.activities_per_won_deal,
    )
    row.refresh_from_db()
    return inputs_out(row)


@router.put("/performance/sizing/inputs/default", response={200: SizingInputsOut, codes_4xx: ErrorOut})
def set_default(request: ApiRequest, body: SizingInputsIn) -> dict[str, Any]:
    """Change the company default inputs (an admin; `version` required)."""
    return _set(request, None, body)


@router.put("/performance/sizing/inputs/{unit_id}", response={200: SizingInputsOut, codes_4xx: ErrorOut})
def set_unit(request: ApiRequest, unit_id: IdPath, body: SizingInputsIn) -> dict[str, Any]:
    """Set a unit's own inputs (whoever may set its target)."""
    return _set(request, unit_id, body)


@router.delete("/performance/sizing/inputs/{unit_id}", response={204: None, codes_4xx: ErrorOut})
def reset_unit(request: ApiRequest, unit_id: IdPath, query: Query[SizingResetQuery]) -> Status[None]:
    """Remove a unit's own inputs (`?version=` as read): it follows its ancestors' (or the default) again."""
    services.sizing_reset(request.auth, unit_id, version=query.version)
    return Status(204, None)
