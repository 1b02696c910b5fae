"""The probabilistic forecast of a scope and period (METHODOLOGY §9.7, issue 4 item 9): the data the
Monte-Carlo of kadence.domain.montecarlo needs, loaded in a handful of queries.

- **Deals**: the open deals of the scope (by owner / owner's team, kadence.core.visibility) that can
  close in the period given the slip history — every open deal whose p_in is above 0; deals
  "omitted" from the forecast count like any other (the model uses evidence, not the rep's category).
- **Win probability**: the effective probability of the deal's level in its process
  (kadence.planning.selectors.calibration.effective_probabilities: calibrated where the process is
  switched to calibration and the level has enough outcomes, configured otherwise).
- **Slip history**: company-wide, over the won deals closed in the policy's history window: slip =
  closed_on − the expected close date on the deal's last stage-history row before closing (the row
  by which it entered its last stage, or its reopening). Company-wide because one seller's handful
  of wins would make a noisy distribution.
- **Booked**: the amount of the scope's deals won in the period up to `as_of`.
- **Target**: the scope's target for the period (kadence.planning.selectors.targets.target_for).

Three models side by side (issue 11 §5), each a Monte-Carlo over the same deals (`models`):
**configured** (the levels' configured probabilities × p_in from the slip), **calibrated** (the
observed win rates counted at as_of where a level has enough outcomes × p_in) and **time-aware**
(kadence.domain.survival: q = P(won inside the period | stage and level, days in them, as_of), a
multi-state model of the deals' stays known at as_of; its trials also share a factor that carries the
uncertainty of its estimated rates, kadence.domain.survival.rate_uncertainty). The headline figures
are the process's own setting (configured, or calibrated where the process is switched to
calibration), as before.

At a past `as_of` (issue 11 §2) every input is what was known that day: the deals are the pipeline as
it stood (kadence.planning.selectors.forecast.pipeline_as_it_stood: stage, level, amount, close date,
owner and team of that day), booked = the wins recorded by then, the slip, the calibration and the
stays from history rows written before the end of as_of.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.arrays import int_matrix
from kadence.core.caching import cached
from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date
from kadence.core.visibility import Scope, resolve_scope
from kadence.domain import montecarlo as mc
from kadence.domain import survival as sv
from kadence.domain.periods import PERIOD_KINDS, Period, PeriodKind, add_days, period_containing
from kadence.insights.selectors.timeaware import calibrated_at, stay_started, stays
from kadence.pipeline.expressions import Cents, DayNumber, EpochDays
from kadence.pipeline.models import Opportunity, ProbabilityLevel, ProcessTemplate, StageChange
from kadence.pipeline.month_ends import end_of
from kadence.pipeline.snapshots import first_history_day
from kadence.planning.models import ForecastPolicy
from kadence.planning.selectors.calibration import (
    effective_probabilities_for,
    history_start,
    probabilities_note,
)
from kadence.planning.selectors.forecast import pipeline_as_it_stood
from kadence.planning.selectors.targets import target_for

M = TypeVar("M", bound=Model)
MAX_TRIALS = 50_000
MAX_SEED = 2**32 - 1
DEFAULT_SEED = 1
SLIP_CACHE_SECONDS = 24 * 3600
RUN_CACHE_SECONDS = 24 * 3600
# The rows by which a deal entered a stage (or was reopened): a change inside the stage (an edited
# close date) is not the estimate the deal entered its last stage with.
ENTERING = tuple(k for k in StageChange.TRANSITIONS if k not in (StageChange.Kind.WON, StageChange.Kind.LOST))


@dataclass(frozen=True)
class SlipHistory:
    """The empirical close-date slip: `days` values (ascending) with `counts` won deals each."""

    days: tuple[int, ...]
    counts: tuple[int, ...]

    @property
    def deals(self) -> int:
        return sum(self.counts)

    def percentile(self, percent: int) -> int | None:
        """The slip (days) at `percent` (inverted CDF); None without history."""
        if not self.counts:
            return None
        cumulative = np.cumsum(np.asarray(self.counts, dtype=np.int64))
        rank = max(1, (percent * int(cumulative[-1]) + 99) // 100)
        return self.days[int(np.searchsorted(cumulative, rank))]


@dataclass(frozen=True)
class ProbabilityUsed:
    """One (process, level) the forecast's deals were at, with the probability used and its source.
    `template` is the process's code (for API clients), `template_name` its name in the active language
    (for people: pages and exports)."""

    template: str
    level: str
    probability: Decimal
    source: str
    outcomes: int
    deals: int
    template_name: str = ""


CONFIGURED, CALIBRATED, TIME_AWARE = "configured", "calibrated", "time_aware"
MODELS = (CONFIGURED, CALIBRATED, TIME_AWARE)
MODEL_LABELS = {
    CONFIGURED: gettext_lazy("Configured probabilities"),
    CALIBRATED: gettext_lazy("Calibrated probabilities"),
    TIME_AWARE: gettext_lazy("Time-aware (won inside the period)"),
}
MODEL_NOTES = {
    CONFIGURED: gettext_lazy(
        "Each deal wins with its level's configured probability and closes as won deals slipped."
    ),
    CALIBRATED: gettext_lazy(
        "Each deal wins with its level's observed win rate counted at the date (configured where too few"
        " outcomes) and closes as won deals slipped."
    ),
    TIME_AWARE: gettext_lazy(
        "Each deal is won inside the period as often as deals in its stage and level, as long in it, went"
        " on through the later stages and were won within that time; shrunk toward all deals at its level"
        " where the stage has few outcomes, and toward the configured probability where there is no"
        " history. Its band also carries the uncertainty of those estimated rates."
    ),
}


@dataclass(frozen=True)
class ModelForecast:
    """One model's Monte-Carlo over the report's deals: `model` (configured | calibrated | time_aware),
    its label and what it assumes."""

    model: str
    forecast: mc.RevenueForecast

    @property
    def label(self) -> str:
        return str(MODEL_LABELS[self.model])

    @property
    def note(self) -> str:
        return str(MODEL_NOTES[self.model])

    @property
    def p_target_pct(self) -> Decimal | None:
        return None if self.forecast.p_target is None else self.forecast.p_target * 100


@dataclass(frozen=True)
class ProbabilisticReport:
    scope: Scope
    period: Period
    as_of: date
    trials: int
    seed: int
    open_deals: int
    forecast: mc.RevenueForecast
    target: Decimal | None
    slips: SlipHistory
    probabilities: list[ProbabilityUsed]
    note: str
    models: tuple[ModelForecast, ...] = ()
    episodes: int = 0  # the stays (stage and level) the time-aware model rests on
    new_business: tuple[Decimal, ...] = ()  # per comparable past period (new_business), newest first


def _period(kind: str | None, start: date | None, as_of: date) -> Period:
    clean_date(start, "period_start")  # far from now the period arithmetic would overflow
    clean_date(as_of, "as_of")
    kind = kind or "quarter"
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(
            _("Choose month, quarter or year."), {"period_kind": [_("Choose month, quarter or year.")]}
        )
    checked: PeriodKind = kind  # type: ignore[assignment]
    return period_containing(checked, start or as_of)


def _check_run(trials: int, seed: int) -> None:
    errors = {}
    if not 1 <= trials <= MAX_TRIALS:
        errors["trials"] = [_("Choose between 1 and %(max)d trials.") % {"max": MAX_TRIALS}]
    if not 0 <= seed <= MAX_SEED:
        errors["seed"] = [_("Choose a seed between 0 and %(max)d.") % {"max": MAX_SEED}]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors)


def _slip_rows(as_of: date, policy: ForecastPolicy) -> SlipHistory:
    planned = Subquery(
        StageChange.objects.filter(opportunity_id=OuterRef("pk"), kind__in=ENTERING)
        .order_by("-changed_at", "-id")
        .values("expected_close_date")[:1]
    )
    # no filter on `planned` (it would evaluate the subquery once more): a deal without an open row
    # (impossible through the services) gives a null slip, dropped below
    rows = (
        Opportunity.objects.filter(
            status=Opportunity.Status.WON, closed_on__gte=history_start(as_of, policy), closed_on__lte=as_of
        )
        .annotate(planned=planned)
        .annotate(slip=ExpressionWrapper(F("closed_on") - F("planned"), output_field=DurationField()))
        .values("slip")
        .annotate(n=Count("id"))
        .order_by("slip")
    )
    pairs = [
        (slip.days if isinstance(slip, timedelta) else int(slip), n)
        for slip, n in ((row["slip"], row["n"]) for row in rows)
        if slip is not None
    ]
    return SlipHistory(tuple(d for d, _n in pairs), tuple(n for _d, n in pairs))


def _slip_rows_then(as_of: date, policy: ForecastPolicy) -> SlipHistory:
    """The slip as the history knew it at the end of a past as_of: the deals whose row in force then is a
    win recorded in the window (its local day is the close day), against the expected close date of
    their last entering row before it. The same figures _slip_rows gives on the data as it stood."""
    end = end_of(as_of)
    since = history_start(as_of, policy)
    start = timezone.make_aware(datetime.combine(since, time.min))
    last = (
        StageChange.objects.filter(opportunity_id=OuterRef("opportunity_id"), changed_at__lt=end)
        .order_by("-changed_at", "-id")
        .values("id")[:1]
    )
    planned = Subquery(
        StageChange.objects.filter(
            opportunity_id=OuterRef("opportunity_id"),
            kind__in=ENTERING,
            changed_at__lt=OuterRef("changed_at"),
        )
        .order_by("-changed_at", "-id")
        .annotate(day=DayNumber("expected_close_date"))
        .values("day")[:1]
    )
    won_at = Subquery(
        StageChange.objects.filter(
            opportunity_id=OuterRef("opportunity_id"), kind=StageChange.Kind.WON, changed_at__lt=end
        )
        .order_by("-changed_at", "-id")
        .values("changed_at")[:1]
    )
    # the deals won at the end of as_of (their row in force then says so), each once, by the day of its win
    in_force = (
        StageChange.objects.filter(status=Opportunity.Status.WON, changed_at__lt=end)
        .filter(id=Subquery(last))
        .annotate(won_at=won_at)
        .filter(won_at__gte=start)
    )
    planned = Subquery(
        StageChange.objects.filter(
            opportunity_id=OuterRef("opportunity_id"), kind__in=ENTERING, changed_at__lt=OuterRef("won_at")
        )
        .order_by("-changed_at", "-id")
        .annotate(day=DayNumber("expected_close_date"))
        .values("day")[:1]
    )
    rows = (
        in_force.annotate(slip=EpochDays("won_at") - planned)
        .values("slip")
        .annotate(n=Count("id"))
        .order_by("slip")
    )
    pairs = [(int(row["slip"]), row["n"]) for row in rows if row["slip"] is not None]
    return SlipHistory(tuple(d for d, _n in pairs), tuple(n for _d, n in pairs))


def history_mark() -> int:
    """The largest stage-history id: the history is append-only, so a new row (a win, a loss, a move)
    changes it, and what is computed from the history is cached under it."""
    return StageChange.objects.aggregate(last=Max("id"))["last"] or 0


def slip_history(as_of: date, policy: ForecastPolicy, *, mark: int | None = None) -> SlipHistory:
    """Company-wide close-date slip of the won deals closed in the history window: one grouped query
    (about a second over a million deals), kept in the cache until the stage history grows (a new
    history row — a win, a loss, a move — changes its largest id, hence the key)."""
    last_row = history_mark() if mark is None else mark
    past = is_past(as_of)
    key = f"kadence:slips:{as_of.isoformat()}:{policy.history_days}:{last_row}:{past}"
    return cached(
        key,
        lambda: _slip_rows_then(as_of, policy) if past else _slip_rows(as_of, policy),
        SLIP_CACHE_SECONDS,
        valid=lambda found: isinstance(found, SlipHistory),
    )


COLUMNS = 7  # deal id, amount (cents), process, level, expected close (day), stage, stay began (day)


def _slip_filter(
    qs: QuerySet[M], period: Period, as_of: date, slips: SlipHistory, prefix: str = ""
) -> QuerySet[M]:
    earliest_slip, latest_slip = (slips.days[0], slips.days[-1]) if slips.days else (0, 0)
    # p_in > 0 needs expected + min slip ≤ end (and, for a future period, expected + max slip ≥ start)
    qs = qs.filter(**{f"{prefix}expected_close_date__lte": add_days(period.end, -earliest_slip)})
    if as_of < period.start:
        qs = qs.filter(**{f"{prefix}expected_close_date__gte": add_days(period.start, -latest_slip)})
    return qs


def _fetch(query: QuerySet[Any, Any]) -> np.ndarray:
    # amounts as whole cents and dates as day numbers, computed by the database: exact, and a quarter of
    # a million of them (a company's open deals) load as one integer array, not as Python objects (by binary
    # COPY on PostgreSQL: kadence.core.arrays)
    sql, params = query.query.sql_with_params()
    return int_matrix(sql, params, COLUMNS)


def is_past(as_of: date) -> bool:
    """A day before today: reports then read the pipeline as it stood (issue 11 §2)."""
    return as_of < timezone.localdate()


def _open_deals(scope: Scope, period: Period, as_of: date, slips: SlipHistory) -> np.ndarray:
    """Open deals of the scope with a chance to close in the period (p_in > 0): one row per deal of
    (id, amount in cents, template id, level id, expected close date as a day number, stage id, the day
    its stay in its stage and level began: timeaware.stay_started, today the deal's stay_began_at), as
    integers. At a past as_of: the
    pipeline as it stood at its end."""
    if as_of > period.end:
        return np.zeros((0, COLUMNS), dtype=np.int64)
    if is_past(as_of):
        # a deal whose history has no row that begins a stay (a bulk load) counts from its row in force
        entered = Coalesce(stay_started(end_of(as_of)), EpochDays("changed_at"))
        rows = pipeline_as_it_stood(scope, as_of, period.start).filter(status=Opportunity.Status.OPEN)
        query = (
            _slip_filter(rows, period, as_of, slips)
            .order_by("opportunity_id")
            .annotate(
                cents=Cents("amount"),
                day=DayNumber("expected_close_date"),
                entered=entered,
            )
            .values_list(
                "opportunity_id",
                "cents",
                "to_stage__template_id",
                "to_level_id",
                "day",
                "to_stage_id",
                "entered",
            )
        )
        return _fetch(query)
    qs = _slip_filter(
        scope.filter(Opportunity.objects.filter(status=Opportunity.Status.OPEN)), period, as_of, slips
    )
    query = (
        qs.order_by("pk")
        .annotate(
            cents=Cents("amount"),
            day=DayNumber("expected_close_date"),
            # the day its stay began, kept on the deal (kadence.pipeline.stays): no history lookup
            entered=Coalesce(EpochDays("stay_began_at"), EpochDays("stage_entered_at")),
        )
        .values_list("pk", "cents", "template_id", "level_id", "day", "stage_id", "entered")
    )
    return _fetch(query)


def booked_in(scope: Scope, period: Period, as_of: date) -> Decimal:
    """The scope's wins in the period up to as_of; at a past as_of, those recorded by its end."""
    last = min(period.end, as_of)
    if is_past(as_of):
        rows = pipeline_as_it_stood(scope, as_of, period.start).filter(
            status=Opportunity.Status.WON,
            closed_on__gte=period.start,
            closed_on__lte=last,  # type: ignore[misc]
        )
        return rows.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return scope.filter(
        Opportunity.objects.filter(
            status=Opportunity.Status.WON, closed_on__gte=period.start, closed_on__lte=last
        ),
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)


def new_business(
    scope: Scope, period: Period, as_of: date, policy: ForecastPolicy, *, mark: int | None = None
) -> tuple[int, ...]:
    """_new_business, kept in the cache until the stage history grows (as the slip) where the scope is the
    company or one seller: their sums rest on the history rows alone (a unit's also on the teams under
    it today, which a move in the organisation changes without a history row). Company-wide it is an
    aggregate over every win of the comparable periods: 1.7 s at 1M deals (docs/bench/timeaware-1m.md)."""
    if policy.new_business_periods <= 0 or as_of >= period.end:
        return ()
    first = first_history_day()
    if first is None:
        return ()
    if scope.unit is not None or scope.unit_ids is not None:
        return _new_business(scope, period, as_of, policy, first)
    last_row = history_mark() if mark is None else mark
    who = scope.owner.pk if scope.owner is not None else "all"
    key = (
        f"kadence:new-business:{who}:{period.kind}:{period.start.isoformat()}:{as_of.isoformat()}:"
        f"{policy.new_business_periods}:{last_row}:{first.isoformat()}"
    )
    return cached(
        key,
        lambda: _new_business(scope, period, as_of, policy, first),
        SLIP_CACHE_SECONDS,
        valid=lambda found: isinstance(found, tuple),
    )


def _new_business(
    scope: Scope, period: Period, as_of: date, policy: ForecastPolicy, first: date
) -> tuple[int, ...]:
    """What deals that did not exist yet brought in (cents), in each of the last
    `policy.new_business_periods` periods of the period's kind that the history covers: the amounts won
    by the period's end by deals created on or after the day that is as far into that period as the day
    after as_of is into this one (at a period's start: created in it and won in it). Counted as known at
    the end of as_of (the won rows recorded by then), under the owners and teams of the moment each was
    won. Nothing when the period has ended by as_of, or with no past period in the history."""
    count = policy.new_business_periods
    offset = max(0, (as_of - period.start).days + 1)  # the day after as_of, as days into the period
    sums: dict[str, Any] = {}
    windows = Q()
    for back in range(1, count + 1):
        past = period.shift(-back)
        if past.start < first:  # the history does not cover it: not a period with no new business
            break
        created_from = add_days(past.start, offset)
        window = Q(
            opportunity__created_at__gte=timezone.make_aware(datetime.combine(created_from, time.min)),
            opportunity__created_at__lt=end_of(past.end),
            opportunity__closed_on__gte=created_from,
            opportunity__closed_on__lte=past.end,
        )
        sums[f"p{back}"] = Sum("amount", filter=window)
        windows |= window
    if not sums:
        return ()
    # the rows of no window are left out before the sums (the same sums; at 1M deals the deals created in
    # the windows are read on their index instead of every won row of the history: 1.7 s → 1.0 s)
    won = scope.filter(
        StageChange.objects.filter(
            windows, kind=StageChange.Kind.WON, changed_at__lt=end_of(as_of)
        ).order_by()
    )
    found = won.aggregate(**sums)
    return tuple(int((found[key] or Decimal(0)) * 100) for key in sums)


def _run_key(
    cents: np.ndarray,
    p_win: np.ndarray,
    p_in: np.ndarray,
    trials: int,
    seed: int,
    booked_cents: int,
    target_cents: int | None,
    new_business_cents: tuple[int, ...] = (),
    relative_variance: float = 0.0,
) -> str:
    """The cache key of a simulation: a digest of its exact inputs. The simulation is a pure function
    of them (same inputs and seed, same result), so a cached result is the result, never a stale one:
    any change to a deal, a probability, the slip history, the booked amount or the target changes the
    key. A company-wide run simulates trials × a quarter of a million deals (seconds); opening the
    same forecast again costs the reads and the digest."""
    digest = hashlib.sha256()
    for array in (cents, p_win, p_in):
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(b"|")
    digest.update(f"{trials}:{seed}:{booked_cents}:{target_cents}:{mc.MODEL_VERSION}".encode())
    digest.update(f"|{new_business_cents}|{relative_variance!r}".encode())
    return f"kadence:montecarlo:{digest.hexdigest()}"


def probabilistic_forecast(
    user: User,
    *,
    as_of: date,
    unit_id: int | None = None,
    owner_id: int | None = None,
    period_kind: str | None = None,
    period_start: date | None = None,
    trials: int | None = None,
    seed: int | None = None,
) -> ProbabilisticReport:
    """P10 / P50 / P90 of the period's revenue for the scope `user` asks for, with the probability of
    reaching the scope's target (see the module docstring for the model's inputs)."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    period = _period(period_kind, period_start, as_of)
    policy = ForecastPolicy.current()
    trials = policy.monte_carlo_trials if trials is None else trials
    seed = DEFAULT_SEED if seed is None else seed
    _check_run(trials, seed)

    inputs = forecast_inputs(scope, period, as_of, policy)
    target = target_for(scope, period.kind, period.start)
    booked_cents, target_cents = inputs.booked_cents, None if target is None else int(target * 100)

    def run(p_win: np.ndarray, p_in: np.ndarray, spread: float = 0.0) -> mc.RevenueForecast:
        return cached(
            _run_key(
                inputs.cents,
                p_win,
                p_in,
                trials,
                seed,
                booked_cents,
                target_cents,
                inputs.new_business,
                spread,
            ),
            lambda: mc.revenue_forecast(
                inputs.cents,
                p_win,
                p_in,
                trials=trials,
                seed=seed,
                booked_cents=booked_cents,
                target_cents=target_cents,
                new_business_cents=inputs.new_business,
                relative_variance=spread,
            ),
            RUN_CACHE_SECONDS,
            valid=lambda found: isinstance(found, mc.RevenueForecast),
        )

    ones = np.ones(inputs.cents.shape)
    models = tuple(
        ModelForecast(
            model,
            run(inputs.q[model], ones if model == TIME_AWARE else inputs.p_in, inputs.spread.get(model, 0.0)),
        )
        for model in MODELS
    )
    return ProbabilisticReport(
        scope=scope,
        period=period,
        as_of=as_of,
        trials=trials,
        seed=seed,
        open_deals=len(inputs.ids),
        forecast=run(inputs.p_win, inputs.p_in),
        target=target,
        slips=inputs.slips,
        probabilities=inputs.probabilities,
        note=probabilities_note(p.source for p in inputs.probabilities),
        models=models,
        episodes=inputs.episodes,
        new_business=tuple(Decimal(c) / 100 for c in inputs.new_business),
    )


@dataclass(frozen=True)
class ForecastInputs:
    """Per deal (arrays in the same order): id, amount in cents, p_in (close-date slip), the headline
    win probability `p_win` (the process's own setting) and `q`, each model's probability of the deal
    coming in inside the period (configured and calibrated: p_win of that kind, to multiply by p_in;
    time-aware: already inside the period)."""

    ids: np.ndarray
    cents: np.ndarray
    expected: np.ndarray
    p_in: np.ndarray
    p_win: np.ndarray
    q: dict[str, np.ndarray]
    booked_cents: int
    slips: SlipHistory
    probabilities: list[ProbabilityUsed]
    episodes: int  # the stays the time-aware model rests on
    new_business: tuple[int, ...] = ()  # cents per comparable past period (new_business)
    # per model, the relative variance of its open deals' revenue from its estimated rates
    # (kadence.domain.survival.rate_uncertainty: the time-aware model's); none: 0
    spread: dict[str, float] = field(default_factory=dict)

    def coming_in(self, model: str) -> np.ndarray:
        """P(the deal is won inside the period) under `model`."""
        return self.q[model] if model == TIME_AWARE else self.q[model] * self.p_in


def forecast_inputs(scope: Scope, period: Period, as_of: date, policy: ForecastPolicy) -> ForecastInputs:
    """What every model needs, as known at the end of as_of (see the module docstring)."""
    mark = history_mark()
    slips = slip_history(as_of, policy, mark=mark)
    rows = _open_deals(scope, period, as_of, slips)
    booked = booked_in(scope, period, as_of)
    known = stays(as_of, policy)
    probabilities: list[ProbabilityUsed] = []
    q: dict[str, np.ndarray] = {}
    if len(rows):
        ids, cents, expected = rows[:, 0], np.ascontiguousarray(rows[:, 1]), rows[:, 4]
        keys = (rows[:, 2] << 32) | rows[:, 3]  # (process, level) as one integer: ids are below 2**31
        pairs, inverse = np.unique(keys, return_inverse=True)
        inverse = inverse.ravel()
        deals_per_pair = np.bincount(inverse, minlength=len(pairs))
        pair_ids = [(int(key) >> 32, int(key) & 0xFFFFFFFF) for key in pairs.tolist()]
        template_ids = {t for t, _level in pair_ids}
        effective = effective_probabilities_for(template_ids, policy)
        then = calibrated_at(template_ids, as_of, policy)
        templates = {t.pk: t for t in ProcessTemplate.objects.filter(pk__in=sorted(template_ids))}
        levels = {level.pk: level for level in ProbabilityLevel.objects.all()}
        headline, configured, calibrated = (np.empty(len(pairs), dtype=np.float64) for _i in range(3))
        for index, (template_id, level_id) in enumerate(pair_ids):  # one per (process, level), not per deal
            template, level = templates.get(template_id), levels[level_id]
            used = effective[template_id][level_id]
            if is_past(as_of):  # the process's setting with the rates counted then
                at = then[template_id][level_id]
                if template is not None and template.use_calibrated:
                    used = used._replace(probability=at.probability, source=at.source, outcomes=at.outcomes)
                else:
                    used = used._replace(
                        probability=level.probability, source=str(CONFIGURED), outcomes=at.outcomes
                    )
            headline[index] = float(used.probability) / 100
            configured[index] = float(level.probability) / 100
            calibrated[index] = float(then[template_id][level_id].probability) / 100
            probabilities.append(
                ProbabilityUsed(
                    template=template.code if template else str(template_id),
                    template_name=template.name if template else str(template_id),
                    level=level.badge,
                    probability=used.probability,
                    source=used.source,
                    outcomes=used.outcomes,
                    deals=int(deals_per_pair[index]),
                )
            )
        p_win = headline[inverse]
        today, start, end = mc.day_number(as_of), mc.day_number(period.start), mc.day_number(period.end)
        p_in = mc.in_period_probability(
            rows[:, 4],
            period_start=start,
            period_end=end,
            as_of=today,
            slip_days=slips.days,
            slip_counts=slips.counts,
        )
        q[CONFIGURED], q[CALIBRATED] = configured[inverse], calibrated[inverse]
        states, groups = known.states_of(rows[:, 5], rows[:, 3]), known.groups_of(rows[:, 3])
        q[TIME_AWARE], evidence = sv.won_within_states_evidence(
            known.model(),
            states,
            groups,
            today - rows[:, 6],
            np.clip(q[CONFIGURED] * p_in, 0.0, 1.0),
            first=max(start, today + 1) - today,
            last=end - today,
        )
        # a deal whose stage and level has no stay rests on its level's pool (one estimate per level;
        # a level with no stay at all, group −1, on the configured prior: one more)
        shared = np.where(states >= 0, states, len(known.states) + 1 + groups)
        spread = sv.rate_uncertainty(cents, q[TIME_AWARE], evidence, shared)
    else:
        expected = np.zeros(0, dtype=np.int64)
        ids, cents, p_win, p_in = (
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0),
            np.zeros(0),
        )
        q = {model: np.zeros(0) for model in MODELS}
        spread = 0.0
    return ForecastInputs(
        ids=ids,
        cents=cents,
        expected=expected,
        p_in=p_in,
        p_win=p_win,
        q=q,
        booked_cents=int(booked * 100),
        slips=slips,
        probabilities=probabilities,
        episodes=known.entries,
        new_business=new_business(scope, period, as_of, policy, mark=mark),
        spread={TIME_AWARE: spread},
    )


def expected_by_seller(
    scope: Scope, period: Period, as_of: date, policy: ForecastPolicy
) -> dict[tuple[int, int], Decimal] | None:
    """The time-aware expected amount of the scope's open deals in the period — Σ amount × q, q the
    deal's probability of being won inside the period (TIME_AWARE) — per (owner, team) of the deal, in
    whole cents. None when the time-aware model has no stay to rest on (no history yet) or `as_of` is
    past (owners and teams are today's): callers then use the weighted pipeline."""
    if is_past(as_of):
        return None
    inputs = forecast_inputs(scope, period, as_of, policy)
    if inputs.episodes == 0:
        return None
    if not len(inputs.ids):
        return {}
    sellers = np.array(
        _slip_filter(
            scope.filter(Opportunity.objects.filter(status=Opportunity.Status.OPEN)),
            period,
            as_of,
            inputs.slips,
        )
        .order_by("pk")
        .values_list("pk", "owner_id", "team_id"),
        dtype=np.int64,
    ).reshape(-1, 3)
    at = np.clip(np.searchsorted(sellers[:, 0], inputs.ids), 0, max(len(sellers) - 1, 0))
    known = (sellers[at, 0] == inputs.ids) if len(sellers) else np.zeros(len(inputs.ids), dtype=bool)
    cents = inputs.cents[known] * inputs.coming_in(TIME_AWARE)[known]
    keys = (sellers[at[known], 1] << 32) | sellers[at[known], 2]
    pairs, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=cents, minlength=len(pairs))
    return {
        (int(key) >> 32, int(key) & 0xFFFFFFFF): Decimal(int(round(total))) / 100
        for key, total in zip(pairs.tolist(), sums.tolist(), strict=True)
    }
