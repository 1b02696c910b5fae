"""The inputs of the time-aware forecast (issue 11 §5, kadence.domain.survival) and of the calibrated
one at any date, as they were known at `as_of`:

- **stays**: every stay of a deal in a state — its stage and level — recorded in the history window up
  to the end of `as_of`. A stay begins with a history row that moves the deal (a stage entry:
  kadence.pipeline's TRANSITIONS other than won / lost) or changes its level inside the stage (an
  `updated` row whose level differs from the one before), and ends with the deal's next such row
  (moved, to that row's state), its closing (won or lost) or as_of (censored), after so many days.
  Loaded aggregated: (stage, level, outcome, days, next stage, next level) → count; a few thousand
  rows whatever the number of deals. For today (or a later as_of) they are read from the maintained
  summary (kadence.pipeline.stays, StaySummary: the window starts on the first of a month, the
  summary counts ended stays by the month they began and open ones by their day), a grouped read of
  its rows from the window's start; for a past as_of, from the history up to its end (one grouped
  query over the window's rows: the summary does not know which stays had ended by then). Kept in the
  cache until the history grows. A deal open at as_of is in the state of its row in force then,
  `stay_started` days into its stay (today: the deal's maintained `stay_began_at`).
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
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from kadence.core.caching import cached
from kadence.domain import calibration as cal
from kadence.domain import survival as sv
from kadence.pipeline.expressions import EpochDays, day_number
from kadence.pipeline.models import ProbabilityLevel, StageChange, StaySummary
from kadence.pipeline.month_ends import end_of
from kadence.pipeline.stays import CLOSING, ENTERING, starts_stay
from kadence.planning.models import Calibration, ForecastPolicy
from kadence.planning.selectors.calibration import LEVEL, calibration_counts, history_start

CACHE_SECONDS = 24 * 3600
__all__ = ["CLOSING", "ENTERING", "Stays", "calibrated_at", "starts_stay", "stay_started", "stays"]


@dataclass(frozen=True)
class Stays:
    """Aggregated stays (see the module docstring): `states`, the (stage id, level id) pairs, ascending,
    and per group the state index, the duration in days, the outcome (survival.CENSORED / WON / LOST /
    MOVED), the target state index (−1 unless moved) and the count. A state's group (the pool it is
    shrunk toward) is its level."""

    states: tuple[tuple[int, int], ...]
    state: tuple[int, ...]
    duration: tuple[int, ...]
    outcome: tuple[int, ...]
    target: tuple[int, ...]
    count: tuple[int, ...]

    @property
    def entries(self) -> int:
        return sum(self.count)

    @property
    def levels(self) -> tuple[int, ...]:
        """The groups' level ids, ascending."""
        return tuple(sorted({level for _stage, level in self.states}))

    def model(self, horizon: int = sv.DEFAULT_HORIZON) -> sv.StateModel:
        index = {level: i for i, level in enumerate(self.levels)}
        return sv.estimate_states(
            self.state,
            self.duration,
            self.outcome,
            self.target,
            self.count,
            group_of=[index[level] for _stage, level in self.states],
            groups=len(index),
            horizon=horizon,
        )

    def states_of(self, stage_ids: np.ndarray, level_ids: np.ndarray) -> np.ndarray:
        """The state index of each (stage id, level id) (−1 for a pair with no stay)."""
        known = np.array([(stage << 32) | level for stage, level in self.states], dtype=np.int64)
        return _index_of(known, (stage_ids.astype(np.int64) << 32) | level_ids.astype(np.int64))

    def groups_of(self, level_ids: np.ndarray) -> np.ndarray:
        """The group index of each level id (−1 for a level with no stay)."""
        return _index_of(np.asarray(self.levels, dtype=np.int64), level_ids.astype(np.int64))


def _index_of(known: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if known.size == 0:
        return np.full(keys.shape, -1, dtype=np.int64)
    index = np.clip(np.searchsorted(known, keys), 0, known.size - 1)
    return np.where(known[index] == keys, index, -1).astype(np.int64)


def stay_started(end: datetime | None = None) -> Subquery:
    """The local day number of the row that began the stay of the deal (OuterRef opportunity_id, or pk
    when `end` is None: today's deal) in force at `end` (None: now)."""
    rows = StageChange.objects.filter(starts_stay())
    if end is None:
        rows = rows.filter(opportunity_id=OuterRef("pk"))
    else:
        rows = rows.filter(opportunity_id=OuterRef("opportunity_id"), changed_at__lt=end)
    return Subquery(
        rows.order_by("-changed_at", "-id").annotate(day=EpochDays("changed_at")).values("day")[:1]
    )


def _stay_rows(as_of: date, since: date) -> Stays:
    end = end_of(as_of)
    start = timezone.make_aware(datetime.combine(since, time.min))
    inner = (
        StageChange.objects.filter(changed_at__gte=start, changed_at__lt=end)
        .filter(starts_stay() | Q(kind__in=CLOSING))
        .order_by()
        .annotate(day=EpochDays("changed_at"))
        .values_list("opportunity_id", "changed_at", "id", "kind", "to_stage_id", "to_level_id", "day")
    )
    sql, params = inner.query.sql_with_params()
    order = "OVER (PARTITION BY e.opportunity_id ORDER BY e.changed_at, e.id)"
    # the rows that begin or end stays, read in one pass in (deal, moment) order: each stay's end is
    # the deal's next such row
    grouped = (
        f"SELECT v.to_stage_id, v.to_level_id, CASE WHEN v.nkind IS NULL THEN {sv.CENSORED} "
        f"WHEN v.nkind = %s THEN {sv.WON} WHEN v.nkind = %s THEN {sv.LOST} ELSE {sv.MOVED} END, "
        "COALESCE(v.nday, %s) - v.day, "
        "CASE WHEN v.nkind IS NULL OR v.nkind IN (%s, %s) THEN -1 ELSE v.nstage END, "
        "CASE WHEN v.nkind IS NULL OR v.nkind IN (%s, %s) THEN -1 ELSE v.nlevel END, COUNT(*) FROM ("
        f"SELECT e.kind, e.to_stage_id, e.to_level_id, e.day, LEAD(e.kind) {order} AS nkind, "
        f"LEAD(e.to_stage_id) {order} AS nstage, LEAD(e.to_level_id) {order} AS nlevel, "
        f"LEAD(e.day) {order} AS nday FROM ({sql}) e) v "
        "WHERE v.kind NOT IN (%s, %s) GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    )
    won, lost = str(StageChange.Kind.WON), str(StageChange.Kind.LOST)
    with connection.cursor() as cursor:
        cursor.execute(grouped, (won, lost, day_number(as_of), won, lost, won, lost, *params, won, lost))
        return _as_stays([tuple(int(v) for v in row) for row in cursor.fetchall()])


def _summary_rows(as_of: date, since: date) -> Stays:
    """The same groups as _stay_rows for today or a later as_of, from StaySummary: the stays that
    began on or after `since` (the first of a month), an open one `as_of − began` days long."""
    table = StaySummary._meta.db_table
    grouped = (
        f"SELECT stage_id, level_id, outcome, CASE WHEN outcome = {sv.CENSORED} THEN %s - began ELSE days END, "
        f"CASE WHEN outcome = {sv.MOVED} THEN to_stage_id ELSE -1 END, "
        f"CASE WHEN outcome = {sv.MOVED} THEN to_level_id ELSE -1 END, SUM(count) FROM {table} "
        "WHERE began >= %s GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(count) <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
    )
    with connection.cursor() as cursor:
        cursor.execute(grouped, (day_number(as_of), day_number(since)))
        return _as_stays([tuple(int(v) for v in row) for row in cursor.fetchall()])


def _as_stays(rows: list[tuple[int, ...]]) -> Stays:
    moved = [r for r in rows if r[2] == sv.MOVED]
    states = tuple(sorted({(r[0], r[1]) for r in rows} | {(r[4], r[5]) for r in moved}))
    index = {pair: i for i, pair in enumerate(states)}
    return Stays(
        states=states,
        state=tuple(index[(r[0], r[1])] for r in rows),
        outcome=tuple(r[2] for r in rows),
        duration=tuple(r[3] for r in rows),
        target=tuple(index[(r[4], r[5])] if r[2] == sv.MOVED else -1 for r in rows),
        count=tuple(r[6] for r in rows),
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


def stays(as_of: date, policy: ForecastPolicy) -> Stays:
    """The stays known at the end of `as_of` (see the module docstring), cached (_mark_for)."""
    since = history_start(as_of, policy)
    key = f"kadence:stays:{as_of.isoformat()}:{since.isoformat()}:{_mark_for(as_of)}"
    summarised = as_of >= timezone.localdate() and since.day == 1
    return cached(
        key,
        lambda: _summary_rows(as_of, since) if summarised else _stay_rows(as_of, since),
        CACHE_SECONDS,
        valid=lambda found: isinstance(found, Stays),
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
