"""Calibration (METHODOLOGY §9.6) and the probabilistic forecast (§9.7) over the API. Percentages
are decimal strings ("25.00" = 25 %), Brier scores decimal strings on fractions, money decimal
strings. Everyone signed in reads the calibration (company-wide statistics, no deal data); only an
admin recomputes it or switches a process (403 otherwise)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Clean, Day, ErrorOut, Id, In, Money, Reason
from kadence.insights.api.common import ScopeOut, TemplateRef, scope_out
from kadence.insights.selectors.backtest import MAX_PERIODS, backtest
from kadence.insights.selectors.probabilistic import (
    MAX_SEED,
    MAX_TRIALS,
    ModelForecast,
    ProbabilisticReport,
    probabilistic_forecast,
)
from kadence.planning.selectors.calibration import (
    C139,
    LEVEL,
    STAGE,
    CalibrationReport,
    CalibrationRow,
    calibration_report,
)
from kadence.planning.services.calibration import calibration_recompute, calibration_switch

router = Router(tags=["forecast"])


# --- schemas -------------------------------------------------------------------------------------


class CalibrationBucketOut(Schema):
    key: str = Field(description="Level code, stage code or C139 band code.")
    label: str
    configured: Money | None = Field(description="Configured probability, percent.")
    observed: Money | None = Field(
        description="Observed win rate won ÷ outcomes, percent; null without outcomes."
    )
    outcomes: int = Field(description="Closed deals (won + lost) that were in the bucket.")
    won: int
    brier: Money | None = Field(description="Mean (configured − outcome)² over the bucket's outcomes.")
    enough: bool = Field(description="outcomes ≥ the policy's minimum.")


class LevelBucketOut(CalibrationBucketOut):
    used: bool = Field(
        description="The process uses this level (a stage's default level or held by an open deal)."
    )
    effective: Money = Field(description="The probability reports use, percent.")
    source: str = Field(description='"configured" or "calibrated".')


class BrierOut(Schema):
    level: Money | None
    stage: Money | None
    c139: Money | None


class ShortOut(Schema):
    key: str
    label: str
    outcomes: int


class CalibrationOut(Schema):
    template: TemplateRef
    use_calibrated: bool
    min_outcomes: int = Field(description="Outcomes a level needs before its observed rate is used.")
    history_days: int
    computed_at: datetime | None = Field(description="When the stored figures were computed; null if never.")
    can_switch_on: bool
    short: list[ShortOut] = Field(description="Levels the process uses that have too few outcomes.")
    note: str = Field(description="Which probabilities reports of this process use.")
    brier: BrierOut = Field(description="Pooled Brier score per dimension (over every deal × bucket pair).")
    levels: list[LevelBucketOut]
    stages: list[CalibrationBucketOut]
    bands: list[CalibrationBucketOut]


class CalibrationQuery(Clean):
    template_id: Id | None = Field(None, description="Process template; default: the default template.")


class RecomputeIn(In):
    template_id: Id | None = Field(None, description="Only this process; default: all of them.")


class RecomputeOut(Schema):
    rows: int = Field(description="Buckets written.")
    computed_at: datetime


class SwitchIn(In):
    template_id: Id
    use_calibrated: bool
    reason: Reason = ""


class BinOut(Schema):
    low: Money
    high: Money
    count: int


class ProbabilityUsedOut(Schema):
    template: str
    level: str
    probability: Money = Field(description="Percent.")
    source: str
    outcomes: int
    deals: int


class SlipOut(Schema):
    deals: int = Field(description="Won deals the slip distribution rests on (company-wide, history window).")
    p10: int | None = Field(description="Days; negative = closed before the expected date.")
    p50: int | None
    p90: int | None


class ModelOut(Schema):
    model: str = Field(description="configured | calibrated | time_aware.")
    label: str
    note: str = Field(description="What the model assumes.")
    deals: int
    p10: Money
    p50: Money
    p90: Money
    mean: Money
    expected: Money
    p_target: Money | None


class ProbabilisticOut(Schema):
    scope: ScopeOut
    period_kind: str
    period_start: date
    period_end: date
    as_of: date
    trials: int
    seed: int
    open_deals: int = Field(description="Open deals that can close in the period given the slip history.")
    deals: int = Field(description="Deals with a chance (win probability × in-period probability > 0).")
    booked: Money = Field(description="Won in the period up to as_of.")
    p10: Money
    p50: Money
    p90: Money
    mean: Money
    expected: Money = Field(description="Exact expectation booked + Σ amount × p_win × p_in.")
    target: Money | None
    p_target: Money | None = Field(
        description="Share of trials reaching the target (0–1); null without a target."
    )
    histogram: list[BinOut]
    probabilities: list[ProbabilityUsedOut]
    note: str
    slip: SlipOut
    models: list[ModelOut] = Field(
        description="The same deals under each model side by side: configured, calibrated (rates counted at"
        " as_of) and time-aware (won inside the period given stage and age, issue 11 §5)."
    )
    episodes: int = Field(
        description="Stays in a stage and level known at as_of that the time-aware model rests on."
    )
    new_business: list[Money] = Field(
        description="What deals created after as_of were won for by the period's end in each comparable past"
        " period (newest first, as known at as_of): every model adds one of them per trial. Empty: none."
    )


class ProbabilisticQuery(Clean):
    unit_id: Id | None = Field(
        None, description="A unit of yours (and the units below it). Default: all of your scope."
    )
    owner_id: Id | None = Field(None, description="One seller in your scope.")
    period_kind: str | None = Field(None, description="month, quarter (default) or year.")
    period_start: Day | None = Field(
        None, description="Any day of the period (default: the period holding as_of)."
    )
    as_of: Day | None = Field(None, description="Today by default.")
    trials: int | None = Field(
        None, ge=1, le=MAX_TRIALS, description="Default: the forecast policy's trials."
    )
    seed: int | None = Field(
        None, ge=0, le=MAX_SEED, description="Same seed, same inputs → same result. Default 1."
    )


# --- conversions ---------------------------------------------------------------------------------


def _bucket(row: CalibrationRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "configured": row.configured,
        "observed": row.observed,
        "outcomes": row.outcomes,
        "won": row.won,
        "brier": row.brier,
        "enough": row.enough,
    }


def calibration_out(report: CalibrationReport) -> dict[str, Any]:
    template = report.template
    return {
        "template": {"id": template.pk, "code": template.code, "name": template.name},
        "use_calibrated": report.use_calibrated,
        "min_outcomes": report.min_outcomes,
        "history_days": report.history_days,
        "computed_at": report.computed_at,
        "can_switch_on": report.can_switch_on,
        "short": [{"key": row.key, "label": row.label, "outcomes": row.outcomes} for row in report.short],
        "note": report.note,
        "brier": {"level": report.brier[LEVEL], "stage": report.brier[STAGE], "c139": report.brier[C139]},
        "levels": [
            {**_bucket(row), "used": row.used, "effective": row.effective, "source": row.source}
            for row in report.levels
        ],
        "stages": [_bucket(row) for row in report.stages],
        "bands": [_bucket(row) for row in report.bands],
    }


def model_out(model: ModelForecast) -> dict[str, Any]:
    result = model.forecast
    return {
        "model": model.model,
        "label": model.label,
        "note": model.note,
        "deals": result.deals,
        "p10": result.p10,
        "p50": result.p50,
        "p90": result.p90,
        "mean": result.mean,
        "expected": result.expected,
        "p_target": result.p_target,
    }


def probabilistic_out(report: ProbabilisticReport) -> dict[str, Any]:
    scope, result = report.scope, report.forecast
    return {
        "scope": scope_out(scope),
        "period_kind": report.period.kind,
        "period_start": report.period.start,
        "period_end": report.period.end,
        "as_of": report.as_of,
        "trials": report.trials,
        "seed": report.seed,
        "open_deals": report.open_deals,
        "deals": result.deals,
        "booked": result.booked,
        "p10": result.p10,
        "p50": result.p50,
        "p90": result.p90,
        "mean": result.mean,
        "expected": result.expected,
        "target": result.target,
        "p_target": result.p_target,
        "histogram": [{"low": b.low, "high": b.high, "count": b.count} for b in result.histogram],
        "probabilities": [p.__dict__ for p in report.probabilities],
        "note": report.note,
        "models": [model_out(m) for m in report.models],
        "episodes": report.episodes,
        "new_business": list(report.new_business),
        "slip": {
            "deals": report.slips.deals,
            "p10": report.slips.percentile(10),
            "p50": report.slips.percentile(50),
            "p90": report.slips.percentile(90),
        },
    }


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/calibration", response={200: CalibrationOut, codes_4xx: ErrorOut})
def get_calibration(request: ApiRequest, query: Query[CalibrationQuery]) -> dict[str, Any]:
    """The stored calibration of a process: observed win rate per level, stage and C139 band next to
    the configured probability, with counts and Brier scores, and which probabilities reports use."""
    return calibration_out(calibration_report(request.auth, query.template_id))


@router.post("/calibration/recompute", response={200: RecomputeOut, codes_4xx: ErrorOut})
def recompute_calibration(request: ApiRequest, payload: RecomputeIn) -> dict[str, Any]:
    """Count the closed history again (admin only)."""
    rows = calibration_recompute(request.auth, template_id=payload.template_id)
    return {"rows": rows, "computed_at": timezone.now()}


@router.post("/calibration/switch", response={200: CalibrationOut, codes_4xx: ErrorOut})
def switch_calibration(request: ApiRequest, payload: SwitchIn) -> dict[str, Any]:
    """Use calibrated probabilities for a process, or go back to the configured ones (admin only).
    Switching on answers 422 `not_enough_outcomes` naming the levels short of data (`short`)."""
    calibration_switch(
        request.auth,
        template_id=payload.template_id,
        use_calibrated=payload.use_calibrated,
        reason=payload.reason,
    )
    return calibration_out(calibration_report(request.auth, payload.template_id))


@router.get("/forecast/probabilistic", response={200: ProbabilisticOut, codes_4xx: ErrorOut})
def get_probabilistic_forecast(request: ApiRequest, query: Query[ProbabilisticQuery]) -> dict[str, Any]:
    """Monte-Carlo P10 / P50 / P90 of the period's revenue for a scope you can see (a rep: their own;
    a manager: their teams; a director: their regions), and the probability of reaching its target."""
    report = probabilistic_forecast(
        request.auth,
        as_of=query.as_of or timezone.localdate(),
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        period_kind=query.period_kind,
        period_start=query.period_start,
        trials=query.trials,
        seed=query.seed,
    )
    return probabilistic_out(report)


# --- backtest ------------------------------------------------------------------------------------


class BacktestQuery(Clean):
    unit_id: Id | None = Field(None, description="A unit of yours (and the units below it).")
    owner_id: Id | None = Field(None, description="One seller in your scope.")
    period_kind: str | None = Field(None, description="month, quarter (default) or year.")
    periods: int | None = Field(None, ge=1, le=MAX_PERIODS, description="How many past periods (default 8).")
    until: Day | None = Field(
        None, description="The periods before the one holding this day (default today)."
    )
    trials: int | None = Field(None, ge=1, le=MAX_TRIALS, description="Default 2000.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Default 1.")


class BacktestRowOut(Schema):
    model: str = Field(description="weighted | configured | calibrated | time_aware.")
    p10: Money
    p50: Money
    p90: Money
    covered: bool = Field(description="P10 ≤ actual ≤ P90.")
    error: Money = Field(description="P50 − actual.")
    brier: Money | None = Field(
        description="Mean (probability − won inside the period)² over the open deals."
    )
    deals: int


class BacktestPeriodOut(Schema):
    start: date
    end: date
    as_of: date = Field(description="The day the forecast is made from: the day before the period.")
    actual: Money
    open_deals: int
    rows: list[BacktestRowOut]


class BacktestSummaryOut(Schema):
    model: str
    label: str
    coverage: Money = Field(description="Share of periods covered by P10–P90 (0–1).")
    mape: Money | None
    bias: Money | None = Field(description="Σ (P50 − actual) ÷ Σ actual.")
    mean_abs_error: Money
    brier: Money | None


class BacktestOut(Schema):
    scope: ScopeOut
    period_kind: str
    trials: int
    seed: int
    periods: list[BacktestPeriodOut]
    summaries: list[BacktestSummaryOut]


@router.get("/forecast/backtest", response={200: BacktestOut, codes_4xx: ErrorOut})
def get_backtest(request: ApiRequest, query: Query[BacktestQuery]) -> dict[str, Any]:
    """What each forecast model (weighted pipeline, configured, calibrated, time-aware) said at the start
    of each past period of a scope you can see, from what was known then, beside the actual won amount."""
    report = backtest(
        request.auth,
        until=query.until or timezone.localdate(),
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        period_kind=query.period_kind,
        periods=query.periods,
        trials=query.trials,
        seed=query.seed,
    )
    return {
        "scope": scope_out(report.scope),
        "period_kind": report.period_kind,
        "trials": report.trials,
        "seed": report.seed,
        "periods": [
            {
                "start": p.start,
                "end": p.end,
                "as_of": p.as_of,
                "actual": p.actual,
                "open_deals": p.open_deals,
                "rows": [r.__dict__ for r in p.rows],
            }
            for p in report.periods
        ],
        "summaries": [{**s.__dict__, "label": s.label} for s in report.summaries],
    }
