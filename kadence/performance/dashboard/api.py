"""The director's dashboard over the API (issue 14 §8): the same data as the page.

- GET /api/performance/dashboard — attainment of the scope and its rows one level down (month, quarter,
  year holding `day`), the year's trend, the V值 and KPI-grade distributions and the anomalies
  (kadence.performance.dashboard.selectors.dashboard_report).

Amounts are decimal strings; `rate` (attainment) is a fraction (0.40 = 40 %)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Day, ErrorOut, Id, Money
from kadence.performance.dashboard.selectors import Attainment, Bin, Dashboard, GridRow, dashboard_report

router = Router(tags=["performance: dashboard"])


class DashboardQuery(Schema):
    period_kind: Literal["month", "quarter", "year"] = Field(
        "quarter", description="The period of the V值, the grades and the anomalies."
    )
    day: Day | None = Field(
        None, description="Any day of the period; default today. The trend covers its year."
    )
    unit_id: Id | None = Field(None, description="A unit in your reach (drill down); default your scope.")
    owner_id: Id | None = Field(None, description="One seller in your reach.")
    basis: Literal["weighted", "commit", "best_case"] = Field(
        "weighted", description="What the trend's forecast is."
    )


class DashboardAttainmentOut(Schema):
    target: Money | None
    booked: Money
    rate: Money | None = Field(description="booked ÷ target, a fraction; null without a target.")
    gap: Money | None


class DashboardRowOut(Schema):
    kind: str = Field(description="`total`, `unit` or `rep`.")
    id: int | None
    label: str
    sub: str
    month: DashboardAttainmentOut
    quarter: DashboardAttainmentOut
    year: DashboardAttainmentOut


class DashboardTrendOut(Schema):
    month: date
    target: Money | None
    booked: Money
    forecast: Money
    cum_target: Money | None
    cum_booked: Money | None
    cum_projection: Money


class DashboardBinOut(Schema):
    code: str
    label: str
    count: int


class DashboardAnomalyOut(Schema):
    kind: str
    id: int | None
    label: str
    metric: str = Field(description="`attainment`, `v` or `coverage_drop`.")
    value: Money
    side: str
    reason: str


class DashboardPolicyOut(Schema):
    z_threshold: Money
    iqr_factor: Money
    min_peers: int
    coverage_drop: Money
    coverage_lookback_days: int
    v_bins: str


class DashboardOut(Schema):
    scope: str
    as_of: date
    period: str
    label: str
    start: date
    end: date
    year: int
    basis: str
    basis_text: str
    level: str = Field(description="What `rows` are: `units`, `sellers` or `none` (one seller).")
    total: DashboardRowOut
    rows: list[DashboardRowOut]
    trend: list[DashboardTrendOut]
    v_bins: list[DashboardBinOut]
    flagged: int
    v_source: str
    grade_period: str
    grades: list[DashboardBinOut]
    not_graded: int
    anomalies: list[DashboardAnomalyOut]
    policy: DashboardPolicyOut


def _attainment(a: Attainment) -> dict[str, Any]:
    return {"target": a.target, "booked": a.booked, "rate": a.rate, "gap": a.gap}


def row_out(row: GridRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "id": row.id,
        "label": row.label,
        "sub": row.sub,
        "month": _attainment(row.month),
        "quarter": _attainment(row.quarter),
        "year": _attainment(row.year),
    }


def _bins(bins: list[Bin]) -> list[dict[str, Any]]:
    return [{"code": b.code, "label": str(b.label), "count": b.count} for b in bins]


def dashboard_out(d: Dashboard) -> dict[str, Any]:
    p = d.policy
    return {
        "scope": str(d.scope.label),
        "as_of": d.as_of,
        "period": d.period.kind,
        "label": d.period.label,
        "start": d.period.start,
        "end": d.period.end,
        "year": d.year.start.year,
        "basis": d.basis,
        "basis_text": d.basis_text,
        "level": d.level,
        "total": row_out(d.total),
        "rows": [row_out(r) for r in d.rows],
        "trend": [vars(t) for t in d.trend],
        "v_bins": _bins(d.v_bins),
        "flagged": d.flagged,
        "v_source": d.position.source,
        "grade_period": d.grade_period,
        "grades": _bins(d.grades),
        "not_graded": d.not_graded,
        "anomalies": [
            {
                "kind": a.row.kind,
                "id": a.row.id,
                "label": a.row.label,
                "metric": a.metric,
                "value": a.value,
                "side": a.side,
                "reason": a.reason,
            }
            for a in d.anomalies
        ],
        "policy": {
            "z_threshold": p.z_threshold,
            "iqr_factor": p.iqr_factor,
            "min_peers": p.min_peers,
            "coverage_drop": p.coverage_drop,
            "coverage_lookback_days": p.coverage_lookback_days,
            "v_bins": p.v_bins,
        },
    }


@router.get("/performance/dashboard", response={200: DashboardOut, codes_4xx: ErrorOut})
def dashboard(request: ApiRequest, query: Query[DashboardQuery]) -> dict[str, Any]:
    """The director's dashboard of your scope (a seller: their own): attainment by unit with drill-down,
    the trend against target, the V值 and grade distributions, the anomalies; a unit or seller outside
    your reach is 404."""
    return dashboard_out(
        dashboard_report(
            request.auth,
            period_kind=query.period_kind,
            day=query.day,
            unit_id=query.unit_id,
            owner_id=query.owner_id,
            basis=query.basis,
        )
    )
