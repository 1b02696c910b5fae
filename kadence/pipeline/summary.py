"""Keeping the summary tables exact (PipelineTotal, WonTotal, StageFlow; see their docstrings).

The pipeline and deal-control services that change a deal run under `tracking(opp_id)` (or the
`keeps_totals` decorator; kadence.pipeline.changes wraps both with the history), in their transaction: the deal's contribution moves from its old key to its
new one. `kadence.pipeline.changes.write` calls `flow_add` for every new transition row: a
transition counts under the owner and team its history row names (kadence.pipeline.expressions.holder: who
held the deal at that moment), so StageFlow rows never move (a reassignment changes who holds the deal's later
transitions, not who made the earlier ones). `rebuild()` recomputes both
tables from the opportunities and the history with grouped SQL (after a bulk load, or to check).

Days are local day numbers (days since 1970-01-01 in settings.TIME_ZONE, the calendar the users and
`as_of` live in): `entered_days` sums the day a deal entered its stage; a win's `cycle_days` is its day
number minus its creation's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar, cast

from django.db import connection, transaction
from django.db.models import (
    Count,
    F,
    Model,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from kadence.domain.funnel import weighted_amount
from kadence.pipeline import month_ends, stays
from kadence.pipeline.bumps import add_rows, drop_empty
from kadence.pipeline.bumps import bump as _bump
from kadence.pipeline.bumps import in_order as _in_order
from kadence.pipeline.expressions import WEIGHTED, EpochDays, epoch_days, holder
from kadence.pipeline.models import (
    MonthEndPipeline,
    Opportunity,
    PipelineTotal,
    StageChange,
    StageFlow,
    WonTotal,
)

Service = TypeVar("Service", bound=Callable[..., Any])
TRANSITIONS = StageChange.TRANSITIONS  # the history rows StageFlow counts (not changes inside a stage)
ZERO = Decimal(0)


def month_of(moment: datetime | date) -> date:
    day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
    return day.replace(day=1)


# --- PipelineTotal -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    key: tuple[int, int, int, int, str, date]  # owner, team, stage, level, category, close month
    amount: Decimal
    weighted: Decimal
    entered_days: int


@dataclass(frozen=True)
class WonContribution:
    key: tuple[int, int, date]  # owner, team, close month
    amount: Decimal
    weighted: Decimal


FIELDS = (
    "owner_id",
    "team_id",
    "stage_id",
    "level_id",
    "forecast_category",
    "expected_close_date",
    "amount",
    "probability",
    "stage_entered_at",
    "status",
    "closed_on",
)

State = tuple[Contribution | None, WonContribution | None]


def contribution(opp_id: int, *, lock: bool = False) -> State:
    """What the deal adds to PipelineTotal (when open) and to WonTotal (when won) now. With `lock`,
    read under the deal's write lock (see lock_opportunity), so no other writer can change it
    before this transaction moves it."""
    qs = Opportunity.objects.filter(pk=opp_id)
    if lock:
        qs = qs.select_for_update(no_key=True)
    row = qs.values(*FIELDS).first()
    if row is None:
        return None, None
    weighted = weighted_amount(row["amount"], row["probability"])
    if row["status"] == Opportunity.Status.WON and row["closed_on"] is not None:
        return None, WonContribution(
            (row["owner_id"], row["team_id"], row["closed_on"].replace(day=1)), row["amount"], weighted
        )
    if row["status"] != Opportunity.Status.OPEN:
        return None, None
    key = (
        row["owner_id"],
        row["team_id"],
        row["stage_id"],
        row["level_id"],
        row["forecast_category"],
        row["expected_close_date"].replace(day=1),
    )
    return Contribution(key, row["amount"], weighted, epoch_days(row["stage_entered_at"])), None


def _state_bumps(state: State, sign: int) -> list[tuple[type[Model], dict, int, dict]]:
    total, won = state
    bumps: list[tuple[type[Model], dict, int, dict]] = []
    if total is not None:
        owner, team, stage, level, category, month = total.key
        bumps.append(
            (
                PipelineTotal,
                {
                    "owner_id": owner,
                    "team_id": team,
                    "stage_id": stage,
                    "level_id": level,
                    "forecast_category": category,
                    "close_month": month,
                },
                sign,
                {"amount": total.amount, "weighted": total.weighted, "entered_days": total.entered_days},
            )
        )
    if won is not None:
        owner, team, month = won.key
        bumps.append(
            (
                WonTotal,
                {"owner_id": owner, "team_id": team, "closed_month": month},
                sign,
                {"amount": won.amount, "weighted": won.weighted},
            )
        )
    return bumps


def _apply_state(state: State, sign: int) -> None:
    for model, key, s, values in _in_order(_state_bumps(state, sign)):
        _bump(model, key, s, values)


class Tracked:
    """A deal's contribution before a change; `commit()` after the change moves it. Use `tracking`
    (or the `keeps_totals` decorator), which is re-entrant: a service calling another service on the
    same deal moves the contribution once, at the end of the outermost one."""

    def __init__(self, opp_id: int) -> None:
        self.opp_id = opp_id
        # The deal's lock first, then its contribution: what is subtracted at commit is what the
        # deal counted for when no one else could change it any more.
        self.before = contribution(opp_id, lock=True)

    def commit(self) -> None:
        after = contribution(self.opp_id)
        if after == self.before:
            return
        for model, key, sign, values in _in_order(_state_bumps(self.before, -1) + _state_bumps(after, +1)):
            _bump(model, key, sign, values)
        self.before = after


_active = threading.local()


@contextmanager
def tracking(opp_id: int) -> Iterator[None]:
    """Move the deal's PipelineTotal contribution from before the block to after it. Entering takes
    the deal's row lock (held to the end of the transaction, so use it inside one)."""
    active: set[int] = getattr(_active, "ids", None) or set()
    _active.ids = active
    if opp_id in active:
        yield
        return
    tracked = Tracked(opp_id)
    active.add(opp_id)
    try:
        yield
        tracked.commit()
    finally:
        active.discard(opp_id)


def keeps_totals(func: Service) -> Service:
    """Decorate a service `f(user, opp_id, ...)` so the summary follows the deal it changes."""

    @wraps(func)
    def wrapper(user: Any, opp_id: int, *args: Any, **kwargs: Any) -> Any:
        with tracking(int(opp_id)):
            return func(user, opp_id, *args, **kwargs)

    return cast(Service, wrapper)  # the service's own signature, for its callers


def added(opp_id: int) -> None:
    """A new deal: add its contribution."""
    _apply_state(contribution(opp_id), +1)


# --- StageFlow ----------------------------------------------------------------------------------------


def flow_add(change: StageChange, owner_id: int, team_id: int, created_at: datetime) -> None:
    """Count one new transition row (a kind of TRANSITIONS) under the owner and team it names (the
    deal's at that moment: `owner_id`, `team_id`)."""
    cycle = (
        epoch_days(change.changed_at) - epoch_days(created_at) if change.kind == StageChange.Kind.WON else 0
    )
    _bump(
        StageFlow,
        {
            "owner_id": owner_id,
            "team_id": team_id,
            "month": month_of(change.changed_at),
            "kind": change.kind,
            "from_stage_id": change.from_stage_id or change.to_stage_id,
            "to_stage_id": change.to_stage_id,
        },
        +1,
        {"amount": change.amount, "days": change.days_in_from_stage or 0, "cycle_days": cycle},
    )


# --- rebuild ------------------------------------------------------------------------------------------


def _models(get_model: Callable[[str, str], Any] | None) -> dict[str, Any]:
    return {
        name: (get_model("pipeline", name) if get_model else globals()[name])
        for name in ("Opportunity", "PipelineTotal", "StageChange", "StageFlow", "WonTotal")
    }


def _pipeline_totals(opportunity: Any, pipeline_total: Any, deals: Any = None) -> list[Model]:
    opps = opportunity.objects.all() if deals is None else opportunity.objects.filter(pk__in=deals)
    totals = (
        opps.filter(status="open")
        .annotate(close_month=TruncMonth("expected_close_date"))
        .values("owner_id", "team_id", "stage_id", "level_id", "forecast_category", "close_month")
        .annotate(
            n=Count("id"), amount_sum=Sum("amount"), w=Sum(WEIGHTED), days=Sum(EpochDays("stage_entered_at"))
        )
        .order_by()
    )
    return [
        pipeline_total(
            owner_id=r["owner_id"],
            team_id=r["team_id"],
            stage_id=r["stage_id"],
            level_id=r["level_id"],
            forecast_category=r["forecast_category"],
            close_month=_as_date(r["close_month"]),
            count=r["n"],
            amount=r["amount_sum"],
            weighted=r["w"],
            entered_days=r["days"],
        )
        for r in totals.iterator()
    ]


@transaction.atomic
def rebuild_pipeline_totals(get_model: Callable[[str, str], Any] | None = None) -> int:
    """Recompute PipelineTotal alone (the open deals' totals) with grouped SQL, after a bulk change of
    open deals' levels, stages or amounts that wrote no transition (StageFlow counts transitions,
    WonTotal won deals: neither moves). Returns its row count."""
    models = _models(get_model)
    return _replace(models["PipelineTotal"], _pipeline_totals(models["Opportunity"], models["PipelineTotal"]))


def _replace(model: Any, rows: list[Model]) -> int:
    """Replace every row of the summary `model` with `rows`; its new row count."""
    model.objects.all().delete()
    model.objects.bulk_create(rows, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return int(model.objects.count())


def _stage_flows(stage_change: Any, stage_flow: Any, changes: Any = None) -> list[Model]:
    """The StageFlow rows the history gives (unsaved): its transitions per month under the owner and
    team each names (`holder`); of the rows `changes` when given (the deals an import adds)."""
    StageChange, StageFlow = stage_change, stage_flow  # noqa: N806
    named = {f.name for f in StageChange._meta.get_fields()}
    # (a migration before the history named owners (0016) runs this on rows without them: the deal's)
    owner, team = (
        (holder("owner"), holder("team"))
        if "owner" in named
        else (F("opportunity__owner_id"), F("opportunity__team_id"))
    )
    flows = (
        (StageChange.objects.all() if changes is None else changes)
        .filter(kind__in=TRANSITIONS)
        .annotate(
            m=TruncMonth("changed_at"),
            start=Coalesce("from_stage_id", "to_stage_id"),
            held_owner=owner,
            held_team=team,
        )
        .values("held_owner", "held_team", "m", "kind", "start", "to_stage_id")
        .annotate(
            n=Count("id"),
            amount_sum=Sum("amount"),
            days_sum=Coalesce(Sum("days_in_from_stage"), 0),
            cycle=Coalesce(
                Sum(EpochDays("changed_at") - EpochDays("opportunity__created_at"), filter=Q(kind="won")),
                Value(0),
            ),
        )
        .order_by()
    )
    return [
        StageFlow(
            owner_id=r["held_owner"],
            team_id=r["held_team"],
            month=_as_date(r["m"]),
            kind=r["kind"],
            from_stage_id=r["start"],
            to_stage_id=r["to_stage_id"],
            count=r["n"],
            amount=r["amount_sum"],
            days=r["days_sum"],
            cycle_days=r["cycle"],
        )
        for r in flows.iterator()
    ]


def expected_rows(
    get_model: Callable[[str, str], Any] | None = None, deals: Any = None
) -> dict[str, list[Model]]:
    """The summary rows (unsaved) that the deals and their history give now, per summary model name,
    computed with grouped SQL: what `rebuild` writes and what `drift` compares with. With `deals` (a
    query of deal ids), what those deals alone add (`add_deals`)."""
    models = _models(get_model)
    Opportunity, PipelineTotal, StageChange, StageFlow, WonTotal = (  # noqa: N806
        models["Opportunity"],
        models["PipelineTotal"],
        models["StageChange"],
        models["StageFlow"],
        models["WonTotal"],
    )
    opps = Opportunity.objects.all() if deals is None else Opportunity.objects.filter(pk__in=deals)
    changes = (
        StageChange.objects.all() if deals is None else StageChange.objects.filter(opportunity_id__in=deals)
    )
    won = (
        opps.filter(status="won", closed_on__isnull=False)
        .annotate(closed_month=TruncMonth("closed_on"))
        .values("owner_id", "team_id", "closed_month")
        .annotate(n=Count("id"), amount_sum=Sum("amount"), w=Sum(WEIGHTED))
        .order_by()
    )
    return {
        "WonTotal": [
            WonTotal(
                owner_id=r["owner_id"],
                team_id=r["team_id"],
                closed_month=_as_date(r["closed_month"]),
                count=r["n"],
                amount=r["amount_sum"],
                weighted=r["w"],
            )
            for r in won.iterator()
        ],
        "PipelineTotal": _pipeline_totals(Opportunity, PipelineTotal, deals),
        "StageFlow": _stage_flows(StageChange, StageFlow, changes),
    }


@transaction.atomic
def rebuild(get_model: Callable[[str, str], Any] | None = None) -> tuple[int, int]:
    """Recompute PipelineTotal, WonTotal and StageFlow from scratch with grouped SQL; returns the row
    counts of PipelineTotal and StageFlow. `get_model` (a migration's apps.get_model) lets a data
    migration run it against the historical models."""
    models = _models(get_model)
    for name in ("PipelineTotal", "StageFlow", "WonTotal"):
        models[name].objects.all().delete()
    for name, rows in expected_rows(get_model).items():
        models[name].objects.bulk_create(rows, batch_size=5000)
    if get_model is None:  # the live models: the month-end pipeline and the stays too (their
        # migrations fill them themselves)
        month_ends.rebuild()
        stays.rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE pipeline_pipelinetotal")
            cursor.execute("ANALYZE pipeline_stageflow")
            cursor.execute("ANALYZE pipeline_wontotal")
    return models["PipelineTotal"].objects.count(), models["StageFlow"].objects.count()


@transaction.atomic
def rebuild_stage_flows(get_model: Callable[[str, str], Any] | None = None) -> int:
    """Recompute StageFlow alone (after its key changed to the owner and team of each transition's
    moment: migration 0028); returns its row count."""
    models = _models(get_model)
    return _replace(models["StageFlow"], _stage_flows(models["StageChange"], models["StageFlow"]))


def add_deals(deals: Any) -> None:
    """Deals written in bulk with their history (an import's new deals; `deals` is a query of their
    ids) and not counted yet: add what they contribute to PipelineTotal, WonTotal and StageFlow, set-based
    (the grouped rows of `expected_rows` for these deals alone, added to the stored ones), so that the
    summaries are what `rebuild` would give, at a cost that follows the deals added, not the database."""
    models = _models(None)
    for name, rows in expected_rows(deals=deals).items():
        add_rows(models[name], rows, KEYS[name], MEASURES[name])


def subtract_deals(deals: Any) -> None:
    """The inverse of `add_deals`: deals about to be removed in bulk with their history (an undone
    import's new deals; `deals` is a query of their ids, their rows still there) taken out of
    PipelineTotal, WonTotal and StageFlow, set-based; the rows left at zero removed, so that the
    summaries are what `rebuild` gives once the deals are gone."""
    models = _models(None)
    for name, rows in expected_rows(deals=deals).items():
        add_rows(models[name], rows, KEYS[name], MEASURES[name], sign=-1)
        drop_empty(models[name], MEASURES[name])


# --- drift --------------------------------------------------------------------------------------------

KEYS = {
    "PipelineTotal": ("owner_id", "team_id", "stage_id", "level_id", "forecast_category", "close_month"),
    "WonTotal": ("owner_id", "team_id", "closed_month"),
    "StageFlow": ("owner_id", "team_id", "month", "kind", "from_stage_id", "to_stage_id"),
    "MonthEndPipeline": ("month_end", "team_id", "stage_id"),
}
MEASURES = {
    "PipelineTotal": ("count", "amount", "weighted", "entered_days"),
    "WonTotal": ("count", "amount", "weighted"),
    "StageFlow": ("count", "amount", "days", "cycle_days"),
    "MonthEndPipeline": ("count", "amount", "weighted"),
}


@dataclass(frozen=True)
class Drift:
    """One summary key whose stored measures differ from what the deals give (`stored` / `expected`
    are None where the row is missing; a stored row of all zeros counts as missing)."""

    model: str
    key: tuple[Any, ...]
    stored: dict[str, Any] | None
    expected: dict[str, Any] | None


def _measures(row: Model, names: tuple[str, ...]) -> dict[str, Any]:
    values = {}
    for name in names:
        value = getattr(row, name)
        values[name] = (
            Decimal(value).quantize(Decimal("0.0001")) if isinstance(value, Decimal) else int(value or 0)
        )
    return values


def drift() -> list[Drift]:
    """Every summary key whose stored row differs from a recomputation (nothing is written), in a
    stable order. Empty when the summaries are exact."""
    found: list[Drift] = []
    models: dict[str, Any] = {**_models(None), "MonthEndPipeline": MonthEndPipeline}
    recomputed: dict[str, list[Model]] = {**expected_rows(), "MonthEndPipeline": month_ends.expected_rows()}
    for name, rows in recomputed.items():
        keys, measures = KEYS[name], MEASURES[name]
        expected = {tuple(getattr(r, k) for k in keys): _measures(r, measures) for r in rows}
        stored = {}
        for row in models[name].objects.all().iterator():
            values = _measures(row, measures)
            if any(values.values()):
                stored[tuple(getattr(row, k) for k in keys)] = values
        for key in sorted(set(expected) | set(stored), key=lambda k: tuple(str(v) for v in k)):
            if expected.get(key) != stored.get(key):
                found.append(Drift(name, key, stored.get(key), expected.get(key)))
    for key, stored_count, expected_count in stays.drift():
        found.append(
            Drift(
                "StaySummary",
                key,
                {"count": stored_count} if stored_count else None,
                {"count": expected_count} if expected_count else None,
            )
        )
    wrong = stays.began_drift()
    if wrong:
        found.append(Drift("Opportunity.stay_began_at", (), {"deals differing": wrong}, None))
    return found


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
