"""Backtest of the forecast models (issue 11 §6): for every past period of a scope, the forecast each
model would have made at the period's start — as_of = the day before it starts, so everything it read
is what was known then (kadence.insights.selectors.probabilistic.forecast_inputs: the pipeline as it
stood, the slip, the calibration and the stage episodes of that day) — beside the actual won amount.

Models: **weighted** (the weighted pipeline: Σ amount × configured probability of the open deals
expected to close in the period; a point, so P10 = P50 = P90), **configured**, **calibrated** and
**time_aware** (the Monte-Carlo of each, kadence.insights.selectors.probabilistic).

Per period and model: P10 / P50 / P90, covered (P10 ≤ actual ≤ P90), the P50 error (P50 − actual).
Per model over the periods (those with a deal open at the start or a win; an empty period is no
test): coverage, MAPE (mean |P50 − actual| ÷ actual over the periods with an
actual), bias (Σ (P50 − actual) ÷ Σ actual) and the Brier score of the win probabilities (per deal
open at the start: the model's probability of it being won inside the period against whether it was).

Actual = the scope's deals won with a close date in the period, as the data says now (a win recorded
late still counts for its period). Deals created during the period are in the actual but in no
forecast made at its start: that is a forecast's blind spot, and the backtest shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.caching import cached
from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import Scope, resolve_scope
from kadence.domain import montecarlo as mc
from kadence.domain.periods import PERIOD_KINDS, Period, PeriodKind, add_days, period_containing
from kadence.pipeline.models import Opportunity
from kadence.planning.models import ForecastPolicy

from .probabilistic import CALIBRATED, CONFIGURED, MODEL_LABELS, TIME_AWARE, _check_run, forecast_inputs
from .timeaware import _history_mark

WEIGHTED = "weighted"
MODELS = (WEIGHTED, CONFIGURED, CALIBRATED, TIME_AWARE)
LABELS = {WEIGHTED: gettext_lazy("Weighted pipeline"), **MODEL_LABELS}
MAX_PERIODS = 24
DEFAULT_TRIALS = 2000
CACHE_SECONDS = 24 * 3600
CENT = Decimal("0.01")
SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class BacktestRow:
    """One model's forecast for one period."""

    model: str
    p10: Decimal
    p50: Decimal
    p90: Decimal
    covered: bool
    error: Decimal  # P50 − actual
    brier: Decimal | None
    deals: int


@dataclass(frozen=True)
class BacktestPeriod:
    start: date
    end: date
    as_of: date
    actual: Decimal
    open_deals: int
    rows: tuple[BacktestRow, ...]


@dataclass(frozen=True)
class ModelSummary:
    model: str
    coverage: Decimal  # share of periods with P10 ≤ actual ≤ P90
    mape: Decimal | None  # mean |P50 − actual| ÷ actual, periods with an actual
    bias: Decimal | None  # Σ (P50 − actual) ÷ Σ actual
    mean_abs_error: Decimal
    brier: Decimal | None

    @property
    def label(self) -> str:
        return str(LABELS[self.model])


@dataclass(frozen=True)
class BacktestReport:
    scope: Scope
    period_kind: str
    trials: int
    seed: int
    periods: tuple[BacktestPeriod, ...]
    summaries: tuple[ModelSummary, ...]

    def label(self, model: str) -> str:
        return str(LABELS[model])


def _money(cents: float) -> Decimal:
    return (Decimal(int(round(cents))) / 100).quantize(CENT)


def _share(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(SHARE, rounding=ROUND_HALF_UP)


def past_periods(kind: str, count: int, until: date) -> list[Period]:
    """The `count` whole periods of `kind` that ended before the period holding `until`, oldest first."""
    checked: PeriodKind = kind  # type: ignore[assignment]
    periods: list[Period] = []
    current = period_containing(checked, until)
    for _i in range(count):
        current = period_containing(checked, add_days(current.start, -1))
        periods.append(current)
    return periods[::-1]


def _actual_won(scope: Scope, period: Period) -> tuple[Decimal, set[int]]:
    won = scope.filter(
        Opportunity.objects.filter(
            status=Opportunity.Status.WON, closed_on__gte=period.start, closed_on__lte=period.end
        )
    )
    total = won.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return total, set(won.values_list("pk", flat=True))


def _quantiles(totals: np.ndarray) -> tuple[int, int, int]:
    ordered = np.sort(totals)
    return tuple(int(ordered[max(0, (p * ordered.size + 99) // 100 - 1)]) for p in (10, 50, 90))  # type: ignore[return-value]


def _simulate(
    cents: np.ndarray,
    q: np.ndarray,
    trials: int,
    seed: int,
    base: int,
    new_business: tuple[int, ...] = (),
    spread: float = 0.0,
) -> tuple[int, int, int]:
    totals = mc.simulate_totals(cents, np.clip(q, 0, 1), trials=trials, seed=seed, base_cents=base)
    totals = mc.common_factor(totals, spread, seed=seed, base_cents=base)
    return _quantiles(mc.add_new_business(totals, new_business, seed=seed))


def _period_rows(
    scope: Scope, period: Period, trials: int, seed: int, policy: ForecastPolicy
) -> BacktestPeriod:
    as_of = add_days(period.start, -1)
    inputs = forecast_inputs(scope, period, as_of, policy)
    actual, won_ids = _actual_won(scope, period)
    actual_cents = int(actual * 100)
    outcome = np.isin(inputs.ids, np.fromiter(won_ids, dtype=np.int64, count=len(won_ids))).astype(np.float64)
    rows = []
    for model in MODELS:
        if model == WEIGHTED:
            in_period = np.zeros(inputs.ids.shape, dtype=bool)
            if inputs.ids.size:
                # the weighted pipeline counts the deals expected to close in the period, at their level's
                # configured probability (no slip)
                in_period = (
                    mc.in_period_probability(
                        inputs.expected,
                        period_start=mc.day_number(period.start),
                        period_end=mc.day_number(period.end),
                        as_of=mc.day_number(as_of),
                    )
                    > 0
                )
            q = np.where(in_period, inputs.q[CONFIGURED], 0.0)
            point = inputs.booked_cents + int(round(float(np.dot(inputs.cents.astype(np.float64), q))))
            p10 = p50 = p90 = point
        else:
            q = inputs.coming_in(model)
            p10, p50, p90 = _simulate(
                inputs.cents,
                q,
                trials,
                seed,
                inputs.booked_cents,
                inputs.new_business,
                inputs.spread.get(model, 0.0),
            )
        brier = _share(float(np.mean((q - outcome) ** 2))) if q.size else None
        rows.append(
            BacktestRow(
                model=model,
                p10=_money(p10),
                p50=_money(p50),
                p90=_money(p90),
                covered=p10 <= actual_cents <= p90,
                error=_money(p50 - actual_cents),
                brier=brier,
                deals=int((q > 0).sum()),
            )
        )
    return BacktestPeriod(
        start=period.start,
        end=period.end,
        as_of=as_of,
        actual=actual.quantize(CENT),
        open_deals=int(inputs.ids.size),
        rows=tuple(rows),
    )


def _summaries(periods: list[BacktestPeriod]) -> tuple[ModelSummary, ...]:
    result = []
    # a period with nothing open at its start and nothing won is no test of a forecast (0 = 0)
    tested = [p for p in periods if p.open_deals or p.actual]
    for index, model in enumerate(MODELS):
        rows = [(p.actual, p.rows[index]) for p in tested]
        if not rows:
            result.append(ModelSummary(model, Decimal(0), None, None, Decimal(0), None))
            continue
        covered = sum(1 for _a, r in rows if r.covered)
        with_actual = [(a, r) for a, r in rows if a > 0]
        mape = (
            _share(sum(float(abs(r.error) / a) for a, r in with_actual) / len(with_actual))
            if with_actual
            else None
        )
        total = sum((a for a, _r in rows), Decimal(0))
        bias = _share(float(sum((r.error for _a, r in rows), Decimal(0)) / total)) if total else None
        briers = [float(r.brier) for _a, r in rows if r.brier is not None]
        result.append(
            ModelSummary(
                model=model,
                coverage=_share(covered / len(rows)),
                mape=mape,
                bias=bias,
                mean_abs_error=_money(sum(float(abs(r.error)) for _a, r in rows) / len(rows) * 100),
                brier=_share(sum(briers) / len(briers)) if briers else None,
            )
        )
    return tuple(result)


def backtest(
    user: User,
    *,
    until: date,
    unit_id: int | None = None,
    owner_id: int | None = None,
    period_kind: str | None = None,
    periods: int | None = None,
    trials: int | None = None,
    seed: int | None = None,
) -> BacktestReport:
    """The backtest of the scope `user` asks for over the `periods` whole periods before the one holding
    `until` (default 8 quarters). Each period's result is cached until the history grows."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    kind = period_kind or "quarter"
    count = 8 if periods is None else periods
    trials = DEFAULT_TRIALS if trials is None else trials
    seed = 1 if seed is None else seed
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(
            _("Choose month, quarter or year."), {"period_kind": [_("Choose month, quarter or year.")]}
        )
    if not 1 <= count <= MAX_PERIODS:
        raise ValidationFailed(
            _("Choose between 1 and %(max)d periods.") % {"max": MAX_PERIODS},
            {"periods": [_("Choose between 1 and %(max)d periods.") % {"max": MAX_PERIODS}]},
        )
    _check_run(trials, seed)
    policy = ForecastPolicy.current()
    mark = _history_mark()
    units = "-".join(map(str, sorted(scope.unit_ids))) if scope.unit_ids is not None else "all"
    scope_key = f"{scope.owner.pk if scope.owner else 'any'}:{units}"
    done = []
    for period in past_periods(kind, count, until):
        key = (
            f"kadence:backtest:{scope_key}:{period.kind}:{period.start.isoformat()}:{trials}:{seed}:"
            f"{policy.history_days}:{policy.calibration_min_outcomes}:{mark}:{mc.MODEL_VERSION}"
        )
        done.append(
            cached(
                key,
                lambda period=period: _period_rows(scope, period, trials, seed, policy),  # type: ignore[misc]
                CACHE_SECONDS,
                valid=lambda found: isinstance(found, BacktestPeriod),
            )
        )
    return BacktestReport(
        scope=scope,
        period_kind=kind,
        trials=trials,
        seed=seed,
        periods=tuple(done),
        summaries=_summaries(done),
    )
