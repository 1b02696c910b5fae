"""The funnel report (METHODOLOGY §8.1) for a scope, a process template and a slice, at any `as_of`.

Per stage: open deals, amount, weighted amount, average age in the stage; conversion out of the
stage; and for the scope: win rate, average won amount, cycle length and sales velocity over the
history window (ForecastPolicy.history_days before `as_of`).

- At `as_of` today the open deals are read as they are now: from the summary table PipelineTotal
  when no slice needs the deals themselves, else from the opportunities.
- At a past `as_of` the open deals are the pipeline as it stood at the end of that day
  (kadence.pipeline.snapshots: the nearest weekly snapshot plus the deals changed since): each deal's
  history row in force then says its stage, level, probability, amount and status, its age in the
  stage counts from its last transition row (when it entered that stage), and it counts under the
  owner and team of that moment.
- Flows (conversion, win rate, won amounts, cycle) come from the stage history in the window, each
  transition counted under the owner and team its history row names (who held the deal at that
  moment; a deal reassigned since keeps its earlier transitions with their makers): from the summary
  table StageFlow (kept by those keys) without a slice, else from StageChange; for the whole company
  at a past date from DailyFlow (the company's transitions per ended day, written by the snapshot
  builder). So a scope's flows at a past date are the same whatever happened after it.
- The whole company's open deals at a past date read the snapshot's SnapshotTotal rows less its rows
  of the deals changed since, plus those deals as they stood: a cost that follows the changes, not the
  size of the pipeline.

Every figure is a grouped SQL aggregate; Python only combines a handful of grouped rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from kadence.core.models import User
from kadence.core.visibility import Scope
from kadence.domain import funnel as domain
from kadence.domain.periods import history_window_start
from kadence.pipeline import snapshots
from kadence.pipeline.expressions import EPOCH, WEIGHTED, EpochDays, held_in, qualified
from kadence.pipeline.ladder import level_ladder
from kadence.pipeline.models import (
    DailyFlow,
    Opportunity,
    PipelineTotal,
    ProcessTemplate,
    Stage,
    StageChange,
    StageFlow,
)
from kadence.planning.models import ForecastPolicy

ZERO = Decimal(0)


@dataclass(frozen=True)
class Slice:
    """Optional narrowing of a funnel to deals of a product line, an account industry or an account
    size (the account tier available today)."""

    product_line_id: int | None = None
    industry_id: int | None = None
    account_size: str = ""

    @property
    def empty(self) -> bool:
        return not (self.product_line_id or self.industry_id or self.account_size)

    def q(self, prefix: str = "") -> Q:
        q = Q()
        if self.product_line_id:
            q &= Q(**{f"{prefix}product_lines": self.product_line_id})
        if self.industry_id:
            q &= Q(**{f"{prefix}account__industry_id": self.industry_id})
        if self.account_size:
            q &= Q(**{f"{prefix}account__size": self.account_size})
        return q


@dataclass
class StageRow:
    """One stage of the funnel at `as_of`. `conversion` = advanced ÷ (advanced + lost) out of this
    stage in the window (None without any); `avg_age` in days (None when the stage is empty)."""

    stage: Stage
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    avg_age: Decimal | None = None
    age_total: Decimal = ZERO  # Σ age (days) of the stage's deals: the totals' average comes from it
    advanced: int = 0
    lost: int = 0
    conversion: Decimal | None = None


@dataclass
class FunnelReport:
    scope: Scope
    template: ProcessTemplate
    as_of: date
    window_start: date
    slice: Slice
    stages: list[StageRow]
    won: int = 0
    lost: int = 0
    won_amount: Decimal = ZERO
    win_rate: Decimal | None = None
    avg_won_amount: Decimal | None = None
    cycle_days: Decimal | None = None
    open_qualified: int = 0
    velocity: Decimal | None = None
    source: str = "live"  # "summary", "live" or "history"
    probabilities: str = "configured"
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(r.count for r in self.stages)

    @property
    def amount(self) -> Decimal:
        return sum((r.amount for r in self.stages), ZERO)

    @property
    def weighted(self) -> Decimal:
        return sum((r.weighted for r in self.stages), ZERO)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _deals(scope: Scope, template: ProcessTemplate, cut: Slice) -> QuerySet[Opportunity]:
    qs = scope.filter(Opportunity.objects.filter(template=template))
    return qs.filter(cut.q()).distinct() if cut.product_line_id else qs.filter(cut.q())


def _fill(rows: dict[int, StageRow], grouped: Iterable[dict], key: str, as_of: date) -> int:
    """Put grouped figures (n, amount_sum, w, days = Σ entry day numbers, qualified) on the stage
    rows; returns the number of qualified deals."""
    qualified = 0
    for row in grouped:
        target = rows.get(row[key])
        if target is None or not row["n"]:
            continue
        target.count, target.amount = row["n"], row["amount_sum"] or ZERO
        target.weighted = (row["w"] or ZERO).quantize(Decimal("0.01"))
        target.age_total = Decimal((as_of - EPOCH).days) * row["n"] - Decimal(row["days"])
        age = domain.average_age(row["n"], target.age_total)
        target.avg_age = age.quantize(Decimal("0.1")) if age is not None else None
        qualified += row["qualified"] or 0
    return qualified


def _open_now(
    scope: Scope,
    template: ProcessTemplate,
    cut: Slice,
    as_of: date,
    rows: dict[int, StageRow],
    summaries: bool,
) -> tuple[int, str]:
    """Fill the stage rows with today's open deals; returns (qualified count, source)."""
    ladder = level_ladder()
    if summaries:
        totals = (
            scope.filter(PipelineTotal.objects.filter(stage__template=template, count__gt=0))
            .values("stage_id")
            .annotate(
                n=Sum("count"),
                amount_sum=Sum("amount"),
                w=Sum("weighted"),
                days=Sum("entered_days"),
                qualified=Sum("count", filter=qualified(ladder)),
            )
        )
        return _fill(rows, totals, "stage_id", as_of), "summary"
    deals = _deals(scope, template, cut).filter(status=Opportunity.Status.OPEN)
    grouped = (
        Opportunity.objects.filter(pk__in=deals.values("pk"))
        .values("stage_id")
        .annotate(
            n=Count("id"),
            amount_sum=Sum("amount"),
            w=Sum(WEIGHTED),
            days=Sum(EpochDays("stage_entered_at")),
            qualified=Count("id", filter=qualified(ladder)),
        )
        .order_by()
    )
    return _fill(rows, grouped, "stage_id", as_of), "live"


def _merge(parts: Iterable[Iterable[dict]], key: str, signs: Iterable[int] | None = None) -> list[dict]:
    """Add up grouped rows (n, amount_sum, w, days, qualified) of several queries by `key`, each query
    with its sign (`signs`, default all +1: a part to take away is -1)."""
    merged: dict[object, dict] = {}
    parts = list(parts)
    for part, sign in zip(parts, signs or [1] * len(parts), strict=True):
        for row in part:
            into = merged.setdefault(
                row[key], {key: row[key], "n": 0, "amount_sum": ZERO, "w": ZERO, "days": 0, "qualified": 0}
            )
            into["n"] += sign * (row["n"] or 0)
            into["amount_sum"] += sign * Decimal(row["amount_sum"] or 0)
            into["w"] += sign * Decimal(row["w"] or 0)
            into["days"] += sign * (row["days"] or 0)
            into["qualified"] += sign * (row["qualified"] or 0)
    return list(merged.values())


def _open_then(
    scope: Scope, template: ProcessTemplate, cut: Slice, as_of: date, rows: dict[int, StageRow]
) -> int:
    """Fill the stage rows with the deals open at the end of `as_of` as they stood then, under the owner
    and team of that moment: the nearest pipeline snapshot plus the deals changed since, or the
    history alone before the first snapshot (kadence.pipeline.snapshots.at). Two grouped queries."""
    ladder = level_ladder()
    stood = snapshots.at(as_of, narrow=scope.filter if scope.q() else None)
    stage_ids = sorted(rows)
    sliced = None if cut.empty else _deals(Scope(), template, cut).values("pk")
    changed = scope.filter(stood.changed.filter(status=Opportunity.Status.OPEN, to_stage_id__in=stage_ids))
    if sliced is not None:
        changed = changed.filter(opportunity_id__in=sliced)
    parts = [
        changed.values("to_stage_id")
        .annotate(
            n=Count("id"),
            amount_sum=Sum("amount"),
            w=Sum(WEIGHTED),
            days=Sum("entered_day"),
            qualified=Count("id", filter=qualified(ladder, "to_level__order")),
        )
        .order_by()
    ]
    signs = [1]
    if stood.totals is not None and stood.replaced is not None and sliced is None and not scope.q():
        # the whole company: the snapshot's totals less its rows of the deals changed since (a few
        # thousand groups and the changed deals, not every open deal of the snapshot)
        parts.append(
            stood.totals.filter(stage_id__in=stage_ids)
            .values(to_stage_id=F("stage_id"))
            .annotate(
                n=Sum("count"),
                amount_sum=Sum("amount"),
                w=Sum("weighted"),
                days=Sum("entered_days"),
                qualified=Sum("count", filter=qualified(ladder)),
            )
            .order_by()
        )
        parts.append(_deal_sums(stood.replaced.filter(stage_id__in=stage_ids), ladder))
        signs += [1, -1]
    elif stood.kept is not None:
        kept = scope.filter(stood.kept.filter(stage_id__in=stage_ids))
        if sliced is not None:
            kept = kept.filter(opportunity_id__in=sliced)
        parts.append(_deal_sums(kept, ladder))
        signs.append(1)
    return _fill(rows, _merge(parts, "to_stage_id", signs), "to_stage_id", as_of)


@dataclass
class Flows:
    """Stage-history events in the window: (kind, from stage, to stage) → (count, amount, cycle days)."""

    pairs: dict[tuple[str, int, int], tuple[int, Decimal, int]] = field(default_factory=dict)

    def add(self, key: tuple[str, int, int], n: int, amount: Decimal, cycle: int) -> None:
        old = self.pairs.get(key, (0, ZERO, 0))
        self.pairs[key] = (old[0] + n, old[1] + amount, old[2] + cycle)


KINDS = ("advanced", "lost", "won")


def _flows_live(
    scope: Scope,
    sliced: QuerySet[Opportunity] | None,
    start: date,
    end: date,
    flows: Flows,
    stage_ids: list[int],
) -> None:
    """Add the history rows changed in [start, end] (dates, inclusive) that name the stages `stage_ids`
    (those of the template) and count under the scope (the owner and team each row names:
    kadence.pipeline.expressions.held_in), of the deals of `sliced` when given."""
    whose = held_in(scope) & Q(to_stage_id__in=stage_ids)
    if sliced is not None:
        whose &= Q(opportunity__in=sliced.values("pk"))
    window = StageChange.objects.filter(
        whose,
        kind__in=KINDS,
        changed_at__gte=_end_of(start - timedelta(days=1)),
        changed_at__lt=_end_of(end),
    )
    for r in (
        window.values("kind", "from_stage_id", "to_stage_id")
        .annotate(
            n=Count("id"),
            amount_sum=Sum("amount"),
            cycle=Sum(EpochDays("changed_at") - EpochDays("opportunity__created_at"), filter=Q(kind="won")),
        )
        .order_by()
    ):
        flows.add(
            (r["kind"], r["from_stage_id"] or r["to_stage_id"], r["to_stage_id"]),
            r["n"],
            r["amount_sum"] or ZERO,
            r["cycle"] or 0,
        )


def _flows_summary(
    scope: Scope, template: ProcessTemplate, first_month: date, last_month: date, flows: Flows
) -> None:
    """Add the StageFlow rows of the months in [first_month, last_month]."""
    rows = (
        scope.filter(
            StageFlow.objects.filter(
                to_stage__template=template, kind__in=KINDS, month__gte=first_month, month__lte=last_month
            )
        )
        .values("kind", "from_stage_id", "to_stage_id")
        .annotate(n=Sum("count"), amount_sum=Sum("amount"), cycle=Sum("cycle_days"))
        .order_by()
    )
    _add_flows(rows, flows)


def _deal_sums(rows: Any, ladder: Any) -> Any:
    """Snapshot deal rows summed per stage: count, amount, weighted, entry days, qualified."""
    return (
        rows.values(to_stage_id=F("stage_id"))
        .annotate(
            n=Count("id"),
            amount_sum=Sum("amount"),
            w=Sum(WEIGHTED),
            days=Sum("entered_day"),
            qualified=Count("id", filter=qualified(ladder)),
        )
        .order_by()
    )


def _add_flows(rows: Any, flows: Flows) -> None:
    """Add grouped flow rows (kind, from and to stage; n, amount_sum, cycle) to `flows`."""
    for r in rows:
        if r["n"]:
            flows.add(
                (r["kind"], r["from_stage_id"], r["to_stage_id"]),
                r["n"],
                r["amount_sum"] or ZERO,
                r["cycle"] or 0,
            )


def _flows_daily(template: ProcessTemplate, start: date, as_of: date, flows: Flows) -> bool:
    """Add the company's DailyFlow rows of the days in [start, as_of], if they are written through
    as_of (else nothing, and False)."""
    through = snapshots.flows_through()
    if through is None or through < as_of:
        return False
    rows = (
        DailyFlow.objects.filter(to_stage__template=template, kind__in=KINDS, day__gte=start, day__lte=as_of)
        .values("kind", "from_stage_id", "to_stage_id")
        .annotate(n=Sum("count"), amount_sum=Sum("amount"), cycle=Sum("cycle_days"))
        .order_by()
    )
    _add_flows(rows, flows)
    return True


def window_start(as_of: date, history_days: int) -> date:
    """The history window (kadence.domain.periods.history_window_start: whole months)."""
    return history_window_start(as_of, history_days)


def _flows(
    scope: Scope,
    template: ProcessTemplate,
    cut: Slice,
    start: date,
    as_of: date,
    today: date,
    summaries: bool,
    stage_ids: list[int],
) -> Flows:
    """The transitions of the window that count under the scope: each under the owner and team its
    history row names (who held the deal at that moment), so a past date's flows are those of then."""
    flows = Flows()
    sliced = None if cut.empty else _deals(Scope(), template, cut)
    if not summaries:
        _flows_live(scope, sliced, start, as_of, flows, stage_ids)
        return flows
    month = as_of.replace(day=1)
    if as_of >= today:  # nothing happened after today: the current month's rows are exact
        _flows_summary(scope, template, start, month, flows)
    elif not scope.q() and _flows_daily(template, start, as_of, flows):
        pass  # the whole company at a past date: its daily flows (a few rows a day)
    else:
        last_full = (month - timedelta(days=1)).replace(day=1)
        if last_full >= start:
            _flows_summary(scope, template, start, last_full, flows)
        _flows_live(scope, sliced, month, as_of, flows, stage_ids)
    return flows


def funnel_report(
    user: User,
    scope: Scope,
    *,
    template: ProcessTemplate,
    as_of: date,
    today: date,
    cut: Slice | None = None,
    use_summaries: bool = True,
) -> FunnelReport:
    """The funnel of `scope` for `template` at `as_of` (see the module docstring). `user` is the
    viewer; `scope` must come from kadence.core.visibility.resolve_scope(user, …). `use_summaries`
    False reads the deals and the history directly (the reference the summaries are tested against)."""
    del user  # the scope already encodes what the user may see
    cut = cut or Slice()
    summaries = use_summaries and cut.empty
    policy = ForecastPolicy.current()
    start = window_start(as_of, policy.history_days)
    stages = list(Stage.objects.filter(template=template).select_related("default_level").order_by("order"))
    open_stages = [s for s in stages if not s.is_won]
    rows = {s.pk: StageRow(s) for s in open_stages}
    if as_of >= today:
        qualified, source = _open_now(scope, template, cut, as_of, rows, summaries)
    else:
        qualified, source = _open_then(scope, template, cut, as_of, rows), "history"
    flows = _flows(scope, template, cut, start, as_of, today, summaries, [s.pk for s in stages])
    order = {s.pk: s.order for s in stages}
    won = lost = cycle = 0
    won_amount = ZERO
    for (kind, from_id, to_id), (n, amount, days) in flows.pairs.items():
        if kind == "won":
            won += n
            won_amount += amount
            cycle += days
        elif kind == "lost":
            lost += n
            if from_id in rows:
                rows[from_id].lost += n
        if kind in ("advanced", "won"):
            low, high = order.get(from_id, 0), order.get(to_id, 0)
            for row in rows.values():
                if low <= row.stage.order < high:
                    row.advanced += n
    for row in rows.values():
        row.conversion = domain.stage_conversion(row.advanced, row.lost)
    rate = domain.win_rate(won, lost)
    avg_won = (won_amount / won).quantize(Decimal("0.01")) if won else None
    cycle_days = (Decimal(cycle) / won).quantize(Decimal("0.1")) if won else None
    velocity = domain.velocity_from_sums(qualified, won, lost, won_amount, cycle)  # from the sums, unrounded
    return FunnelReport(
        scope=scope,
        template=template,
        as_of=as_of,
        window_start=start,
        slice=cut,
        stages=[rows[s.pk] for s in open_stages],
        won=won,
        lost=lost,
        won_amount=won_amount,
        win_rate=rate,
        avg_won_amount=avg_won,
        cycle_days=cycle_days,
        open_qualified=qualified,
        velocity=velocity.quantize(Decimal("0.01")) if velocity is not None else None,
        source=source,
    )
