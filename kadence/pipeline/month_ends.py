"""The open pipeline at past month ends (MonthEndPipeline): reconstructing it from the stage history,
building it once per month-end, and checking it.

A deal's state at the end of a day is its stage-history row with the highest id among those changed
before the day ended (local calendar); the deal counts as open then when that row's status is open,
under the team that row names (kadence.pipeline.expressions.holder: the team that held the deal then).
`reconstruct` answers any set of days in ONE grouped pass over the history: a row is the state for
every day-end after its own change and not after the earliest change among the deal's later rows (a
window minimum). The funnel's past dates (kadence.insights) and the builder here both use it.

History rows are written when they happen (the services stamp them with the current time), so once a
day has ended its state is final, owner and team included: a reassignment later moves nothing. A
backdated write (an import) rebuilds the summaries. `ensure` builds the month-ends a report asks for
that have ended and are not built yet, for the whole company, in one pass (the first read after a
month closes pays it, about as much as one company-wide reconstruction); `rebuild` recomputes every
month-end since the first history row. The summary is per team × stage: a seller's own figures are
reconstructed from the history rows that name them, which are few.

Building is serialised on PostgreSQL by a lock on MonthEndBuilt in EXCLUSIVE mode; SQLite has one
writer at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Min, Model, Q, QuerySet, Value, When, Window
from django.db.models.expressions import RowRange
from django.utils import timezone

from kadence.pipeline.bumps import add_rows, drop_empty
from kadence.pipeline.expressions import WEIGHTED, holder
from kadence.pipeline.models import MonthEndBuilt, MonthEndPipeline, Opportunity, StageChange

ZERO = Decimal(0)
MICRO = Decimal("0.000001")


def end_of(day: date) -> datetime:
    """The moment `day` ends in the local calendar (the next midnight)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def has_ended(day: date) -> bool:
    return end_of(day) <= timezone.now()


def last_day_of_month(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def number(value: Any, places: Decimal = MICRO) -> Decimal:
    """A database number as a Decimal (SQLite answers floats for decimal arithmetic: round at `places`;
    a weighted amount has up to six decimals)."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(places)
    return Decimal(value)


@dataclass(frozen=True)
class Held:
    """Open deals (count, amount, weighted) of one group at one day-end."""

    count: int
    amount: Decimal
    weighted: Decimal


def reconstruct(
    days: Iterable[date],
    *,
    deals: QuerySet[Opportunity] | None = None,
    by: tuple[str, ...] = ("to_stage_id",),
    history: Callable[[str], Any] | None = None,
    where: Q | None = None,
) -> dict[tuple[Any, ...], dict[date, Held]]:
    """The open deals at the end of each of `days`, grouped by `by` (columns of the history row, or
    `held_owner` / `held_team`: the owner and team the row counts under, kadence.pipeline.expressions.holder),
    for the deals of `deals` (every deal when None): {group values: {day: Held}}, only groups and days
    with at least one open deal. `where` (a filter of history rows, e.g. expressions.held_in(scope)) keeps
    only the deals whose row in force at a day-end passes it. `history` (a migration's apps.get_model
    bound to StageChange) lets a data migration run it."""
    days = sorted(set(days))
    if not days:
        return {}
    model = history("StageChange") if history else StageChange
    rows = model.objects.filter(changed_at__lt=end_of(days[-1]))
    if deals is not None:
        rows = rows.filter(opportunity__in=deals.values("pk"))
    extra: dict[str, Any] = {name: holder(name[5:]) for name in by if name in ("held_owner", "held_team")}
    if where is not None:
        extra["inside"] = Case(When(where, then=Value(1)), default=Value(0), output_field=IntegerField())
    rows = (
        rows.annotate(**extra)
        .annotate(
            later=Window(
                Min("changed_at"),
                partition_by=[F("opportunity_id")],
                order_by=F("id").asc(),
                frame=RowRange(start=1, end=None),
            )
        )
        .annotate(weighted=WEIGHTED)
        .values(
            *by,
            *(["inside"] if where is not None else []),
            "status",
            "changed_at",
            "later",
            "amount",
            "weighted",
        )
        .order_by()
    )
    inner, params = rows.query.sql_with_params()
    columns, outer_params = [], []
    for i, day in enumerate(days):
        end = connection.ops.adapt_datetimefield_value(end_of(day))
        held = "t.changed_at < %s AND (t.later IS NULL OR t.later >= %s)"
        columns.append(
            f"SUM(CASE WHEN {held} THEN 1 ELSE 0 END) AS n{i}, "
            f"SUM(CASE WHEN {held} THEN t.amount ELSE 0 END) AS a{i}, "
            f"SUM(CASE WHEN {held} THEN t.weighted ELSE 0 END) AS w{i}"
        )
        outer_params += [end, end] * 3
    group = ", ".join(f"t.{connection.ops.quote_name(name)}" for name in by)
    sql = (
        f"SELECT {group}, {', '.join(columns)} FROM ({inner}) t "  # noqa: S608 - names are ours
        f"WHERE t.status = %s{' AND t.inside = 1' if where is not None else ''} GROUP BY {group}"
    )
    found: dict[tuple[Any, ...], dict[date, Held]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*outer_params, *params, Opportunity.Status.OPEN])
        for record in cursor.fetchall():
            key, sums = tuple(record[: len(by)]), record[len(by) :]
            for i, day in enumerate(days):
                n, amount, weighted = sums[3 * i : 3 * i + 3]
                if n:
                    found.setdefault(key, {})[day] = Held(
                        int(n), number(amount).quantize(Decimal("0.01")), number(weighted)
                    )
    return found


# --- building ------------------------------------------------------------------------------------------


def _lock(mode: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {MonthEndBuilt._meta.db_table} IN {mode} MODE")


def _expected(
    days: list[date], history: Callable[[str], Any] | None = None, deals: QuerySet[Opportunity] | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "month_end": day,
            "team_id": team,
            "stage_id": stage,
            "count": held.count,
            "amount": held.amount,
            "weighted": held.weighted,
        }
        for (team, stage), per_day in reconstruct(
            days, by=("held_team", "to_stage_id"), history=history, deals=deals
        ).items()
        for day, held in per_day.items()
    ]


def _write(days: list[date], get_model: Callable[[str, str], Any] | None = None) -> int:
    built = get_model("pipeline", "MonthEndBuilt") if get_model else MonthEndBuilt
    pipeline = get_model("pipeline", "MonthEndPipeline") if get_model else MonthEndPipeline
    history = (lambda name: get_model("pipeline", name)) if get_model else None
    rows = [pipeline(**row) for row in _expected(days, history)]
    pipeline.objects.bulk_create(rows, batch_size=5000)
    built.objects.bulk_create([built(month_end=day) for day in days])
    return len(rows)


def ensure(days: Iterable[date]) -> set[date]:
    """Build the month-ends among `days` that have ended and are not built yet; returns the days of
    `days` that are built (the others are still running or not month-ends: read them from history)."""
    wanted = sorted({day for day in days if day == last_day_of_month(day) and has_ended(day)})
    if not wanted:
        return set()
    if MonthEndBuilt.objects.filter(month_end__in=wanted).count() < len(wanted):
        with transaction.atomic():
            _lock("EXCLUSIVE")
            done = set(MonthEndBuilt.objects.filter(month_end__in=wanted).values_list("month_end", flat=True))
            missing = [day for day in wanted if day not in done]
            if missing:
                _write(missing)
    return set(wanted)


def month_ends_since(first: date) -> list[date]:
    """Every month-end from `first`'s month to the last one that has ended."""
    today = timezone.localdate()
    days, day = [], last_day_of_month(first)
    while day < today:
        days.append(day)
        day = last_day_of_month(day + timedelta(days=1))
    return days


def rebuild(get_model: Callable[[str, str], Any] | None = None) -> int:
    """Recompute every month-end from the first history row to the last month that ended (inside the
    caller's transaction); returns the number of pipeline rows."""
    built = get_model("pipeline", "MonthEndBuilt") if get_model else MonthEndBuilt
    pipeline = get_model("pipeline", "MonthEndPipeline") if get_model else MonthEndPipeline
    history = get_model("pipeline", "StageChange") if get_model else StageChange
    _lock("EXCLUSIVE")
    pipeline.objects.all().delete()
    built.objects.all().delete()
    first = history.objects.order_by("changed_at").values_list("changed_at", flat=True).first()
    if first is None:
        return 0
    written = _write(month_ends_since(timezone.localtime(first).date()), get_model)
    if connection.vendor == "postgresql":  # planner statistics for the fresh rows
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {pipeline._meta.db_table}")
    return written


def add_deals(deals: QuerySet[Any]) -> None:
    """Deals written in bulk with their (past) history, not counted yet (an import's new deals; `deals`
    is a query of their ids): add
    them to the month-ends built, set-based, then build the month-ends their history now reaches that
    are not built yet (`ensure`), so that the month-ends are what `rebuild` would give. Inside the
    caller's transaction."""
    _lock("EXCLUSIVE")
    built = sorted(MonthEndBuilt.objects.values_list("month_end", flat=True))
    opps = Opportunity.objects.filter(pk__in=deals)
    rows = [MonthEndPipeline(**row) for row in _expected(built, deals=opps)] if built else []
    add_rows(MonthEndPipeline, rows, ("month_end", "team_id", "stage_id"), ("count", "amount", "weighted"))
    first = StageChange.objects.order_by("changed_at").values_list("changed_at", flat=True).first()
    if first is not None:
        ensure(month_ends_since(timezone.localtime(first).date()))


def subtract_deals(deals: QuerySet[Any]) -> None:
    """The inverse of `add_deals`: deals about to be removed in bulk with their history (an undone
    import's new deals, their rows still there) taken out of the month-ends built, set-based. Once they
    are gone, `trim` drops the month-ends that no history reaches any more."""
    _lock("EXCLUSIVE")
    built = sorted(MonthEndBuilt.objects.values_list("month_end", flat=True))
    if not built:
        return
    opps = Opportunity.objects.filter(pk__in=deals)
    rows = [MonthEndPipeline(**row) for row in _expected(built, deals=opps)]
    measures = ("count", "amount", "weighted")
    add_rows(MonthEndPipeline, rows, ("month_end", "team_id", "stage_id"), measures, sign=-1)
    drop_empty(MonthEndPipeline, measures)


def trim() -> None:
    """After history was removed in bulk: the month-ends before the first history row's month left
    (what `rebuild` would not build) removed."""
    _lock("EXCLUSIVE")
    first = StageChange.objects.order_by("changed_at").values_list("changed_at", flat=True).first()
    built = MonthEndBuilt.objects.all()
    pipeline = MonthEndPipeline.objects.all()
    if first is not None:
        start = last_day_of_month(timezone.localtime(first).date())
        built, pipeline = built.filter(month_end__lt=start), pipeline.filter(month_end__lt=start)
    pipeline.delete()
    built.delete()


def expected_rows() -> list[Model]:
    """The rows the history gives for the built month-ends (unsaved): what `drift` compares with."""
    days = sorted(MonthEndBuilt.objects.values_list("month_end", flat=True))
    return [MonthEndPipeline(**row) for row in _expected(days)] if days else []
