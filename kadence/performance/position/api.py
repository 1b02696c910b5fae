"""V值 and the quota position over the API (issue 14 §3).

- GET /api/performance/position — the scope's total, its units one level down and a page of its sellers
  sorted by V (kadence.performance.position.selectors.position_report).

Amounts and V are decimal strings; `attainment` is a fraction (0.40 = 40 %); `status` is `below_one`
(flagged: the quota cannot be made even by winning every open deal of the period), `on_track`, `met` or
`no_quota`."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Day, ErrorOut, Id, Money, PageQuery
from kadence.performance.position.selectors import PositionRow, position_report

router = Router(tags=["performance: quota position"])


class PositionQuery(PageQuery):
    period_kind: Literal["month", "quarter", "year"] = Field("quarter", description="The period's kind.")
    day: Day | None = Field(None, description="Any day of the period; default today.")
    unit_id: Id | None = Field(None, description="A unit in your reach (its subtree); default your scope.")
    owner_id: Id | None = Field(None, description="One seller in your reach.")
    sort: Literal["v", "-v", "name", "attainment", "remaining"] = Field(
        "v", description="Order of the sellers."
    )


class PositionRowOut(Schema):
    kind: str
    id: int | None
    label: str
    team: str
    quota: Money | None
    booked: Money
    attainment: Money | None
    remaining_quota: Money | None
    remaining_opportunity: Money
    open_count: int
    v: Money | None
    expected: Money
    v_expected: Money | None
    days_left: int
    required_per_day: Money | None
    required_per_week: Money | None
    status: str


class PositionOut(Schema):
    period: str
    label: str
    start: date
    end: date
    as_of: date
    days_left: int
    scope: str
    source: str = Field(description="`time_aware` or `weighted`: what `expected` is.")
    source_text: str
    total: PositionRowOut
    units: list[PositionRowOut]
    reps: list[PositionRowOut]
    count: int
    page: int
    pages: int
    flagged: int


def row_out(row: PositionRow) -> dict[str, Any]:
    p, rate = row.position, row.run_rate
    return {
        "kind": row.kind,
        "id": row.id,
        "label": row.label,
        "team": row.team,
        "quota": p.quota,
        "booked": p.booked,
        "attainment": p.attainment,
        "remaining_quota": p.remaining_quota,
        "remaining_opportunity": p.remaining_opportunity,
        "open_count": row.open_count,
        "v": p.v,
        "expected": row.expected,
        "v_expected": row.v_expected,
        "days_left": row.days_left,
        "required_per_day": rate.per_day if rate else None,
        "required_per_week": rate.per_week if rate else None,
        "status": row.status,
    }


@router.get("/performance/position", response={200: PositionOut, codes_4xx: ErrorOut})
def position(request: ApiRequest, query: Query[PositionQuery]) -> dict[str, Any]:
    """The quota position and V值 of your scope (a seller: their own), its units and its sellers; a unit or
    seller outside your reach is 404."""
    report = position_report(
        request.auth,
        period_kind=query.period_kind,
        day=query.day,
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
    )
    return {
        "period": report.period.kind,
        "label": report.period.label,
        "start": report.period.start,
        "end": report.period.end,
        "as_of": report.as_of,
        "days_left": report.days_left,
        "scope": str(report.scope.label),
        "source": report.source,
        "source_text": report.source_text,
        "total": row_out(report.total),
        "units": [row_out(r) for r in report.units],
        "reps": [row_out(r) for r in report.reps.items],
        "count": report.reps.count,
        "page": report.reps.page or 1,
        "pages": report.reps.pages,
        "flagged": report.flagged,
    }
