"""Forecasting over the API (METHODOLOGY §9.1–§9.5): the forecast report of a scope and period, forecast
submissions and manager adjustments, the rolling 4-week order forecast, and forecast accuracy.
Scope: `unit_id` / `owner_id` (kadence.core.visibility); a rep sees only their own figures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import (
    Day,
    DictOut,
    ErrorOut,
    Id,
    IdPath,
    In,
    Money,
    MoneyIn,
    PageOut,
    PageQuery,
    UnitRef,
    UserRef,
    page_out,
)
from kadence.domain import forecast as fc
from kadence.insights.api.common import ScopeOut, scope_out
from kadence.planning.models import ForecastSubmission
from kadence.planning.selectors import forecast as selectors
from kadence.planning.services import forecast as services

router = Router(tags=["forecast"])

Kind = Literal["month", "quarter", "year"]
SubmissionId = IdPath


class ForecastScopeQuery(Schema):
    unit_id: Id | None = Field(None, description="A unit of yours (and the units below it).")
    owner_id: Id | None = Field(None, description="One seller of your units (yourself, for a rep).")
    as_of: Day | None = Field(None, description="The report date (default today).")


class ForecastQuery(ForecastScopeQuery):
    period_kind: Kind = "quarter"
    period_start: Day | None = Field(
        None, description="Any day of the period (default: the period of as_of)."
    )


class PeriodOut(DictOut):
    kind: str
    start: date
    end: date
    label: str


class CategoryOut(DictOut):
    category: str
    count: int
    amount: Money
    weighted: Money


class FigureOut(DictOut):
    count: int
    amount: Money


class ForecastTotalsOut(DictOut):
    open_count: int
    open_amount: Money
    weighted: Money
    commit_call: Money
    best_case_call: Money


class TimeBucketOut(DictOut):
    bucket: str
    start: date | None
    end: date | None
    count: int
    amount: Money
    weighted: Money
    categories: dict[str, Money]


class CallOut(DictOut):
    id: int
    forecast: Money
    submitted_at: datetime
    submitted_by: UserRef | None
    reason: str


class SellerOut(DictOut):
    user: UserRef
    team: UnitRef | None
    categories: dict[str, Money]
    open_count: int
    weighted: Money
    submission: CallOut | None
    adjustment: CallOut | None
    forecast_of_record: Money | None
    call: Money
    can_adjust: bool


class UnitRowOut(DictOut):
    unit: UnitRef
    categories: dict[str, Money]
    open_count: int
    weighted: Money
    call: Money
    sellers: int
    submitted: int


class ForecastOut(DictOut):
    scope: ScopeOut
    period: PeriodOut
    as_of: date
    probabilities_used: str = Field(description="'configured': the probability of each deal's level.")
    categories: list[CategoryOut]
    totals: ForecastTotalsOut
    call: Money = Field(description="Σ of the sellers' forecasts of record (booked + commit without one).")
    booked_to_date: FigureOut = Field(description="Won this calendar year up to as_of.")
    buckets: list[TimeBucketOut]
    sellers: list[SellerOut]
    teams: list[UnitRowOut]
    regions: list[UnitRowOut]
    can_submit: bool


class SubmissionOut(Schema):
    id: int
    kind: str
    user: UserRef
    unit: UnitRef
    period_kind: str
    period_start: date
    booked: Money
    commit: Money
    best_case: Money
    pipeline: Money
    weighted: Money
    forecast: Money
    adjusts_id: int | None
    reason: str
    submitted_by: UserRef | None
    submitted_at: datetime


class DealOut(Schema):
    id: int
    name: str
    amount: str
    currency: str
    probability: str
    category: str
    status: str
    expected_close_date: str
    closed_on: str | None


class SubmissionDetailOut(SubmissionOut):
    deals: list[DealOut]


class SubmitIn(In):
    period_kind: Kind = "quarter"
    period_start: Day | None = Field(None, description="Any day of the period (default: the current one).")
    forecast: MoneyIn | None = Field(None, description="Your call; default booked + commit of your deals.")
    reason: str = Field("", max_length=500, description="An optional comment.")


class AdjustIn(In):
    forecast: MoneyIn
    reason: str = Field(max_length=500, description="Required: why the manager changes the seller's call.")


class SubmissionQuery(ForecastQuery, PageQuery):
    pass


class OrderWeekIn(Schema):
    week_start: Day
    amount: MoneyIn


class OrdersIn(In):
    weeks: list[OrderWeekIn] = Field(
        max_length=4, description="The next four weeks (Mondays) and the orders expected."
    )


class OrderWeekOut(Schema):
    week_start: date
    amount: Money | None


class OrderSellerOut(Schema):
    user: UserRef
    weeks: list[OrderWeekOut]


class LeadOut(Schema):
    lead_weeks: int
    forecast: Money | None
    error_pct: Decimal | None


class OrderAccuracyOut(Schema):
    week_start: date
    actual: Money
    leads: list[LeadOut]


class SummaryOut(DictOut):
    periods: int
    scored: int
    bias_pct: Decimal | None
    mape_pct: Decimal | None
    bias_amount: Money | None


class LeadSummaryOut(SummaryOut):
    lead_weeks: int


class OrdersOut(Schema):
    scope: ScopeOut
    as_of: date
    made_on: date
    weeks_ahead: list[date]
    mine: list[OrderWeekOut]
    can_enter: bool
    upcoming: list[OrderWeekOut]
    sellers: list[OrderSellerOut]
    accuracy: list[OrderAccuracyOut]
    by_lead: list[LeadSummaryOut]


class AccuracyQuery(ForecastScopeQuery):
    period_kind: Kind = "quarter"
    periods: int = Field(selectors.ACCURACY_PERIODS, ge=1, le=24, description="Completed periods to show.")


class PointOut(DictOut):
    period_start: date
    forecast: Money | None
    actual: Money
    error_pct: Decimal | None


class AccuracyLineOut(DictOut):
    label: str
    user_id: int | None
    unit_id: int | None
    points: list[PointOut]
    summary: SummaryOut


class AccuracyOut(DictOut):
    scope: ScopeOut
    period_kind: str
    periods: list[PeriodOut]
    total: AccuracyLineOut
    teams: list[AccuracyLineOut]
    sellers: list[AccuracyLineOut]


# --- shaping ---------------------------------------------------------------------------------------------


def period_out(period: Any) -> dict[str, Any]:
    return {"kind": period.kind, "start": period.start, "end": period.end, "label": period.label}


def _categories(totals: fc.CategoryTotals) -> dict[str, Decimal]:
    return {c: totals.figure(c).amount for c in fc.CATEGORIES}


def _call(row: ForecastSubmission | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.pk,
        "forecast": row.forecast,
        "submitted_at": row.submitted_at,
        "submitted_by": row.submitted_by,
        "reason": row.reason,
    }


def _unit_row(row: selectors.UnitRow) -> dict[str, Any]:
    return {
        "unit": row.unit,
        "categories": _categories(row.totals),
        "open_count": row.totals.open_count,
        "weighted": selectors.cents(row.totals.weighted),
        "call": row.call,
        "sellers": row.sellers,
        "submitted": row.submitted,
    }


def forecast_out(report: selectors.ForecastReport) -> dict[str, Any]:
    totals = report.totals
    return {
        "scope": scope_out(report.scope),
        "period": period_out(report.period),
        "as_of": report.as_of,
        "probabilities_used": report.probabilities_used,
        "categories": [
            {
                "category": c,
                "count": totals.figure(c).count,
                "amount": totals.figure(c).amount,
                "weighted": selectors.cents(totals.figure(c).weighted),
            }
            for c in fc.CATEGORIES
        ],
        "totals": {
            "open_count": totals.open_count,
            "open_amount": totals.open_amount,
            "weighted": selectors.cents(totals.weighted),
            "commit_call": totals.commit_call,
            "best_case_call": totals.best_case_call,
        },
        "call": report.call,
        "booked_to_date": {"count": report.booked_to_date.count, "amount": report.booked_to_date.amount},
        "buckets": [
            {
                "bucket": b.code,
                "start": b.start,
                "end": b.end,
                "count": b.totals.open_count,
                "amount": b.totals.open_amount,
                "weighted": selectors.cents(b.totals.weighted),
                "categories": {c: b.totals.figure(c).amount for c in fc.OPEN_CATEGORIES},
            }
            for b in report.buckets
        ],
        "sellers": [
            {
                "user": s.user,
                "team": s.team,
                "categories": _categories(s.totals),
                "open_count": s.totals.open_count,
                "weighted": selectors.cents(s.totals.weighted),
                "submission": _call(s.record.submission if s.record else None),
                "adjustment": _call(s.record.adjustment if s.record else None),
                "forecast_of_record": s.record.forecast if s.record else None,
                "call": s.call,
                "can_adjust": s.can_adjust,
            }
            for s in report.sellers
        ],
        "teams": [_unit_row(r) for r in report.teams],
        "regions": [_unit_row(r) for r in report.regions],
        "can_submit": report.can_submit,
    }


def summary_out(summary: fc.AccuracySummary) -> dict[str, Any]:
    return {
        "periods": summary.periods,
        "scored": summary.scored,
        "bias_pct": fc.as_pct(summary.bias),
        "mape_pct": fc.as_pct(summary.mape),
        "bias_amount": selectors.cents(summary.bias_amount) if summary.bias_amount is not None else None,
    }


def _line_out(line: selectors.AccuracyLine) -> dict[str, Any]:
    return {
        "label": line.label,
        "user_id": line.user.pk if line.user else None,
        "unit_id": line.unit.pk if line.unit else None,
        "points": [
            {
                "period_start": p.key,
                "forecast": p.forecast,
                "actual": p.actual,
                "error_pct": fc.as_pct(p.error),
            }
            for p in line.points
        ],
        "summary": summary_out(line.summary),
    }


def orders_out(report: selectors.OrderReport) -> dict[str, Any]:
    return {
        "scope": scope_out(report.scope),
        "as_of": report.as_of,
        "made_on": report.made_on,
        "weeks_ahead": report.weeks_ahead,
        "mine": [{"week_start": w, "amount": report.mine.get(w)} for w in report.weeks_ahead],
        "can_enter": report.can_enter,
        "upcoming": [
            {"week_start": w, "amount": a} for w, a in zip(report.weeks_ahead, report.upcoming, strict=True)
        ],
        "sellers": [
            {
                "user": r.user,
                "weeks": [
                    {"week_start": w, "amount": a} for w, a in zip(report.weeks_ahead, r.amounts, strict=True)
                ],
            }
            for r in report.sellers
        ],
        "accuracy": [
            {
                "week_start": w.week_start,
                "actual": w.actual,
                "leads": [
                    {"lead_weeks": lead, "forecast": p.forecast, "error_pct": fc.as_pct(p.error)}
                    for lead, p in zip(fc.LEADS, w.points, strict=True)
                ],
            }
            for w in report.accuracy
        ],
        "by_lead": [{"lead_weeks": lead, **summary_out(s)} for lead, s in report.by_lead.items()],
    }


def _today(query: ForecastScopeQuery) -> date:
    return query.as_of or timezone.localdate()


# --- endpoints ---------------------------------------------------------------------------------------------


@router.get("/forecast", response={200: ForecastOut, codes_4xx: ErrorOut})
def forecast(request: ApiRequest, query: Query[ForecastQuery]) -> dict[str, Any]:
    """The forecast of a scope for a period: deals closing in it by forecast category (booked = won
    in it; omitted left out), weighted pipeline, counts; the time buckets (booked this year to
    `as_of`; closing within 0–3, 3–6, 6–9, 9–12 whole months from the month of `as_of`, overdue in
    0–3); per seller (with their submission, the manager's adjustment and the forecast of record),
    per team and, for directors, per region."""
    report = selectors.forecast_report(
        request.auth,
        period_kind=query.period_kind,
        period_start=query.period_start,
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        as_of=_today(query),
    )
    return forecast_out(report)


@router.get("/forecast/submissions", response={200: PageOut[SubmissionOut], codes_4xx: ErrorOut})
def list_submissions(request: ApiRequest, query: Query[SubmissionQuery]) -> dict[str, Any]:
    """Submissions and adjustments of the scope for the period, newest first; kept forever."""
    page = selectors.forecast_submission_list(
        request.auth,
        period_kind=query.period_kind,
        period_start=query.period_start,
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        as_of=_today(query),
        page=query.page,
        page_size=query.page_size,
    )
    return page_out(page)


@router.post("/forecast/submissions", response={201: SubmissionDetailOut, codes_4xx: ErrorOut})
def submit(request: ApiRequest, payload: SubmitIn) -> Status[ForecastSubmission]:
    """Submit your forecast for the current or a later period. `forecast` defaults to booked +
    commit; the category sums and the deals behind it are recorded, with a snapshot."""
    row = services.forecast_submit(
        request.auth,
        period_kind=payload.period_kind,
        period_start=payload.period_start,
        forecast=payload.forecast,
        reason=payload.reason,
    )
    return Status(201, row)


@router.post(
    "/forecast/submissions/{submission_id}/adjust", response={201: SubmissionDetailOut, codes_4xx: ErrorOut}
)
def adjust(request: ApiRequest, submission_id: SubmissionId, payload: AdjustIn) -> Status[ForecastSubmission]:
    """A manager or director adjusts a seller's latest submission, with a reason (422 without one);
    never their own (403). A submission that is no longer the latest answers 409 with `latest_id`."""
    row = services.forecast_adjust(
        request.auth, submission_id, forecast=payload.forecast, reason=payload.reason
    )
    return Status(201, row)


@router.get("/forecast/orders", response={200: OrdersOut, codes_4xx: ErrorOut})
def orders(request: ApiRequest, query: Query[ForecastScopeQuery]) -> dict[str, Any]:
    """The rolling 4-week order forecast: this week's figures for the next four weeks (yours, the
    scope's sum, per seller) and the track record of the last eight weeks per lead (1–4 weeks)."""
    report = selectors.order_forecast_report(
        request.auth, unit_id=query.unit_id, owner_id=query.owner_id, as_of=_today(query)
    )
    return orders_out(report)


@router.post("/forecast/orders", response={200: OrdersOut, codes_4xx: ErrorOut})
def save_orders(request: ApiRequest, payload: OrdersIn) -> dict[str, Any]:
    """Enter your order forecast for (some of) the next four weeks; again in the same week replaces it."""
    today = timezone.localdate()
    services.order_forecast_save(request.auth, {w.week_start: w.amount for w in payload.weeks}, today=today)
    return orders_out(selectors.order_forecast_report(request.auth, as_of=today, owner_id=request.auth.pk))


@router.get("/forecast/accuracy", response={200: AccuracyOut, codes_4xx: ErrorOut})
def accuracy(request: ApiRequest, query: Query[AccuracyQuery]) -> dict[str, Any]:
    """Forecast vs actual over the last completed periods, for the scope, its units and its sellers.
    Forecast = the snapshot nearest the period start; actual = won amount closed in the period;
    error % = (forecast − actual) ÷ actual (0 when both are 0, null when only the actual is 0);
    bias = mean signed error, MAPE = mean absolute error."""
    report = selectors.forecast_accuracy(
        request.auth,
        period_kind=query.period_kind,
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        as_of=_today(query),
        count=query.periods,
    )
    return {
        "scope": scope_out(report.scope),
        "period_kind": report.kind,
        "periods": [period_out(p) for p in report.periods],
        "total": _line_out(report.total),
        "teams": [_line_out(t) for t in report.teams],
        "sellers": [_line_out(s) for s in report.sellers],
    }
