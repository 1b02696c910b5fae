"""Reads behind the funnel pages that are not the funnel itself (kadence.insights.selectors.funnel):

- checking the funnel's inputs (process template, slice, as_of) the same way for the page and the API;
- the weighted pipeline over time: `funnel_report` at the end of each of the last months and today;
- the manager's funnel analysis (METHODOLOGY §8.5): one row per child of the scope (company → regions,
  region → teams, team → sellers) with open pipeline, coverage of the quarter's target, win rate,
  sales velocity, stall rate and expense execution, and the regional anomalies against the parent
  (kadence.domain.anomaly). Velocity grows with the size of a unit (a region's is part of the
  company's), so anomalies compare velocity per seller (active reps and inside-sales reps of the unit;
  a seller row counts 1); win rate, coverage and stall rate are compared as they are.

The analysis reads grouped aggregates only: the open pipeline from PipelineTotal, won and lost from
StageFlow (the same window as the funnel), the stall proxy from Opportunity, expenses and budgets
from Expense / ExpenseBudget, each grouped by team (or by owner when the children are sellers).
Teams are mapped to their child unit in Python over the few unit rows (materialised path prefixes).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from kadence.accounts.models import Account, Industry
from kadence.core.amounts import format_amount
from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import Scope, scope_unit_ids, sellers_q
from kadence.deals.models import Expense, ExpenseBudget
from kadence.domain import anomaly as anomaly_domain
from kadence.domain import funnel as domain
from kadence.domain.stall import StallPolicy
from kadence.insights.selectors.funnel import FunnelReport, Slice, funnel_report, window_start
from kadence.pipeline import month_ends as month_end_summary
from kadence.pipeline.expressions import held_in, qualified, stall_candidates, stalled_in_stage
from kadence.pipeline.ladder import level_ladder
from kadence.pipeline.models import (
    MonthEndPipeline,
    Opportunity,
    PipelineTotal,
    ProcessTemplate,
    ProductLine,
    Stage,
    StageChange,
    StageFlow,
)
from kadence.planning.models import ForecastPolicy, PeriodKind, Target

ZERO = Decimal(0)
CENT = Decimal("0.01")
RATE = Decimal("0.0001")
MICRO = Decimal("0.000001")
TREND_MONTHS = 6


# --- funnel inputs -------------------------------------------------------------------------------


def funnel_template(template_id: int | None) -> ProcessTemplate:
    """The process template asked for (an active one), else the default template."""
    active = ProcessTemplate.objects.filter(is_active=True)
    if template_id is None:
        template = active.order_by("-is_default", "id").first()
        if template is None:
            raise NotFound(_("No process template is configured."))
        return template
    template = active.filter(pk=template_id).first()
    if template is None:
        raise ValidationFailed(
            _("Unknown process template."),
            {"template_id": [_("Choose one of the active process templates.")]},
        )
    return template


def funnel_slice(
    product_line_id: int | None = None, industry_id: int | None = None, account_size: str | None = ""
) -> Slice:
    """The slice asked for, each part checked against the configuration (422 otherwise)."""
    errors: dict[str, list[str]] = {}
    if product_line_id and not ProductLine.objects.filter(pk=product_line_id).exists():
        errors["product_line_id"] = [_("Unknown product line.")]
    if industry_id and not Industry.objects.filter(pk=industry_id).exists():
        errors["industry_id"] = [_("Unknown industry.")]
    if account_size and account_size not in Account.Size.values:
        errors["account_size"] = [_("Unknown account size.")]
    if errors:
        raise ValidationFailed(_("The slice is not valid."), errors)
    return Slice(
        product_line_id=product_line_id or None,
        industry_id=industry_id or None,
        account_size=account_size or "",
    )


def check_as_of(as_of: date, today: date) -> date:
    if as_of > today:
        raise ValidationFailed(
            _("The funnel cannot be shown for a future date."),
            {"as_of": [_("Use today or an earlier date.")]},
        )
    return as_of


def source_label(source: str) -> str:
    """Where a funnel's open deals were read from, for people."""
    return {
        "summary": _("from summaries"),
        "live": _("live"),
        "history": _("reconstructed from the stage history"),
    }.get(source, source)


@dataclass(frozen=True)
class Totals:
    count: int
    amount: Decimal
    weighted: Decimal
    avg_age: Decimal | None


def funnel_totals(report: FunnelReport) -> Totals:
    """The totals row: sums, and the average age over all open deals, from the stages' unrounded sums
    of ages (rounded once, as shown)."""
    n = sum(r.count for r in report.stages)
    age = domain.average_age(n, sum((r.age_total for r in report.stages), ZERO))
    return Totals(
        report.count,
        report.amount,
        report.weighted,
        age.quantize(Decimal("0.1")) if age is not None else None,
    )


# --- weighted pipeline over time -----------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    as_of: date
    count: int
    amount: Decimal
    weighted: Decimal
    source: str


def month_ends(today: date, months: int = TREND_MONTHS) -> list[date]:
    """The last day of each of the `months` months before today's, oldest first, then today."""
    first = today.replace(day=1)
    ends = []
    for back in range(months - 1, -1, -1):
        month_end = first - timedelta(days=1)  # end of the month before `first`
        for _step in range(back):
            month_end = month_end.replace(day=1) - timedelta(days=1)
        ends.append(month_end)
    return [*ends, today]


def open_pipeline_at(
    scope: Scope, template: ProcessTemplate, cut: Slice, days: list[date]
) -> dict[date, TrendPoint]:
    """The open deals (count, amount, weighted) of the scope at the end of each of `days`, reconstructed
    from the stage history in one pass (kadence.pipeline.month_ends.reconstruct), exactly as
    funnel_report reconstructs one past date: under the owner and team that held each deal then. The reference the month-end summary is tested against,
    and the path for a slice (the summary has no product line, industry or account size)."""
    if not days:
        return {}
    deals = Opportunity.objects.filter(template=template)
    deals = deals.filter(cut.q()).distinct() if cut.product_line_id else deals.filter(cut.q())
    where = held_in(scope)
    if scope.q():  # the deals that ever counted under the scope (its history rows' owner and team indexes)
        deals = deals.filter(pk__in=StageChange.objects.filter(where).values("opportunity_id"))
    per_stage = month_end_summary.reconstruct(days, deals=deals, where=where if scope.q() else None)
    return _points(days, {stage: per_day for (stage,), per_day in per_stage.items()}, template, "history")


def _points(
    days: list[date],
    per_stage: dict[int, dict[date, month_end_summary.Held]],
    template: ProcessTemplate,
    source: str,
) -> dict[date, TrendPoint]:
    """Sum the open stages of `template` per day; the weighted amount rounded to cents per stage, as
    funnel_report rounds its stage rows."""
    open_stages = set(Stage.objects.filter(template=template, is_won=False).values_list("pk", flat=True))
    totals: dict[date, list[Any]] = {day: [0, ZERO, ZERO] for day in days}
    for stage, per_day in per_stage.items():
        if stage not in open_stages:
            continue
        for day, held in per_day.items():
            total = totals[day]
            total[0] += held.count
            total[1] += held.amount
            total[2] += held.weighted.quantize(CENT)
    return {
        day: TrendPoint(day, int(t[0]), Decimal(t[1]).quantize(CENT), Decimal(t[2]), source)
        for day, t in totals.items()
    }


def month_end_pipeline(scope: Scope, template: ProcessTemplate, days: list[date]) -> dict[date, TrendPoint]:
    """The open pipeline of the scope at the end of each of `days` from the month-end summary (per team)
    for the month-ends that have ended (built on first use, kadence.pipeline.month_ends.ensure),
    reconstructed from the history for any other day and for one seller's own deals (a book of a few
    hundred deals, cheaper than a summary read). Equal to open_pipeline_at."""
    if scope.owner is not None:
        return open_pipeline_at(scope, template, Slice(), days)
    built = sorted(month_end_summary.ensure(days))
    per_stage: dict[int, dict[date, month_end_summary.Held]] = {}
    rows = (
        scope.filter(MonthEndPipeline.objects.filter(month_end__in=built, stage__template=template))
        .values("month_end", "stage_id")
        .annotate(n=Sum("count"), a=Sum("amount"), w=Sum("weighted"))
        .order_by()
    )
    for row in rows if built else ():
        if row["n"]:
            per_stage.setdefault(row["stage_id"], {})[row["month_end"]] = month_end_summary.Held(
                int(row["n"]),
                month_end_summary.number(row["a"]).quantize(CENT),
                month_end_summary.number(row["w"]),
            )
    points = _points(days, per_stage, template, "summary")
    rest = [day for day in days if day not in built]
    if rest:
        points.update(open_pipeline_at(scope, template, Slice(), rest))
    return points


def funnel_trend(
    user: User,
    scope: Scope,
    *,
    template: ProcessTemplate,
    today: date,
    cut: Slice | None = None,
    months: int = TREND_MONTHS,
) -> list[TrendPoint]:
    """The open pipeline (count, amount, weighted) of the scope at each of the last `months` month
    ends (reconstructed from the stage history in one pass, see open_pipeline_at) and today (the
    funnel as it is now)."""
    cut = cut or Slice()
    days = month_ends(today, months)
    past = (
        month_end_pipeline(scope, template, days[:-1])
        if cut.empty
        else open_pipeline_at(scope, template, cut, days[:-1])
    )
    now = funnel_report(user, scope, template=template, as_of=today, today=today, cut=cut)
    return [
        *(past[day] for day in days[:-1]),
        TrendPoint(today, now.count, now.amount, now.weighted.quantize(CENT), now.source),
    ]


# --- manager's analysis (§8.5) -------------------------------------------------------------------


def quarter_of(day: date) -> tuple[date, date]:
    """First and last day of the calendar quarter holding `day`."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    after = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, after - timedelta(days=1)


@dataclass
class Metrics:
    """The figures of one row (or of the parent): sums that add up, and the rates derived from them."""

    open_count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    qualified: int = 0
    quarter_amount: Decimal = ZERO
    target: Decimal | None = None
    won: int = 0
    lost: int = 0
    won_amount: Decimal = ZERO
    cycle_total: int = 0
    stall_open: int = 0
    stalled: int = 0
    spent: Decimal = ZERO
    budget: Decimal = ZERO
    sellers: int = 0

    def add(self, other: Metrics) -> None:
        for name in (
            "open_count",
            "amount",
            "weighted",
            "qualified",
            "quarter_amount",
            "won",
            "lost",
            "won_amount",
            "cycle_total",
            "stall_open",
            "stalled",
            "spent",
            "budget",
            "sellers",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def win_rate(self) -> Decimal | None:
        rate = domain.win_rate(self.won, self.lost)
        return rate.quantize(RATE) if rate is not None else None

    @property
    def avg_won_amount(self) -> Decimal | None:
        return (self.won_amount / self.won).quantize(CENT) if self.won else None

    @property
    def cycle_days(self) -> Decimal | None:
        return (Decimal(self.cycle_total) / self.won).quantize(Decimal("0.1")) if self.won else None

    @property
    def velocity(self) -> Decimal | None:
        """Computed as the funnel computes it: from the sums, nothing rounded on the way."""
        value = domain.velocity_from_sums(
            self.qualified, self.won, self.lost, self.won_amount, self.cycle_total
        )
        return value.quantize(CENT) if value is not None else None

    @property
    def velocity_per_seller(self) -> Decimal | None:
        """Velocity grows with the size of a unit; anomalies compare it per seller."""
        velocity = self.velocity
        return (velocity / self.sellers).quantize(CENT) if velocity is not None and self.sellers else None

    @property
    def coverage(self) -> Decimal | None:
        """Open amount closing in the quarter ÷ the quarter's target (None without a positive target)."""
        if not self.target or self.target <= 0:
            return None
        return (self.quarter_amount / self.target).quantize(RATE)

    @property
    def stall_rate(self) -> Decimal | None:
        return (Decimal(self.stalled) / self.stall_open).quantize(RATE) if self.stall_open else None

    @property
    def expense_execution(self) -> Decimal | None:
        return (self.spent / self.budget).quantize(RATE) if self.budget else None

    def anomaly_values(self) -> dict[str, Decimal | None]:
        return {
            anomaly_domain.WIN_RATE: self.win_rate,
            anomaly_domain.VELOCITY: self.velocity_per_seller,
            anomaly_domain.COVERAGE: self.coverage,
            anomaly_domain.STALL_RATE: self.stall_rate,
        }


@dataclass
class AnalysisRow:
    """One child of the scope: a unit (`unit`), a seller (`owner`), or the deals booked on the parent
    unit itself (`kind` "direct")."""

    kind: str
    label: str
    metrics: Metrics
    unit: OrgUnit | None = None
    owner: User | None = None
    anomalies: list[anomaly_domain.Anomaly[int]] = field(default_factory=list)

    @property
    def drill(self) -> dict[str, int] | None:
        """The query that drills into this row (None: nothing below it)."""
        if self.unit is not None:
            return {"unit_id": self.unit.pk}
        if self.owner is not None:
            return {"owner_id": self.owner.pk}
        return None


@dataclass
class Crumb:
    label: str
    unit_id: int | None
    reachable: bool


@dataclass
class AnalysisReport:
    scope: Scope
    parent_label: str
    parent: Metrics
    rows: list[AnalysisRow]
    child_kind: str  # "unit", "owner", or "" (a single seller)
    today: date
    window_start: date
    quarter_start: date
    quarter_end: date
    threshold: Decimal
    stall_factor: Decimal
    crumbs: list[Crumb]

    @property
    def anomalies(self) -> list[tuple[AnalysisRow, anomaly_domain.Anomaly[int]]]:
        return [(row, found) for row in self.rows for found in row.anomalies]


def _grouped(
    scope: Scope, key: str, *, today: date, start: date, quarter: tuple[date, date], stall: StallPolicy
) -> dict[int, Metrics]:
    """Metrics per `key` ("team_id" or "owner_id") of everything in the scope, in six grouped queries."""
    out: dict[int, Metrics] = defaultdict(Metrics)
    ladder = level_ladder()
    totals = (
        scope.filter(PipelineTotal.objects.filter(count__gt=0))
        .values(key)
        .annotate(
            n=Sum("count"),
            amount_sum=Sum("amount"),
            w=Sum("weighted"),
            qualified=Sum("count", filter=qualified(ladder)),
            quarter=Sum("amount", filter=Q(close_month__gte=quarter[0], close_month__lte=quarter[1])),
        )
        .order_by()
    )
    for row in totals:
        m = out[row[key]]
        m.open_count, m.amount = row["n"] or 0, row["amount_sum"] or ZERO
        m.weighted = (row["w"] or ZERO).quantize(CENT)
        m.qualified, m.quarter_amount = row["qualified"] or 0, row["quarter"] or ZERO
    flows = (
        scope.filter(
            StageFlow.objects.filter(
                kind__in=("won", "lost"), month__gte=start, month__lte=today.replace(day=1), count__gt=0
            )
        )
        .values(key)
        .annotate(
            won=Sum("count", filter=Q(kind="won")),
            lost=Sum("count", filter=Q(kind="lost")),
            won_amount=Sum("amount", filter=Q(kind="won")),
            cycle=Sum("cycle_days", filter=Q(kind="won")),
        )
        .order_by()
    )
    for row in flows:
        m = out[row[key]]
        m.won, m.lost = row["won"] or 0, row["lost"] or 0
        m.won_amount, m.cycle_total = row["won_amount"] or ZERO, row["cycle"] or 0
    # The open deals are counted above (PipelineTotal holds every open deal); the stalled ones are read
    # through the stage-entry index: only the deals long in their stage (stall_candidates).
    for m in out.values():
        m.stall_open = m.open_count
    stalled_rows = (
        scope.filter(Opportunity.objects.filter(status=Opportunity.Status.OPEN))
        .filter(stall_candidates(Stage.objects.values_list("pk", "standard_days"), stall, today))
        .filter(stalled_in_stage(stall, today))
        .values(key)
        .annotate(stalled=Count("id"))
        .order_by()
    )
    for row in stalled_rows:
        out[row[key]].stalled = row["stalled"]
    # Expenses of the deals in scope that are open or closed in the window (the deals being worked on).
    deals = Q(opportunity__status=Opportunity.Status.OPEN) | Q(opportunity__closed_on__gte=start)
    for model, attr in ((Expense, "spent"), (ExpenseBudget, "budget")):
        rows = (
            model.objects.filter(scope.q("opportunity__"), deals)
            .values(f"opportunity__{key}")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for row in rows:
            setattr(out[row[f"opportunity__{key}"]], attr, row["total"] or ZERO)
    return out


def _tree(user: User, scope: Scope) -> tuple[OrgUnit | None, list[OrgUnit], dict[int, OrgUnit]]:
    """(parent unit or None, child units, the units of the scope by id)."""
    if scope.unit is not None:
        units = list(OrgUnit.objects.filter(path__startswith=scope.unit.path).order_by("path"))
        parent: OrgUnit | None = next(u for u in units if u.pk == scope.unit.pk)
        roots = []
    else:
        qs = OrgUnit.objects.order_by("path")
        units = list(qs if scope.unit_ids is None else qs.filter(pk__in=sorted(scope.unit_ids)))
        ids = {u.pk for u in units}
        roots = [u for u in units if u.parent_id not in ids]
        parent = roots[0] if len(roots) == 1 else None
    by_id = {u.pk: u for u in units}
    if parent is None:
        return None, roots, by_id
    return parent, [u for u in units if u.parent_id == parent.pk], by_id


def _crumbs(user: User, scope: Scope, parent: OrgUnit | None) -> list[Crumb]:
    """The chain of units above what is shown, each linked when the user may open it."""
    anchor = parent if parent is not None else (scope.owner.org_unit if scope.owner is not None else None)
    if anchor is None:
        return []
    ids = [int(p) for p in anchor.path.strip("/").split("/") if p]
    reach = scope_unit_ids(user)
    names = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    crumbs = [Crumb(names[i].name, i, reach is None or i in reach) for i in ids if i in names]
    if scope.owner is not None:
        crumbs.append(Crumb(scope.owner.label, None, False))
    return crumbs


def funnel_analysis(user: User, scope: Scope, *, today: date) -> AnalysisReport:
    """The manager's analysis of `scope` (from resolve_scope(user, …)) on `today`; see the module."""
    policy = ForecastPolicy.current()
    start = window_start(today, policy.history_days)
    quarter = quarter_of(today)
    stall = policy.stall_policy()
    rows: list[AnalysisRow] = []
    if scope.owner is not None:
        parent_unit: OrgUnit | None = None
        child_kind = ""
        grouped = _grouped(scope, "owner_id", today=today, start=start, quarter=quarter, stall=stall)
        rows.append(
            AnalysisRow("owner", scope.owner.label, grouped.get(scope.owner.pk, Metrics()), owner=scope.owner)
        )
        rows[0].metrics.sellers = 1
        owner_targets = {
            ("user", t.user_id): t.amount
            for t in Target.objects.filter(
                user=scope.owner, period_kind=PeriodKind.QUARTER, period_start=quarter[0]
            )
        }
        rows[0].metrics.target = owner_targets.get(("user", scope.owner.pk))
        parent_target = rows[0].metrics.target
        parent_label = scope.owner.label
    else:
        parent_unit, children, by_id = _tree(user, scope)
        parent_label = parent_unit.name if parent_unit is not None else scope.label
        if parent_unit is not None and not children:
            child_kind = "owner"
            grouped = _grouped(scope, "owner_id", today=today, start=start, quarter=quarter, stall=stall)
            sellers = list(
                User.objects.filter(
                    Q(pk__in=sorted(grouped)) | (Q(org_unit=parent_unit, is_active=True) & sellers_q())
                ).order_by("display_name", "username")
            )
            rows = [AnalysisRow("owner", s.label, grouped.get(s.pk, Metrics()), owner=s) for s in sellers]
            for row in rows:
                row.metrics.sellers = 1
            target_q = Q(user_id__in=[s.pk for s in sellers])
        else:
            child_kind = "unit"
            grouped = _grouped(scope, "team_id", today=today, start=start, quarter=quarter, stall=stall)
            rows = [AnalysisRow("unit", u.name, Metrics(), unit=u) for u in children]
            by_path = sorted(((r.unit.path, r) for r in rows if r.unit is not None), key=lambda p: -len(p[0]))

            def child_of(unit_id: int) -> AnalysisRow | None:
                unit = by_id.get(unit_id)
                return next(
                    (r for path, r in by_path if unit is not None and unit.path.startswith(path)), None
                )

            heads = (
                User.objects.filter(sellers_q(), is_active=True, org_unit_id__in=sorted(by_id))
                .values("org_unit_id")
                .annotate(n=Count("id"))
                .order_by()
            )
            for head in heads:
                child = child_of(head["org_unit_id"])
                if child is not None:
                    child.metrics.sellers += head["n"]
            direct: AnalysisRow | None = None
            for team_id, metrics in grouped.items():
                child = child_of(team_id)
                if child is None:
                    if direct is None:
                        direct = AnalysisRow(
                            "direct", _("%(unit)s (directly)") % {"unit": parent_label}, Metrics()
                        )
                    child = direct
                child.metrics.add(metrics)
            if direct is not None:
                rows.append(direct)
            target_q = Q(unit_id__in=[u.pk for u in children])
        lookup = target_q | (Q(unit_id=parent_unit.pk) if parent_unit is not None else Q(pk__in=[]))
        targets: dict[tuple[int | None, int | None], Decimal] = {
            (t.unit_id, t.user_id): t.amount
            for t in Target.objects.filter(lookup, period_kind=PeriodKind.QUARTER, period_start=quarter[0])
        }
        for row in rows:
            if row.unit is not None:
                row.metrics.target = targets.get((row.unit.pk, None))
            elif row.owner is not None:
                row.metrics.target = targets.get((None, row.owner.pk))
        parent_target = targets.get((parent_unit.pk, None)) if parent_unit is not None else None
        if parent_target is None and rows and all(r.metrics.target is not None for r in rows):
            parent_target = sum((r.metrics.target or ZERO for r in rows), ZERO)
    parent = Metrics()
    for row in rows:
        parent.add(row.metrics)
    parent.target = parent_target
    if len(rows) > 1:
        values = {i: row.metrics.anomaly_values() for i, row in enumerate(rows) if row.kind != "direct"}
        for found in anomaly_domain.find_anomalies(values, parent.anomaly_values(), policy.anomaly_threshold):
            rows[found.key].anomalies.append(found)
    return AnalysisReport(
        scope=scope,
        parent_label=parent_label,
        parent=parent,
        rows=rows,
        child_kind=child_kind,
        today=today,
        window_start=start,
        quarter_start=quarter[0],
        quarter_end=quarter[1],
        threshold=policy.anomaly_threshold,
        stall_factor=policy.stall_factor,
        crumbs=_crumbs(user, scope, parent_unit),
    )


def metric_label(metric: str) -> str:
    return {
        anomaly_domain.WIN_RATE: _("Win rate"),
        anomaly_domain.VELOCITY: _("Velocity"),
        anomaly_domain.COVERAGE: _("Coverage"),
        anomaly_domain.STALL_RATE: _("Stall rate"),
    }.get(metric, metric)


def direction_label(direction: str) -> str:
    return _("better") if direction == "better" else _("worse")


def anomaly_text(found: anomaly_domain.Anomaly[Any]) -> str:
    """One anomaly in words, e.g. "Win rate 10% vs 25% (−60%, worse)"."""

    def show(value: Decimal) -> str:
        if found.metric == anomaly_domain.VELOCITY:
            return _("%(amount)s per seller and day") % {"amount": format_amount(value.quantize(Decimal(1)))}
        return f"{(value * 100).quantize(Decimal('0.1'))}%"

    relative = "∞" if found.relative is None else f"{(found.relative * 100).quantize(Decimal('1')):+}%"
    return _("%(metric)s %(value)s vs %(parent)s (%(relative)s, %(direction)s)") % {
        "metric": metric_label(found.metric),
        "value": show(found.value),
        "parent": show(found.parent),
        "relative": relative,
        "direction": direction_label(found.direction),
    }
