"""The stays of the deals in their states, kept for the time-aware forecast (issue 11 §5,
kadence.domain.survival; read by kadence.insights.selectors.timeaware).

A deal's state is its stage and level. A **stay** begins with a history row that moves the deal (a
stage entry: StageChange.TRANSITIONS other than won / lost) or changes its level inside the stage (an
`updated` row whose level differs from the one before: `starts_stay`), and ends with the deal's next
such row or its closing (won, lost), in (moment, id) order; still open when there is none (censored).

Two things are maintained from the history so that the forecast reads no per-deal history:

- `Opportunity.stay_began_at`: the moment of the deal's latest row that began a stay (None: none);
- `StaySummary`: the stays counted (see its docstring): an open stay under the day it began, an ended
  one under the first day of the month it began, with its length, outcome and target state.

`changes.write` moves the deal's stays from before its new row to after it (`Tracked`, the same
per-deal recount a backdated row needs); `rebuild` recomputes both with set-based SQL after a bulk
load, `drift` compares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, F, Model, OuterRef, Q, Subquery

from kadence.domain.survival import CENSORED, LOST, MOVED, WON
from kadence.pipeline.bumps import Bump, add_rows, bump, drop_empty, in_order
from kadence.pipeline.expressions import EPOCH, EpochDays, epoch_days
from kadence.pipeline.models import Opportunity, StageChange, StaySummary

ENTERING = tuple(k for k in StageChange.TRANSITIONS if k not in (StageChange.Kind.WON, StageChange.Kind.LOST))
CLOSING = (StageChange.Kind.WON, StageChange.Kind.LOST)
# a key of StaySummary: (stage id, level id, outcome, began, days, to stage id, to level id)
Key = tuple[int, int, int, int, int, int, int]
FIELDS = ("stage_id", "level_id", "outcome", "began", "days", "to_stage_id", "to_level_id")


def starts_stay() -> Q:
    """The history rows that begin a stay: a stage entry, or a change of level inside the stage."""
    return Q(kind__in=ENTERING) | (Q(kind=StageChange.Kind.UPDATED) & ~Q(from_level=F("to_level")))


def month_start(day: int) -> int:
    """The day number of the first day of the month that holds day number `day`."""
    first = date.fromordinal(EPOCH.toordinal() + day).replace(day=1)
    return (first - EPOCH).days


def deal_stays(opp_id: int) -> tuple[Counter[Key], datetime | None]:
    """The deal's stays as StaySummary keys (counted) and the moment its latest stay began."""
    rows = list(
        StageChange.objects.filter(opportunity_id=opp_id)
        .filter(starts_stay() | Q(kind__in=CLOSING))
        .order_by("changed_at", "id")
        .values_list("kind", "to_stage_id", "to_level_id", "changed_at")
    )
    found: Counter[Key] = Counter()
    began: datetime | None = None
    for index, (kind, stage, level, at) in enumerate(rows):
        if kind in CLOSING:
            continue
        began, day = at, epoch_days(at)
        if index + 1 == len(rows):
            found[(stage, level, CENSORED, day, 0, 0, 0)] += 1
            continue
        to_kind, to_stage, to_level, to_at = rows[index + 1]
        outcome = (
            WON if to_kind == StageChange.Kind.WON else LOST if to_kind == StageChange.Kind.LOST else MOVED
        )
        target = (to_stage, to_level) if outcome == MOVED else (0, 0)
        found[(stage, level, outcome, month_start(day), epoch_days(to_at) - day, *target)] += 1
    return found, began


class Tracked:
    """A deal's stays before a new history row; `commit()` after it moves the summary and the deal's
    `stay_began_at` (the caller holds the deal's row lock: the services' tracking takes it)."""

    def __init__(self, opp_id: int) -> None:
        self.opp_id = opp_id
        self.before, self.began = deal_stays(opp_id)

    def commit(self, opp: Opportunity | None = None) -> None:
        after, began = deal_stays(self.opp_id)
        changed = after.copy()
        changed.subtract(self.before)
        bumps: list[Bump] = [
            (StaySummary, dict(zip(FIELDS, key, strict=True)), n, {}) for key, n in changed.items() if n
        ]
        for model, key, n, values in in_order(bumps):
            bump(model, key, 1 if n > 0 else -1, values, count=abs(n))
        if began != self.began:
            Opportunity.objects.filter(pk=self.opp_id).update(stay_began_at=began)
        if opp is not None:
            opp.stay_began_at = began


# --- rebuild and drift ------------------------------------------------------------------------------


def _grouped_sql(history_table: str, deals: Any = None) -> tuple[str, list[Any]]:
    """Every stay of the history, grouped as StaySummary keys with their count: one pass over the rows
    that begin or end stays in (deal, moment) order (each stay's end is the deal's next such row). With
    `deals` (a query of deal ids), the stays of those deals alone."""
    rows = StageChange.objects.filter(starts_stay() | Q(kind__in=CLOSING))
    if deals is not None:
        rows = rows.filter(opportunity_id__in=deals)
    inner = (
        rows.order_by()
        .annotate(day=EpochDays("changed_at"))
        .values_list("opportunity_id", "changed_at", "id", "kind", "to_stage_id", "to_level_id", "day")
    )
    sql, params = inner.query.sql_with_params()
    sql = sql.replace(StageChange._meta.db_table, history_table)
    order = "OVER (PARTITION BY e.opportunity_id ORDER BY e.changed_at, e.id)"
    month = (
        "(v.day - CAST(EXTRACT(DAY FROM DATE '1970-01-01' + v.day) AS INTEGER) + 1)"
        if connection.vendor == "postgresql"
        else "(v.day - CAST(strftime('%%d', v.day * 86400, 'unixepoch') AS INTEGER) + 1)"
    )
    won, lost = str(StageChange.Kind.WON), str(StageChange.Kind.LOST)
    grouped = (
        "SELECT v.to_stage_id, v.to_level_id, "
        f"CASE WHEN v.nkind IS NULL THEN {CENSORED} WHEN v.nkind = %s THEN {WON} "
        f"WHEN v.nkind = %s THEN {LOST} ELSE {MOVED} END, "
        f"CASE WHEN v.nkind IS NULL THEN v.day ELSE {month} END, "
        "CASE WHEN v.nkind IS NULL THEN 0 ELSE v.nday - v.day END, "
        "CASE WHEN v.nkind IS NULL OR v.nkind IN (%s, %s) THEN 0 ELSE v.nstage END, "
        "CASE WHEN v.nkind IS NULL OR v.nkind IN (%s, %s) THEN 0 ELSE v.nlevel END, COUNT(*) FROM ("
        f"SELECT e.kind, e.to_stage_id, e.to_level_id, e.day, LEAD(e.kind) {order} AS nkind, "
        f"LEAD(e.to_stage_id) {order} AS nstage, LEAD(e.to_level_id) {order} AS nlevel, "
        f"LEAD(e.day) {order} AS nday FROM ({sql}) e) v "
        "WHERE v.kind NOT IN (%s, %s) GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )
    return grouped, [won, lost, won, lost, won, lost, *params, won, lost]


def expected() -> Counter[Key]:
    """The StaySummary rows recomputed from the history (nothing is written)."""
    sql, params = _grouped_sql(StageChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return Counter({tuple(int(v) for v in row[:7]): int(row[7]) for row in cursor.fetchall()})  # type: ignore[misc]


def stay_began() -> Subquery:
    """The moment of the latest history row that began a stay of the deal (OuterRef pk)."""
    return Subquery(
        StageChange.objects.filter(starts_stay(), opportunity_id=OuterRef("pk"))
        .order_by("-changed_at", "-id")
        .values("changed_at")[:1]
    )


def rebuild(get_model: Callable[[str, str], Any] | None = None) -> int:
    """Recompute StaySummary and every deal's `stay_began_at` from the history with set-based SQL;
    returns the summary's row count. `get_model`: a migration's apps.get_model (the SQL is written
    against the live models' tables, which the migration's are at that point)."""
    summary: type[Model] = get_model("pipeline", "StaySummary") if get_model else StaySummary
    table = summary._meta.db_table
    sql, params = _grouped_sql(StageChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (stage_id, level_id, outcome, began, days, to_stage_id, to_level_id, count) "
            + sql,
            params,
        )
    if connection.vendor == "postgresql":  # one sorted pass, not a lookup per deal
        starts = (
            StageChange.objects.filter(starts_stay())
            .order_by()
            .values_list("opportunity_id", "changed_at", "id")
        )
        inner, inner_params = starts.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Opportunity._meta.db_table} o SET stay_began_at = s.at FROM (SELECT DISTINCT ON "
                f"(r.opportunity_id) r.opportunity_id AS id, r.changed_at AS at FROM ({inner}) r "
                "ORDER BY r.opportunity_id, r.changed_at DESC, r.id DESC) s "
                "WHERE o.id = s.id AND o.stay_began_at IS DISTINCT FROM s.at",
                inner_params,
            )
        Opportunity.objects.filter(stay_began_at__isnull=False).exclude(
            Exists(StageChange.objects.filter(starts_stay(), opportunity_id=OuterRef("pk")))
        ).update(stay_began_at=None)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    else:
        Opportunity.objects.update(stay_began_at=stay_began())
    return summary._default_manager.count()


def add_deals(deals: Any) -> None:
    """Deals written in bulk with their history and not counted yet (an import's new deals; `deals` is a
    query of their ids): their stays added to StaySummary and their `stay_began_at` set, set-based, what
    `rebuild` would give, at a cost that follows the deals added."""
    sql, params = _grouped_sql(StageChange._meta.db_table, deals)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    rows = [StaySummary(**dict(zip((*FIELDS, "count"), (int(v) for v in row), strict=True))) for row in found]
    add_rows(StaySummary, rows, FIELDS, ("count",))
    Opportunity.objects.filter(pk__in=deals).update(stay_began_at=stay_began())


def subtract_deals(deals: Any) -> None:
    """The inverse of `add_deals`: the stays of deals about to be removed in bulk with their history
    (an undone import's new deals, their rows still there) taken out of StaySummary, set-based."""
    sql, params = _grouped_sql(StageChange._meta.db_table, deals)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    rows = [StaySummary(**dict(zip((*FIELDS, "count"), (int(v) for v in row), strict=True))) for row in found]
    add_rows(StaySummary, rows, FIELDS, ("count",), sign=-1)
    drop_empty(StaySummary, ("count",))


def drift() -> list[tuple[Key, int, int]]:
    """Every StaySummary key whose stored count differs from a recomputation: (key, stored, expected)."""
    want = expected()
    stored: Counter[Key] = Counter()
    for row in StaySummary.objects.values_list(*FIELDS, "count").iterator():
        if row[7]:
            stored[tuple(row[:7])] += row[7]
    return [
        (key, stored[key], want[key]) for key in sorted(set(want) | set(stored)) if want[key] != stored[key]
    ]


def began_drift() -> int:
    """How many deals' `stay_began_at` differ from their history."""
    return (
        Opportunity.objects.annotate(expected=stay_began())
        .exclude(Q(stay_began_at=F("expected")) | Q(stay_began_at__isnull=True, expected__isnull=True))
        .count()
    )
