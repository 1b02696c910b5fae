"""The inputs of the time-aware forecast (issue 11 §5, kadence.domain.survival) and of the calibrated
one at any date, as they were known at `as_of`:

- **episodes**: every stage entry recorded in the history window up to the end of `as_of` (a history
  row of a moving kind other than won / lost), with how it ended — won or lost (the deal's first
  closing row after it, recorded by then) or still open at as_of (censored) — and after how many
  days. Loaded aggregated, one grouped query: (stage, outcome, days) → count; a few thousand rows
  whatever the number of deals. Kept in the cache until the stage history grows.
- **calibrated probabilities**: the observed win rate of each level counted from the deals closed in
  the history window ending at as_of (kadence.planning.selectors.calibration.calibration_counts),
  where the level has the policy's minimum of outcomes; the configured probability otherwise. For
  today, the stored calibration (`kadence calibrate`) whether or not the process is switched to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import Case, IntegerField, Max, Value, When
from django.utils import timezone

from kadence.core.caching import cached
from kadence.domain import calibration as cal
from kadence.domain import survival as sv
from kadence.pipeline.expressions import EpochDays, day_number
from kadence.pipeline.models import ProbabilityLevel, StageChange
from kadence.pipeline.month_ends import end_of
from kadence.planning.models import Calibration, ForecastPolicy
from kadence.planning.selectors.calibration import LEVEL, calibration_counts, history_start

CACHE_SECONDS = 24 * 3600
ENTERING = tuple(k for k in StageChange.TRANSITIONS if k not in (StageChange.Kind.WON, StageChange.Kind.LOST))
CLOSING = (StageChange.Kind.WON, StageChange.Kind.LOST)


@dataclass(frozen=True)
class Episodes:
    """Aggregated stage episodes: `stages` (the cells' stage ids, ascending) and per group the cell
    index, the duration in days, the outcome (survival.CENSORED / WON / LOST) and the count."""

    stages: tuple[int, ...]
    cell: tuple[int, ...]
    duration: tuple[int, ...]
    outcome: tuple[int, ...]
    count: tuple[int, ...]

    @property
    def entries(self) -> int:
        return sum(self.count)

    def curves(self, horizon: int = sv.DEFAULT_HORIZON) -> sv.Curves:
        return sv.estimate(
            self.cell, self.duration, self.outcome, self.count, cells=len(self.stages), horizon=horizon
        )

    def cells_of(self, stage_ids: np.ndarray) -> np.ndarray:
        """The cell index of each stage id (−1 for a stage with no episode)."""
        known = np.asarray(self.stages, dtype=np.int64)
        if known.size == 0:
            return np.full(stage_ids.shape, -1, dtype=np.int64)
        index = np.clip(np.searchsorted(known, stage_ids), 0, known.size - 1)
        return np.where(known[index] == stage_ids, index, -1).astype(np.int64)


def _episode_rows(as_of: date, since: date) -> Episodes:
    end = end_of(as_of)
    start = timezone.make_aware(datetime.combine(since, time.min))
    # every row of the window, a closing one carrying its day × 4 + (1 won | 2 lost)
    closing_code = Case(
        When(
            kind__in=CLOSING,
            then=EpochDays("changed_at") * Value(4)
            + Case(
                When(kind=StageChange.Kind.WON, then=Value(sv.WON)),
                default=Value(sv.LOST),
                output_field=IntegerField(),
            ),
        ),
        default=None,
        output_field=IntegerField(),
    )
    inner = (
        StageChange.objects.filter(changed_at__gte=start, changed_at__lt=end, kind__in=(*ENTERING, *CLOSING))
        .order_by()
        .annotate(entry=EpochDays("changed_at"), code=closing_code)
        .values_list("opportunity_id", "changed_at", "id", "kind", "to_stage_id", "entry", "code")
    )
    sql, params = inner.query.sql_with_params()
    entering = ", ".join(["%s"] * len(ENTERING))
    # one pass in (deal, moment) order: the first closing after each row is the smallest code among the
    # rows that follow it (days only grow along a deal's history), no subquery per entry
    grouped = (
        "SELECT w.to_stage_id, CASE WHEN w.fate IS NULL THEN 0 ELSE w.fate - (w.fate / 4) * 4 END, "
        "CASE WHEN w.fate IS NULL THEN %s - w.entry ELSE w.fate / 4 - w.entry END, COUNT(*) FROM ("
        "SELECT t.to_stage_id, t.kind, t.entry, MIN(t.code) OVER (PARTITION BY t.opportunity_id "
        "ORDER BY t.changed_at, t.id ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS fate "
        f"FROM ({sql}) t) w WHERE w.kind IN ({entering}) GROUP BY 1, 2, 3"
    )
    today = day_number(as_of)
    with connection.cursor() as cursor:
        cursor.execute(grouped, (today, *params, *[str(k) for k in ENTERING]))
        rows = [tuple(int(v) for v in row) for row in cursor.fetchall()]
    stages = tuple(sorted({row[0] for row in rows}))
    index = {stage: i for i, stage in enumerate(stages)}
    return Episodes(
        stages=stages,
        cell=tuple(index[r[0]] for r in rows),
        outcome=tuple(r[1] for r in rows),
        duration=tuple(r[2] for r in rows),
        count=tuple(r[3] for r in rows),
    )


def _history_mark() -> int:
    return StageChange.objects.aggregate(last=Max("id"))["last"] or 0


def _mark_for(as_of: date) -> str:
    """The cache generation of figures counted from the history up to as_of: a past day's until the
    history grows (a new row changes its largest id); today's for the hour — every change would
    invalidate them, they take seconds over a million deals, and one more row moves them little (the
    deals they are applied to are always read live)."""
    if as_of >= timezone.localdate():
        return f"h{timezone.now():%Y%m%d%H}"
    return str(_history_mark())


def episodes(as_of: date, policy: ForecastPolicy) -> Episodes:
    """The stage episodes known at the end of `as_of` (see the module docstring), cached (_mark_for)."""
    since = history_start(as_of, policy)
    key = f"kadence:episodes:{as_of.isoformat()}:{since.isoformat()}:{_mark_for(as_of)}"
    return cached(
        key,
        lambda: _episode_rows(as_of, since),
        CACHE_SECONDS,
        valid=lambda found: isinstance(found, Episodes),
    )


@dataclass(frozen=True)
class Calibrated:
    """One level's calibrated probability (percent) at a date, its source and its outcomes."""

    probability: Decimal
    source: str
    outcomes: int


def _calibrated_rows(template_ids: tuple[int, ...], as_of: date, policy: ForecastPolicy) -> dict:
    levels = {
        code: (pk, probability)
        for pk, code, probability in ProbabilityLevel.objects.values_list("pk", "code", "probability")
    }
    result: dict[int, dict[int, Calibrated]] = {}
    stored: dict[int, list[tuple[str, int, int]]] = {}
    if as_of >= timezone.localdate():
        # today: the stored calibration (`kadence calibrate`, nightly), not a recount of the whole history
        for template_id, key, outcomes, won in Calibration.objects.filter(
            template_id__in=template_ids, dimension=LEVEL
        ).values_list("template_id", "key", "outcomes", "won"):
            stored.setdefault(template_id, []).append((key, outcomes, won))
    for template_id in template_ids:
        row = {pk: Calibrated(p, str(cal.Source.CONFIGURED), 0) for pk, p in levels.values()}
        counts = (
            stored.get(template_id, [])
            if as_of >= timezone.localdate()
            else [
                (b.key, b.outcomes, b.won)
                for b in calibration_counts(template_id, as_of=as_of, policy=policy)[LEVEL]
            ]
        )
        for key, outcomes, won in counts:
            if key not in levels:
                continue
            pk, configured = levels[key]
            probability, source = cal.effective_probability(
                configured,
                outcomes,
                won,
                min_outcomes=policy.calibration_min_outcomes,
                use_calibrated=True,
            )
            row[pk] = Calibrated(probability, str(source), outcomes)
        result[template_id] = row
    return result


def calibrated_at(
    template_ids: set[int], as_of: date, policy: ForecastPolicy
) -> dict[int, dict[int, Calibrated]]:
    """template id → level id → the calibrated probability as it could be counted at as_of (observed
    where the level has enough outcomes, configured otherwise), cached (_mark_for)."""
    wanted = tuple(sorted(template_ids))
    key = (
        f"kadence:calibrated-at:{as_of.isoformat()}:{policy.history_days}:{policy.calibration_min_outcomes}:"
        f"{','.join(map(str, wanted))}:{_mark_for(as_of)}"
    )
    return cached(
        key,
        lambda: _calibrated_rows(wanted, as_of, policy),
        CACHE_SECONDS,
        valid=lambda f: isinstance(f, dict),
    )
