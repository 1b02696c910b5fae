"""Pipeline snapshots (issue 11 §3): an exact copy of every open deal at the end of every due day, kept
forever, so that a report at a past date reads the nearest snapshot plus the changes since instead of
reconstructing a million deals from the whole history.

- The state of a deal at a moment is its StageChange row with the highest id among those changed
  before then (kadence.pipeline.changes). A snapshot of day S holds, for every deal open at the end
  of S (local calendar), a narrow copy of that row (SnapshotDeal) and the day it entered its stage
  then (the moment of its last transition row: created, advanced, moved back, reopened…).
- Due days: SnapshotPolicy.every_days (default 7: every Sunday, the end of the Monday-to-Sunday
  week). `kadence pipeline-snapshot` (cron) writes the due days that have ended and are missing,
  back to the first history row; each is built from the previous snapshot plus the deals changed
  between them (set-based SQL), the first one from the whole history.
- Reads (`at`): the pipeline at the end of day D = the complete snapshot S nearest to D (before or
  after it), without the deals that have a history row changed between the end of S and the end of
  D, plus those deals' rows in force at the end of D. With no snapshot: every deal's row in force
  then, from the history.
- Never disagreeing with the history: history rows are written with the current time, so a
  snapshot of a day that has ended stays right, except for a row written with an earlier moment
  (a backdated write, an import): `changes.write` calls `refresh(opp_id, at)`, which rewrites that
  deal in every snapshot from that moment on, in the writer's transaction. Writers that bypass it
  (bulk loads) run `kadence pipeline-snapshot --check`, which compares every snapshot with the
  history and repairs it.

Building is serialised by a PostgreSQL advisory lock (two crons at once: the second waits, then
finds the work done); SQLite has one writer at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from kadence.pipeline.bumps import add_rows, bump, drop_empty
from kadence.pipeline.expressions import EPOCH, WEIGHTED, EpochDays
from kadence.pipeline.models import (
    DailyFlow,
    Opportunity,
    PipelineSnapshot,
    SnapshotDeal,
    SnapshotPolicy,
    SnapshotTotal,
    StageChange,
)

LOCK_KEY = 1_100_311  # pg_advisory_xact_lock key of the snapshot builder
OPEN = Opportunity.Status.OPEN
ENTERS = tuple(str(kind) for kind in StageChange.TRANSITIONS)  # the kinds that (may) enter a stage
COLUMNS = (
    "snapshot_id",
    "opportunity_id",
    "change_id",
    "stage_id",
    "level_id",
    "probability",
    "amount",
    "currency",
    "expected_close_date",
    "forecast_category",
    "owner_id",
    "team_id",
    "entered_day",
)
TOTAL_KEY = ("team_id", "stage_id", "level_id")  # a SnapshotTotal group


def end_of(day: date) -> datetime:
    """The moment `day` ends in the local calendar (the next midnight)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))


def is_due(day: date, every_days: int) -> bool:
    """Whether a snapshot is due at the end of `day` (see SnapshotPolicy)."""
    return ((day - EPOCH).days - 3) % max(1, every_days) == 0


def due_days(first: date, last: date, every_days: int) -> list[date]:
    """The due days in [first, last]."""
    step = max(1, every_days)
    offset = ((first - EPOCH).days - 3) % step
    day = first + timedelta(days=(step - offset) % step)
    days = []
    while day <= last:
        days.append(day)
        day += timedelta(days=step)
    return days


def latest_ended_day() -> date:
    return timezone.localdate() - timedelta(days=1)


def nearest(day: date) -> PipelineSnapshot | None:
    """The latest complete snapshot taken at or before `day`."""
    return PipelineSnapshot.objects.filter(complete=True, taken_on__lte=day).order_by("-taken_on").first()


def closest(day: date) -> PipelineSnapshot | None:
    """The complete snapshot nearest to `day`, before or after it (before on a tie): the pipeline at
    the end of `day` is it, corrected by the deals changed between the two days."""
    before = nearest(day)
    after = PipelineSnapshot.objects.filter(complete=True, taken_on__gt=day).order_by("taken_on").first()
    if after is None or (before is not None and (day - before.taken_on) <= (after.taken_on - day)):
        return before
    return after


# --- the rows in force ------------------------------------------------------------------------------


def _entered(end: datetime) -> Subquery:
    """For a StageChange row of a query: the moment its deal entered the stage it was in at `end`."""
    return Subquery(
        StageChange.objects.filter(
            opportunity_id=OuterRef("opportunity_id"), kind__in=ENTERS, changed_at__lt=end
        )
        .order_by("-id")
        .values("changed_at")[:1]
    )


def in_force(end: datetime, deals: QuerySet[Any] | list[int] | None = None) -> QuerySet[StageChange]:
    """Each deal's history row in force at `end` (of the deals whose ids `deals` lists, when given; it
    may be a `values("opportunity_id")` query of StageChange rows), with `entered_day`."""
    rows = StageChange.objects.filter(changed_at__lt=end)
    if deals is not None:
        rows = rows.filter(opportunity_id__in=deals)
    last = rows.order_by().values("opportunity_id").annotate(last=Max("id")).values("last")
    return StageChange.objects.filter(pk__in=last).annotate(entered_day=EpochDays(_entered(end)))


@dataclass(frozen=True)
class Stood:
    """The pipeline at the end of `day`: `kept` the snapshot rows of the deals unchanged since the
    snapshot (None without a snapshot), `changed` the history rows in force at the end of `day` of the
    other deals (every deal without a snapshot), open or not, with `entered_day`. A grouped figure of
    `kept` is also that of `totals` minus that of `replaced` (the snapshot's rows of the changed deals)."""

    day: date
    snapshot: PipelineSnapshot | None
    kept: QuerySet[SnapshotDeal] | None
    changed: QuerySet[StageChange]
    recent: QuerySet[Any] | None
    closed: QuerySet[StageChange] | None = None
    # the same `kept` as sums: the snapshot's SnapshotTotal rows less its rows of the changed deals
    # (a grouped read of the few groups and of the changed deals, not of every deal of the snapshot)
    totals: QuerySet[SnapshotTotal] | None = None
    replaced: QuerySet[SnapshotDeal] | None = None


def at(
    day: date,
    *,
    closed_since: date | None = None,
    snapshot: PipelineSnapshot | None = None,
    narrow: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
) -> Stood:
    """The pipeline as it stood at the end of `day` (see the module docstring). `closed_since`: also
    give (in `changed`) the deals closed then whose closing was recorded from the day before it on
    (a report counting wins from that day needs them; the snapshot holds open deals only).

    `narrow` (a report scope's filter on the owner and team columns) lets a scoped read replay only
    the changed deals that can be in the scope at the end of `day`: a deal's row in force then is one
    of the rows changed since the snapshot, or the snapshot's own (a backdated row rewrote it), so a
    deal with neither in the scope is not. It then reads the snapshot before the day. The caller
    still filters both parts with the scope."""
    end = end_of(day)
    if snapshot is not None:
        snap: PipelineSnapshot | None = snapshot
    else:
        snap = (nearest(day) if narrow is not None else None) or closest(day)
    if snap is None:
        return Stood(day, None, None, in_force(end), None)
    # A deal with no history row between the two day-ends stood at the end of `day` as it stood in the
    # snapshot (whichever comes first); the others are read from the history.
    low, high = sorted((end_of(snap.taken_on), end))
    touched = Q(changed_at__gte=low, changed_at__lt=high)
    closed = None
    if closed_since is not None:
        # the closed deals' rows in force at the end of `day`: a closed row with no later one then
        closed_from = timezone.make_aware(
            datetime.combine(closed_since - timedelta(days=1), datetime.min.time())
        )
        later = StageChange.objects.filter(
            opportunity_id=OuterRef("opportunity_id"), changed_at__lt=end, id__gt=OuterRef("id")
        )
        closed = StageChange.objects.filter(
            changed_at__gte=closed_from,
            changed_at__lt=end,
            status__in=(Opportunity.Status.WON, Opportunity.Status.LOST),
        ).filter(~Exists(later))
        if narrow is not None:
            closed = narrow(closed)
    recent = StageChange.objects.filter(touched).order_by().values("opportunity_id")
    # (an anti-join, not NOT IN: a small scope probes its deals, a large one hashes the changed rows)
    changed_since = StageChange.objects.filter(touched, opportunity_id=OuterRef("opportunity_id"))
    kept = SnapshotDeal.objects.filter(snapshot=snap).filter(~Exists(changed_since))
    replay: Any = recent
    if narrow is not None and snap.taken_on <= day:
        held = narrow(SnapshotDeal.objects.filter(snapshot=snap, opportunity_id__in=recent))
        replay = (
            narrow(StageChange.objects.filter(touched))
            .order_by()
            .values("opportunity_id")
            .union(held.order_by().values("opportunity_id"))
        )
    replaced = SnapshotDeal.objects.filter(snapshot=snap, opportunity_id__in=recent)
    totals = SnapshotTotal.objects.filter(snapshot=snap)
    return Stood(day, snap, kept, in_force(end, replay), recent, closed, totals, replaced)


def change_ids(
    stood: Stood, narrow: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None
) -> QuerySet[StageChange]:
    """The StageChange rows of `stood` (one per deal): the snapshot's copies and the changed rows;
    `narrow` (e.g. a report scope's filter on owner and team) is applied to both before the union."""
    narrow = narrow or (lambda qs: qs)
    changed = narrow(stood.changed).order_by().values("pk")
    if stood.kept is None:
        return StageChange.objects.filter(pk__in=changed)
    kept = narrow(stood.kept).order_by().values("change_id")
    if stood.closed is None:
        return StageChange.objects.filter(pk__in=kept.union(changed, all=True))
    closed = stood.closed.order_by().values("pk")
    return StageChange.objects.filter(pk__in=kept.union(changed, closed))  # a deal closed since: twice


# --- building ---------------------------------------------------------------------------------------


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _insert(select: QuerySet[Any], fields: tuple[str, ...]) -> int:
    """INSERT INTO SnapshotDeal (COLUMNS) the rows of `select` (its values in COLUMNS order)."""
    sql, params = select.order_by().values(*fields).query.sql_with_params()
    table = SnapshotDeal._meta.db_table
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in COLUMNS)
    picked = ", ".join(f"t.{quote(f)}" for f in fields)  # in COLUMNS order, whatever order values() used
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {picked} FROM ({sql}) t",  # noqa: S608 - names are ours
            params,
        )
        return cursor.rowcount


def _grouped(rows: QuerySet[SnapshotDeal]) -> QuerySet[Any]:
    """SnapshotDeal rows summed per SnapshotTotal group (and snapshot)."""
    return (
        rows.order_by()
        .values("snapshot_id", *TOTAL_KEY)
        .annotate(n=Count("id"), amount_sum=Sum("amount"), w=Sum(WEIGHTED), days=Sum("entered_day"))
    )


def _group_filter(groups: Iterable[tuple[Any, ...]]) -> Q:
    which = Q(pk__in=[])
    for group in groups:
        which |= Q(**dict(zip(TOTAL_KEY, group, strict=True)))  # None matches NULL (exact → isnull)
    return which


def write_totals(snap: PipelineSnapshot, groups: set[tuple[Any, ...]] | None = None) -> None:
    """(Re)write the SnapshotTotal rows of `snap` from its SnapshotDeal rows: every group, or only the
    `groups` (TOTAL_KEY values) whose deals changed."""
    totals = SnapshotTotal.objects.filter(snapshot=snap)
    rows = SnapshotDeal.objects.filter(snapshot=snap)
    if groups is not None and len(groups) <= 200:  # a few groups: rewrite those, else all of them
        if not groups:
            return
        totals = totals.filter(_group_filter(groups))
        rows = rows.filter(_group_filter(groups))
    totals.delete()
    sql, params = _grouped(rows).query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(c) for c in ("snapshot_id", *TOTAL_KEY, "count", "amount", "weighted", "entered_days")
    )
    picked = ", ".join(f"t.{quote(c)}" for c in ("snapshot_id", *TOTAL_KEY, "n", "amount_sum", "w", "days"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SnapshotTotal._meta.db_table} ({columns}) SELECT {picked} FROM ({sql}) t",  # noqa: S608 - names are ours
            params,
        )


def totals_drift(snap: PipelineSnapshot) -> int:
    """The number of SnapshotTotal groups of `snap` that differ from its grouped SnapshotDeal rows."""

    def table(rows: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        return {
            tuple(r[k] for k in TOTAL_KEY): (r["n"], _norm(r["amount_sum"]), _norm(r["w"]), r["days"])
            for r in rows
            if r["n"]
        }

    held = table(
        SnapshotTotal.objects.filter(snapshot=snap)
        .values(*TOTAL_KEY)
        .annotate(n=Sum("count"), amount_sum=Sum("amount"), w=Sum("weighted"), days=Sum("entered_days"))
        .order_by()
    )
    expected = table(_grouped(SnapshotDeal.objects.filter(snapshot=snap)))
    return sum(1 for key in set(held) | set(expected) if held.get(key) != expected.get(key))


def _from_history(snap: PipelineSnapshot, rows: QuerySet[StageChange]) -> int:
    rows = rows.filter(status=OPEN).annotate(
        snap=_constant(snap.pk), stage_copy=F("to_stage_id"), level_copy=F("to_level_id")
    )
    return _insert(
        rows,
        (
            "snap",
            "opportunity_id",
            "id",
            "stage_copy",
            "level_copy",
            "probability",
            "amount",
            "currency",
            "expected_close_date",
            "forecast_category",
            "owner_id",
            "team_id",
            "entered_day",
        ),
    )


def _constant(value: int) -> Any:
    from django.db.models import BigIntegerField, Value

    return Value(value, output_field=BigIntegerField())


def _build(day: date, previous: PipelineSnapshot | None) -> PipelineSnapshot:
    """Write the snapshot of `day` (from `previous` plus the changes since, or from the history)."""
    PipelineSnapshot.objects.filter(taken_on=day).delete()
    snap = PipelineSnapshot.objects.create(taken_on=day, complete=False)
    if previous is None:
        written = _from_history(snap, in_force(end_of(day)))
    else:
        stood = at(day, snapshot=previous)
        assert stood.kept is not None
        written = _insert(
            stood.kept.annotate(snap=_constant(snap.pk)),
            ("snap", *COLUMNS[1:]),
        )
        written += _from_history(snap, stood.changed)
    write_totals(snap)
    snap.deals = written
    snap.complete = True
    snap.built_at = timezone.now()
    snap.save(update_fields=["deals", "complete", "built_at"])
    return snap


def first_history_day() -> date | None:
    first = StageChange.objects.order_by("changed_at").values_list("changed_at", flat=True).first()
    return timezone.localtime(first).date() if first is not None else None


def missing_days(backfill: bool = True) -> list[date]:
    """The due days that have ended and have no complete snapshot: every one back to the first history
    row with `backfill`, else only the latest due day."""
    first = first_history_day()
    if first is None:
        return []
    last = latest_ended_day()
    days = due_days(first, last, SnapshotPolicy.current().every_days)
    if not backfill:
        days = days[-1:]
    done = set(PipelineSnapshot.objects.filter(complete=True).values_list("taken_on", flat=True))
    return [day for day in days if day not in done]


def build(
    days: Iterable[date], progress: Callable[[PipelineSnapshot], None] | None = None
) -> list[PipelineSnapshot]:
    """Write the snapshots of `days` that are not complete yet, oldest first, each in its own
    transaction under the builder's lock (so a second builder waits and then skips them)."""
    built = []
    for day in sorted(set(days)):
        with transaction.atomic():
            _lock()
            if PipelineSnapshot.objects.filter(taken_on=day, complete=True).exists():
                continue
            snap = _build(day, nearest(day - timedelta(days=1)))
        built.append(snap)
        if progress is not None:
            progress(snap)
    if built and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SnapshotDeal._meta.db_table}")
    build_flows()
    return built


# --- daily flows -----------------------------------------------------------------------------------


def flows_through() -> date | None:
    """The last day whose DailyFlow rows are written (None: none yet)."""
    return SnapshotPolicy.current().flows_through


def _flow_rows(rows: QuerySet[StageChange]) -> QuerySet[Any]:
    """Transition rows of the history grouped as DailyFlow counts them."""
    return (
        rows.filter(kind__in=ENTERS)
        .annotate(
            day=TruncDate("changed_at", tzinfo=timezone.get_default_timezone()),
            start=Coalesce("from_stage_id", "to_stage_id"),
        )
        .order_by()
        .values("day", "kind", "start", "to_stage_id")
        .annotate(
            n=Count("id"),
            amount_sum=Sum("amount"),
            cycle=Coalesce(
                Sum(EpochDays("changed_at") - EpochDays("opportunity__created_at"), filter=Q(kind="won")), 0
            ),
        )
    )


def _write_flows(rows: QuerySet[StageChange]) -> None:
    sql, params = _flow_rows(rows).query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(c) for c in ("day", "kind", "from_stage_id", "to_stage_id", "count", "amount", "cycle_days")
    )
    picked = ", ".join(
        f"t.{quote(c)}" for c in ("day", "kind", "start", "to_stage_id", "n", "amount_sum", "cycle")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DailyFlow._meta.db_table} ({columns}) SELECT {picked} FROM ({sql}) t",  # noqa: S608 - names are ours
            params,
        )


def build_flows(last: date | None = None) -> date | None:
    """Write the DailyFlow rows of the days that have ended since the last one written (the whole
    history the first time), under the builder's lock; returns the last day written through."""
    last = last or latest_ended_day()
    with transaction.atomic():
        _lock()
        through = flows_through()
        if through is not None and through >= last:
            return through
        rows = StageChange.objects.filter(changed_at__lt=end_of(last))
        if through is not None:
            rows = rows.filter(changed_at__gte=end_of(through))
        _write_flows(rows)
        SnapshotPolicy.objects.update_or_create(pk=1, defaults={"flows_through": last})
    return last


def add_deals(deals: QuerySet[Any], since: date) -> None:
    """Deals written in bulk with their history from `since` on (an import's new deals; `deals` is a
    query of their ids), not in the snapshots yet: add them, set-based, to every complete snapshot from
    `since` on (their rows in force then, the totals of the groups they fall in) and their transitions
    to the DailyFlow days written; then build the due days and flows still missing. What deleting the
    snapshots from `since` on and building them again gives, at a cost that follows the deals added."""
    with transaction.atomic():
        _lock()
        for snap in PipelineSnapshot.objects.filter(complete=True, taken_on__gte=since).order_by("taken_on"):
            written = _from_history(snap, in_force(end_of(snap.taken_on), deals))
            if not written:
                continue
            added = SnapshotDeal.objects.filter(snapshot=snap, opportunity_id__in=deals)
            write_totals(snap, set(added.order_by().values_list(*TOTAL_KEY).distinct()))
            PipelineSnapshot.objects.filter(pk=snap.pk).update(deals=F("deals") + written)
        through = flows_through()
        if through is not None and through >= since:
            _flows_of(deals, through, sign=1)
    if PipelineSnapshot.objects.filter(taken_on__gte=since).exists():
        build(missing_days(backfill=True))
    elif through is not None:
        build_flows()


FLOW_MEASURES = ("count", "amount", "cycle_days")


def _flows_of(deals: QuerySet[Any], through: date, *, sign: int) -> None:
    """Add (sign 1) or take out (sign -1, the emptied days dropped) the DailyFlow rows of `deals`' history
    up to `through`, set-based."""
    rows = StageChange.objects.filter(opportunity_id__in=deals, changed_at__lt=end_of(through))
    add_rows(
        DailyFlow,
        [
            DailyFlow(
                day=r["day"],
                kind=r["kind"],
                from_stage_id=r["start"],
                to_stage_id=r["to_stage_id"],
                count=r["n"],
                amount=r["amount_sum"],
                cycle_days=r["cycle"],
            )
            for r in _flow_rows(rows)
        ],
        ("day", "kind", "from_stage_id", "to_stage_id"),
        FLOW_MEASURES,
        sign=sign,
    )
    if sign < 0:
        drop_empty(DailyFlow, FLOW_MEASURES)


def subtract_deals(deals: QuerySet[Any], since: date) -> None:
    """The inverse of `add_deals`: deals about to be removed in bulk with their history from `since` on
    (an undone import's new deals, their rows still there) taken out of every complete snapshot from
    `since` on (their rows, the totals of the groups they were in) and out of the DailyFlow days
    written, set-based. Once they are gone, `trim` drops the snapshots no history reaches any more."""
    with transaction.atomic():
        _lock()
        for snap in PipelineSnapshot.objects.filter(complete=True, taken_on__gte=since).order_by("taken_on"):
            held = SnapshotDeal.objects.filter(snapshot=snap, opportunity_id__in=deals)
            groups = set(held.order_by().values_list(*TOTAL_KEY).distinct())
            if not groups:
                continue
            removed = held.delete()[0]
            write_totals(snap, groups)
            PipelineSnapshot.objects.filter(pk=snap.pk).update(deals=F("deals") - removed)
        through = flows_through()
        if through is not None and through >= since:
            _flows_of(deals, through, sign=-1)


def trim(since: date) -> None:
    """After history from `since` on was removed in bulk: the snapshots from `since` on that are not
    due any more (before the first history row left: what a rebuild would not write) removed."""
    with transaction.atomic():
        _lock()
        first = first_history_day()
        stale = PipelineSnapshot.objects.filter(taken_on__gte=since)
        if first is not None:
            stale = stale.filter(taken_on__lt=first)
        for snap in stale:
            SnapshotDeal.objects.filter(snapshot=snap).delete()
            SnapshotTotal.objects.filter(snapshot=snap).delete()
            snap.delete()


def forget_flows(since: date) -> bool:
    """History was written in bulk from `since` on (an import): drop the DailyFlow rows of those days
    so that the next build_flows writes them again; whether there were any to drop."""
    with transaction.atomic():
        _lock()
        through = flows_through()
        if through is None or through < since:
            return False
        DailyFlow.objects.filter(day__gte=since).delete()
        SnapshotPolicy.objects.update_or_create(pk=1, defaults={"flows_through": since - timedelta(days=1)})
    return True


def flow_backdated(change: StageChange, created_at: datetime) -> None:
    """A transition row written with a moment of a day whose DailyFlow rows are written: add it to
    that day (in the writer's transaction, under the builder's lock so that a build running at the
    same time either counts it or is waited for)."""
    if change.kind not in ENTERS:
        return
    _lock()
    through = flows_through()
    day = timezone.localtime(change.changed_at, timezone.get_default_timezone()).date()
    if through is None or day > through:
        return
    won = change.kind == StageChange.Kind.WON
    cycle = (day - timezone.localtime(created_at, timezone.get_default_timezone()).date()).days if won else 0
    bump(
        DailyFlow,
        {
            "day": day,
            "kind": change.kind,
            "from_stage_id": change.from_stage_id or change.to_stage_id,
            "to_stage_id": change.to_stage_id,
        },
        +1,
        {"amount": change.amount, "cycle_days": cycle},
    )


def flows_drift(repair: bool = False) -> dict[date, int]:
    """Compare the DailyFlow rows with the history: {day: groups that differ}; `repair` rewrites them
    all (under the builder's lock)."""
    through = flows_through()
    if through is None:
        return {}
    with transaction.atomic():
        if repair:
            _lock()

        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            return (r["day"], r["kind"], r["start"], r["to_stage_id"])

        expected = {
            key(r): (r["n"], _norm(r["amount_sum"]), r["cycle"])
            for r in _flow_rows(StageChange.objects.filter(changed_at__lt=end_of(through)))
        }
        held = {
            (r.day, r.kind, r.from_stage_id, r.to_stage_id): (r.count, _norm(r.amount), r.cycle_days)
            for r in DailyFlow.objects.exclude(count=0)
        }
        found: dict[date, int] = {}
        for k in set(expected) | set(held):
            if expected.get(k) != held.get(k):
                found[k[0]] = found.get(k[0], 0) + 1
        if found and repair:
            DailyFlow.objects.all().delete()
            _write_flows(StageChange.objects.filter(changed_at__lt=end_of(through)))
    return found


# --- keeping snapshots exact ------------------------------------------------------------------------


def _expected(snap: PipelineSnapshot, opp_ids: Iterable[int] | None = None) -> dict[int, tuple[Any, ...]]:
    rows = in_force(end_of(snap.taken_on), list(opp_ids) if opp_ids is not None else None).filter(status=OPEN)
    return {
        r[0]: tuple(r[1:])
        for r in rows.values_list(  # type: ignore[misc]  # entered_day is in_force's annotation
            "opportunity_id",
            "id",
            "to_stage_id",
            "to_level_id",
            "probability",
            "amount",
            "currency",
            "expected_close_date",
            "forecast_category",
            "owner_id",
            "team_id",
            "entered_day",
        )
    }


def _held(snap: PipelineSnapshot, opp_ids: Iterable[int] | None = None) -> dict[int, tuple[Any, ...]]:
    rows = SnapshotDeal.objects.filter(snapshot=snap)
    if opp_ids is not None:
        rows = rows.filter(opportunity_id__in=list(opp_ids))
    return {r[0]: tuple(r[1:]) for r in rows.values_list("opportunity_id", *COLUMNS[2:])}


def _norm(v: Any) -> Any:
    return Decimal(str(v)).normalize() if isinstance(v, (float, Decimal)) else v


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return tuple(map(_norm, a)) == tuple(map(_norm, b))


def _repair(
    snap: PipelineSnapshot, expected: dict[int, tuple[Any, ...]], held: dict[int, tuple[Any, ...]]
) -> int:
    wrong = [
        pk
        for pk in set(expected) | set(held)
        if pk not in held or pk not in expected or not _same(held[pk], expected[pk])
    ]
    if not wrong:
        return 0
    groups = {_group_of(held[pk]) for pk in wrong if pk in held} | {
        _group_of(expected[pk]) for pk in wrong if pk in expected
    }
    SnapshotDeal.objects.filter(snapshot=snap, opportunity_id__in=wrong).delete()
    SnapshotDeal.objects.bulk_create(
        [
            SnapshotDeal(
                snapshot=snap, opportunity_id=pk, **dict(zip(COLUMNS[2:], expected[pk], strict=True))
            )
            for pk in wrong
            if pk in expected
        ],
        batch_size=2000,
    )
    write_totals(snap, groups)
    PipelineSnapshot.objects.filter(pk=snap.pk).update(
        deals=SnapshotDeal.objects.filter(snapshot=snap).count()
    )
    return len(wrong)


def _group_of(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The SnapshotTotal group (TOTAL_KEY) of a deal's values in COLUMNS[2:] order."""
    columns = COLUMNS[2:]
    return tuple(values[columns.index(name)] for name in TOTAL_KEY)


def drift(
    repair: bool = False, progress: Callable[[PipelineSnapshot, int], None] | None = None
) -> dict[date, int]:
    """Compare every complete snapshot with the history: {day: deals that differ, plus SnapshotTotal
    groups that differ from the snapshot's deals, plus DailyFlow groups of that day that differ from
    the history}, only days with a difference; `repair` rewrites them (under the builder's lock)."""
    found = {}
    for snap in PipelineSnapshot.objects.filter(complete=True).order_by("taken_on"):
        with transaction.atomic():
            if repair:
                _lock()
            expected, held = _expected(snap), _held(snap)
            wrong = (
                _repair(snap, expected, held)
                if repair
                else sum(
                    1
                    for pk in set(expected) | set(held)
                    if pk not in held or pk not in expected or not _same(held[pk], expected[pk])
                )
            )
            groups = totals_drift(snap)
            if groups and repair:
                write_totals(snap)
            wrong += groups
        if wrong:
            found[snap.taken_on] = wrong
        if progress is not None:
            progress(snap, wrong)
    for day, groups in flows_drift(repair).items():
        found[day] = found.get(day, 0) + groups
    return found


def refresh(opp_id: int, since: datetime) -> int:
    """A history row of deal `opp_id` was written with the moment `since`, earlier than now: rewrite
    that deal in every snapshot whose day ended after it (call it in the writer's transaction)."""
    snaps = list(PipelineSnapshot.objects.filter(taken_on__gte=timezone.localtime(since).date()))
    fixed = 0
    for snap in snaps:
        if end_of(snap.taken_on) <= since:
            continue
        fixed += _repair(snap, _expected(snap, [opp_id]), _held(snap, [opp_id]))
    return fixed
