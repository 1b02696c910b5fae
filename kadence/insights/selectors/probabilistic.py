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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext as _

from kadence.core.caching import cached
from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date
from kadence.core.visibility import Scope, resolve_scope
from kadence.domain import montecarlo as mc
from kadence.domain.periods import PERIOD_KINDS, Period, PeriodKind, add_days, period_containing
from kadence.pipeline.expressions import DayNumber
from kadence.pipeline.models import Opportunity, ProbabilityLevel, ProcessTemplate, StageChange
from kadence.planning.models import ForecastPolicy
from kadence.planning.selectors.calibration import (
    effective_probabilities_for,
    history_start,
    probabilities_note,
)
from kadence.planning.selectors.targets import target_for

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


def slip_history(as_of: date, policy: ForecastPolicy) -> SlipHistory:
    """Company-wide close-date slip of the won deals closed in the history window: one grouped query
    (about a second over a million deals), kept in the cache until the stage history grows (a new
    history row — a win, a loss, a move — changes its largest id, hence the key)."""
    last_row = StageChange.objects.aggregate(last=Max("id"))["last"] or 0
    key = f"kadence:slips:{as_of.isoformat()}:{policy.history_days}:{last_row}"
    return cached(
        key,
        lambda: _slip_rows(as_of, policy),
        SLIP_CACHE_SECONDS,
        valid=lambda found: isinstance(found, SlipHistory),
    )


def _open_deals(scope: Scope, period: Period, as_of: date, slips: SlipHistory) -> np.ndarray:
    """Open deals of the scope with a chance to close in the period (p_in > 0): one row per deal of
    (amount in cents, template id, level id, expected close date as a day number), as integers."""
    if as_of > period.end:
        return np.zeros((0, 4), dtype=np.int64)
    earliest_slip, latest_slip = (slips.days[0], slips.days[-1]) if slips.days else (0, 0)
    # p_in > 0 needs expected + min slip ≤ end (and, for a future period, expected + max slip ≥ start)
    qs = scope.filter(Opportunity.objects.filter(status=Opportunity.Status.OPEN))
    qs = qs.filter(expected_close_date__lte=add_days(period.end, -earliest_slip))
    if as_of < period.start:
        qs = qs.filter(expected_close_date__gte=add_days(period.start, -latest_slip))
    # amounts as whole cents and dates as day numbers, computed by the database: exact, and a quarter of
    # a million of them (a company's open deals) load as one integer array, not as Python objects
    query = (
        qs.order_by("pk")
        .annotate(
            cents=Cast(Round(F("amount") * 100), BigIntegerField()), day=DayNumber("expected_close_date")
        )
        .values_list("cents", "template_id", "level_id", "day")
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return np.array(rows, dtype=np.int64).reshape(len(rows), 4)


def _run_key(
    cents: np.ndarray,
    p_win: np.ndarray,
    p_in: np.ndarray,
    trials: int,
    seed: int,
    booked_cents: int,
    target_cents: int | None,
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

    slips = slip_history(as_of, policy)
    rows = _open_deals(scope, period, as_of, slips)
    booked = scope.filter(
        Opportunity.objects.filter(
            status=Opportunity.Status.WON, closed_on__gte=period.start, closed_on__lte=min(period.end, as_of)
        ),
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    target = target_for(scope, period.kind, period.start)

    probabilities: list[ProbabilityUsed] = []
    if len(rows):
        cents = np.ascontiguousarray(rows[:, 0])
        keys = (rows[:, 1] << 32) | rows[:, 2]  # (process, level) as one integer: ids are below 2**31
        pairs, inverse = np.unique(keys, return_inverse=True)
        deals_per_pair = np.bincount(inverse.ravel(), minlength=len(pairs))
        pair_ids = [(int(key) >> 32, int(key) & 0xFFFFFFFF) for key in pairs.tolist()]
        effective = effective_probabilities_for({t for t, _level in pair_ids}, policy)
        templates = {t.pk: t for t in ProcessTemplate.objects.filter(pk__in=sorted(effective))}
        levels = {level.pk: level for level in ProbabilityLevel.objects.all()}
        table = np.empty(len(pairs), dtype=np.float64)
        for index, (template_id, level_id) in enumerate(pair_ids):  # one per (process, level), not per deal
            used = effective[template_id][level_id]
            table[index] = float(used.probability) / 100
            template = templates.get(template_id)
            probabilities.append(
                ProbabilityUsed(
                    template=template.code if template else str(template_id),
                    template_name=template.name if template else str(template_id),
                    level=levels[level_id].badge,
                    probability=used.probability,
                    source=used.source,
                    outcomes=used.outcomes,
                    deals=int(deals_per_pair[index]),
                )
            )
        p_win = table[inverse.ravel()]
        p_in = mc.in_period_probability(
            rows[:, 3],
            period_start=mc.day_number(period.start),
            period_end=mc.day_number(period.end),
            as_of=mc.day_number(as_of),
            slip_days=slips.days,
            slip_counts=slips.counts,
        )
    else:
        cents, p_win, p_in = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
    booked_cents, target_cents = int(booked * 100), None if target is None else int(target * 100)
    forecast = cached(
        _run_key(cents, p_win, p_in, trials, seed, booked_cents, target_cents),
        lambda: mc.revenue_forecast(
            cents, p_win, p_in, trials=trials, seed=seed, booked_cents=booked_cents, target_cents=target_cents
        ),
        RUN_CACHE_SECONDS,
        valid=lambda found: isinstance(found, mc.RevenueForecast),
    )
    return ProbabilisticReport(
        scope=scope,
        period=period,
        as_of=as_of,
        trials=trials,
        seed=seed,
        open_deals=len(rows),
        forecast=forecast,
        target=target,
        slips=slips,
        probabilities=probabilities,
        note=probabilities_note(p.source for p in probabilities),
    )
