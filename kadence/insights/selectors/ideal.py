"""The ideal funnel (METHODOLOGY §8.3) of a scope, process template and period, compared with the real
funnel stage by stage (§8.4), and the capacity and velocity check with the gap to target and the
actions per seller and per team (§8.4).

Inputs of the ideal funnel, each with its source shown:
- target T: the scope's Target for the period (kadence.planning.selectors.targets.target_for), or a
  figure typed in to try numbers;
- average deal size A: the average won amount of the scope's history window (FunnelReport), or typed;
- probability p_s of each open stage: its default level's configured probability — the level a deal
  holds once it has passed through the stage (its exit criteria met, METHODOLOGY §1d), which is what
  the task method counts (N_s = N_win / p_s deals must pass through s; §8.3's worked example I 90,
  C 36, Q 18, D 12, C90 10); when the template uses calibrated probabilities and
  kadence.planning.selectors.calibration.effective_probabilities exists, the calibrated value it
  gives for that level (the stage's source says which);
- duration d_s of each open stage: "configured" = Stage.standard_days; "learned" = the average
  `days_in_from_stage` of the stage-history rows leaving that stage (advanced, moved back, won, lost)
  in the history window, where at least ForecastPolicy.calibration_min_outcomes rows exist, else
  the configured days (the count is shown per stage).

The cycle method counts in months (P = 1, 3 or 12; d_s in months of 30 days). The comparison with the
real funnel uses the cycle method's WIP_s: the number of deals that should be *sitting* in stage s at
any moment (Little's law) is what the real funnel's stage count measures; the task method's N_s is
how many deals must pass through stage s over the whole period, shown for planning.

Capacity (remaining target, coverage, weighted ratio, velocity forecast, gap; see
kadence.domain.capacity) is read from today's open deals: "due in the period" = open deals of the
template whose expected close date is on or before the period end (already overdue ones included:
they are still expected), and on or after its start when the period has not begun yet. Targets are
for the whole business of a scope; the check measures the selected template's pipeline against it,
so with several pipelines type the share of the target the pipeline carries.

Every figure is a grouped SQL aggregate; Python combines a handful of grouped rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kadence.core.amounts import format_amount
from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.validation import clean_money
from kadence.core.visibility import Scope, resolve_scope, sellers_q
from kadence.domain import capacity as cap
from kadence.domain import funnel as domain
from kadence.domain.periods import MONTHS_IN, Period
from kadence.domain.stall import StallPolicy, stage_allowance
from kadence.insights.selectors.funnel import FunnelReport, funnel_report
from kadence.pipeline.expressions import WEIGHTED, held_in, holder, stall_candidates, stalled_in_stage
from kadence.pipeline.models import Opportunity, PipelineTotal, ProcessTemplate, Stage, StageChange, StageFlow
from kadence.planning.models import ForecastPolicy, Target
from kadence.planning.selectors.calibration import effective_probabilities
from kadence.planning.selectors.targets import period_of, target_for

ZERO = Decimal(0)
HUNDRED = Decimal(100)
DURATION_SOURCES = ("configured", "learned")
LEAVING = (
    StageChange.Kind.ADVANCED,
    StageChange.Kind.MOVED_BACK,
    StageChange.Kind.WON,
    StageChange.Kind.LOST,
)
STALLED_SHOWN = 10


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def default_template() -> ProcessTemplate | None:
    return ProcessTemplate.objects.filter(is_active=True).order_by("-is_default", "code").first()


def template_by_id(template_id: int | None) -> ProcessTemplate:
    """The active template asked for (default: the default template); unknown ids are a ValidationFailed."""
    found = (
        ProcessTemplate.objects.filter(pk=template_id, is_active=True).first()
        if template_id is not None
        else default_template()
    )
    if found is None:
        raise ValidationFailed(
            _("Unknown or inactive process template."), {"template_id": [_("Choose a template.")]}
        )
    return found


# --- the ideal funnel ----------------------------------------------------------------------------


@dataclass
class IdealStage:
    """One open stage: its inputs (p_s, d_s and their sources), the ideal (task N_s, cycle λ_s and
    WIP_s), the real funnel (count, amount, average age) and the comparison (actual ÷ ideal WIP)."""

    stage: Stage
    probability: Decimal  # fraction
    probability_source: str  # "configured" | "calibrated"
    duration_days: Decimal
    duration_source: str  # "configured" | "learned" | "set"
    learned_days: Decimal | None = None
    learned_count: int = 0
    task: Decimal | None = None
    entry_rate: Decimal | None = None
    wip: Decimal | None = None
    actual: int = 0
    actual_amount: Decimal = ZERO
    avg_age: Decimal | None = None
    ratio: Decimal | None = None
    status: str = "no_ideal"
    pace: cap.StagePace | None = None

    @property
    def duration_months(self) -> Decimal:
        return domain.days_to_months(self.duration_days)

    @property
    def percent(self) -> Decimal:
        return (self.probability * HUNDRED).quantize(Decimal("0.1"))


@dataclass
class IdealReport:
    """The ideal funnel of a scope for a template and period, and its comparison with the real one.
    `missing` lists the inputs without which the ideal cannot be computed ("target", "avg_deal")."""

    scope: Scope
    template: ProcessTemplate
    period: Period
    as_of: date
    funnel: FunnelReport
    policy: ForecastPolicy
    target: Decimal | None
    target_source: str  # "target" (the scope's Target) | "typed" | "none"
    avg_deal: Decimal | None
    avg_deal_source: str  # "history" | "typed" | "none"
    durations: str  # "configured" | "learned"
    probabilities: str  # "configured" | "calibrated"
    stages: list[IdealStage]
    months: Decimal
    wins_needed: int | None = None
    wins_per_month: Decimal | None = None
    lead_days: Decimal = ZERO
    check_left: Decimal | None = None
    check_right: Decimal | None = None
    findings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    basis: str = "cycle"

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def lead_months(self) -> Decimal:
        return domain.days_to_months(self.lead_days)

    @property
    def entry_deadline(self) -> date:
        return cap.entry_deadline(self.period.end, self.lead_days)

    @property
    def first_probability(self) -> Decimal | None:
        return self.stages[0].probability if self.stages else None


def _calibrated(template: ProcessTemplate, stages: list[Stage]) -> dict[int, Decimal]:
    """Stage id → calibrated probability (fraction) of the stage's default level, for the stages whose
    level the calibration gives an observed rate (kadence.planning.selectors.calibration
    .effective_probabilities: level id → (probability %, "configured" | "calibrated", outcomes)).
    Only when the template is switched to calibrated probabilities."""
    if not template.use_calibrated:
        return {}
    found = effective_probabilities(template)
    out: dict[int, Decimal] = {}
    for stage in stages:
        effective = found.get(stage.default_level_id)
        if effective is not None and effective.source == "calibrated" and effective.probability > 0:
            out[stage.pk] = effective.probability / HUNDRED
    return out


def learned_durations(
    scope: Scope, template: ProcessTemplate, start: date, as_of: date
) -> dict[int, tuple[Decimal, int]]:
    """Stage id → (average days spent, rows) over the stage-history rows leaving an open stage of
    `template` between `start` and `as_of` (inclusive), in the scope. One grouped query."""
    rows = (
        scope.filter(
            StageChange.objects.filter(
                from_stage__template=template,
                from_stage__is_won=False,
                kind__in=LEAVING,
                days_in_from_stage__isnull=False,
                changed_at__gte=_start_of(start),
                changed_at__lt=_start_of(as_of + timedelta(days=1)),
            ),
            "opportunity__",
        )
        .values("from_stage_id")
        .annotate(n=Count("id"), days=Avg("days_in_from_stage"))
        .order_by()
    )
    return {
        r["from_stage_id"]: (Decimal(str(r["days"])).quantize(Decimal("0.1")), r["n"]) for r in rows if r["n"]
    }


def ideal_report(
    user: User,
    scope: Scope,
    *,
    template: ProcessTemplate,
    period: Period,
    as_of: date,
    today: date,
    target: Decimal | None = None,
    avg_deal: Decimal | None = None,
    durations: str = "configured",
    duration_days: Mapping[int, Decimal] | None = None,
) -> IdealReport:
    """The ideal funnel (task and cycle methods) for `scope` and the comparison with its real funnel
    at `as_of` (see the module docstring). `target` and `avg_deal` override the Target and the
    history; `duration_days` (stage id → days) sets durations explicitly (source "set")."""
    if durations not in DURATION_SOURCES:
        raise ValidationFailed(
            _("Choose configured or learned durations."), {"durations": [_("Choose configured or learned.")]}
        )
    policy = ForecastPolicy.current()
    funnel = funnel_report(user, scope, template=template, as_of=as_of, today=today)
    rows = funnel.stages
    stages = [r.stage for r in rows]
    calibrated = _calibrated(template, stages)
    learned = learned_durations(scope, template, funnel.window_start, as_of) if durations == "learned" else {}
    overrides = duration_days or {}
    ideal_stages: list[IdealStage] = []
    for row in rows:
        stage = row.stage
        p = calibrated.get(stage.pk, stage.default_level.probability / HUNDRED)
        days, source = Decimal(stage.standard_days), "configured"
        seen_days, seen = learned.get(stage.pk, (None, 0))
        if stage.pk in overrides:
            days, source = Decimal(overrides[stage.pk]), "set"
        elif seen_days is not None and seen >= policy.calibration_min_outcomes:
            days, source = seen_days, "learned"
        ideal_stages.append(
            IdealStage(
                stage=stage,
                probability=p,
                probability_source="calibrated" if stage.pk in calibrated else "configured",
                duration_days=days,
                duration_source=source,
                learned_days=seen_days,
                learned_count=seen,
                actual=row.count,
                actual_amount=row.amount,
                avg_age=row.avg_age,
            )
        )
    if target is not None:
        target_source = "typed"
    else:
        target = target_for(scope, period.kind, period.start)
        target_source = "none" if target is None else "target"
    if avg_deal is not None:
        avg_source = "typed"
    else:
        avg_deal = funnel.avg_won_amount
        avg_source = "none" if avg_deal is None else "history"
    report = IdealReport(
        scope=scope,
        template=template,
        period=period,
        as_of=as_of,
        funnel=funnel,
        policy=policy,
        target=target,
        target_source=target_source,
        avg_deal=avg_deal,
        avg_deal_source=avg_source,
        durations=durations,
        probabilities="calibrated" if calibrated else "configured",
        stages=ideal_stages,
        months=Decimal(MONTHS_IN[period.kind]),
        lead_days=sum((s.duration_days for s in ideal_stages), ZERO),
    )
    paces = cap.stage_pace(
        [(s.stage.code, s.avg_age, s.duration_days) for s in ideal_stages], as_of, period.end
    )
    for ideal_stage, pace in zip(ideal_stages, paces, strict=True):
        ideal_stage.pace = pace
    if target is None:
        report.missing.append("target")
    if avg_deal is None or avg_deal <= 0:
        report.missing.append("avg_deal")
    if target is not None and avg_deal is not None and avg_deal > 0:
        _fill_ideal(report, target, avg_deal)
    return report


def _fill_ideal(report: IdealReport, target: Decimal, avg_deal: Decimal) -> None:
    specs = [
        domain.StageSpec(s.stage.code, s.probability, domain.days_to_months(s.duration_days))
        for s in report.stages
        if s.probability > 0
    ]
    task = domain.ideal_funnel_task(target, avg_deal, specs)
    cycle = domain.ideal_funnel_cycle(target, avg_deal, report.months, specs)
    report.wins_needed = domain.wins_needed(target, avg_deal)
    report.wins_per_month = cycle.wins_per_unit
    report.check_left, report.check_right = domain.littles_law_check(
        cycle, target, avg_deal, report.months, specs
    )
    for s in report.stages:
        s.task, s.entry_rate, s.wip = (
            task.get(s.stage.code),
            cycle.entry_rate.get(s.stage.code),
            cycle.wip.get(s.stage.code),
        )
    rows, findings = domain.compare_funnels(
        {s.stage.code: Decimal(s.actual) for s in report.stages},
        cycle.wip,
        [s.stage.code for s in report.stages],
        shortfall_below=report.policy.shortfall_ratio,
        congestion_above=report.policy.congestion_ratio,
    )
    for s, compared in zip(report.stages, rows, strict=True):
        s.ratio, s.status = compared.ratio, compared.status
    report.findings = findings


# --- capacity and velocity -----------------------------------------------------------------------


@dataclass
class CapacityRow:
    """One seller or team: their target (own, or for a team without one the sum of its sellers'),
    what they won in the period, their open pipeline due in it, and the check and actions."""

    key: int
    label: str
    team: str
    target_source: str  # "target" | "sellers" | "none"
    won_count: int
    due_count: int
    win_rate: Decimal | None
    win_rate_source: str  # "own" | "scope"
    stalled: int
    figures: cap.CapacityFigures
    actions: list[cap.Action]


@dataclass
class StalledDeal:
    id: int
    owner_id: int
    team_id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: Decimal
    currency: str
    days_in_stage: int
    limit_days: int


@dataclass
class StageDue:
    """Open deals of a stage due in the period, and whether an average one there can still close in
    time at the standard pace (see kadence.domain.capacity.stage_pace)."""

    stage: Stage
    count: int
    amount: Decimal
    weighted: Decimal
    late: bool
    ideal: IdealStage


@dataclass
class CapacityReport:
    ideal: IdealReport
    days_left: int
    figures: cap.CapacityFigures
    won_count: int
    due_count: int
    actions: list[cap.Action]
    stalled: list[StalledDeal]
    stalled_count: int
    stages: list[StageDue]
    sellers: list[CapacityRow]
    teams: list[CapacityRow]

    @property
    def at_risk(self) -> tuple[int, Decimal]:
        """Due deals in stages an average deal cannot finish by the period end: (count, amount)."""
        late = [s for s in self.stages if s.late]
        return sum(s.count for s in late), sum((s.amount for s in late), ZERO)


def _due(period: Period, as_of: date) -> Q:
    due = Q(status=Opportunity.Status.OPEN, expected_close_date__lte=period.end)
    return due & Q(expected_close_date__gte=period.start) if as_of < period.start else due


def due_rows(
    scope: Scope, template: ProcessTemplate, period: Period, as_of: date, *, summary: bool = True
) -> list[dict[str, Any]]:
    """Today's open deals of `template` due in the period (see _due), per owner × team × stage: count
    (n), amount_sum and weighted (w). The PipelineTotal summary answers it exactly (close months are
    whole months and periods start and end on month boundaries); `summary` False reads the deals (the
    reference the summary is tested against)."""
    if summary:
        totals = PipelineTotal.objects.filter(
            stage__template=template, count__gt=0, close_month__lte=period.end
        )
        if as_of < period.start:
            totals = totals.filter(close_month__gte=period.start)
        grouped = (
            scope.filter(totals)
            .values("owner_id", "team_id", "stage_id")
            .annotate(n=Sum("count"), amount_sum=Sum("amount"), w=Sum("weighted"))
        )
    else:
        grouped = (
            scope.filter(Opportunity.objects.filter(template=template))
            .filter(_due(period, as_of))
            .values("owner_id", "team_id", "stage_id")
            .annotate(n=Count("id"), amount_sum=Sum("amount"), w=Sum(WEIGHTED))
        )
    return list(grouped.order_by())


def stalled_deals(
    scope: Scope, template: ProcessTemplate, stages: list[Stage], policy: StallPolicy, as_of: date
) -> tuple[QuerySet[Opportunity], dict[int, int]]:
    """Open deals of the scope longer in their stage than factor × its standard days (§8.2), and
    the stage id → the fewest days that make a deal stalled there. A simple filter: the full stalled
    report (no activity, close date passed or pushed) lives in the stalled-deals pages."""
    limits = {s.pk: stage_allowance(s.standard_days, policy) + 1 for s in stages}
    qs = scope.filter(Opportunity.objects.filter(template=template, status=Opportunity.Status.OPEN)).filter(
        stalled_in_stage(policy, as_of)
    )
    return qs, limits


def stalled_per_seller(
    stalled: QuerySet[Opportunity], template: ProcessTemplate, policy: StallPolicy, as_of: date
) -> list[dict[str, Any]]:
    """How many of `stalled` (stalled_deals) each owner × team has (n). stall_candidates (every stage
    of the template) first lets the database count only the deals long in their stage, read through
    the open deals' stage-entry index (opp_open_stage_entered), instead of a company's open deals.
    (The biggest few are found faster without it, down the amount index.)"""
    every_stage = Stage.objects.filter(template=template).values_list("pk", "standard_days")
    return list(
        stalled.filter(stall_candidates(every_stage, policy, as_of))
        .values("owner_id", "team_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def _outcomes(
    scope: Scope, template: ProcessTemplate, window: date, as_of: date, *, summary: bool = True
) -> list[dict[str, Any]]:
    """Deals won and lost per seller × team from `window` (a month's first day) to `as_of`, each counted
    under the owner and team that held the deal when it was won or lost (its history row's,
    kadence.pipeline.expressions.holder). Up to today the StageFlow summary answers it exactly (its
    months are whole, and nothing happened after today); for an earlier as_of, the stage history
    (`summary` False: always, the reference the summary is tested against)."""
    kinds = (StageChange.Kind.WON, StageChange.Kind.LOST)
    if summary and as_of >= timezone.localdate() and window.day == 1:
        rows = (
            scope.filter(StageFlow.objects.filter(to_stage__template=template, kind__in=kinds))
            .filter(month__gte=window, month__lte=as_of.replace(day=1))
            .values("owner_id", "team_id", "kind")
            .annotate(n=Sum("count"))
            .order_by()
        )
        return [row for row in rows if row["n"]]
    rows = (
        StageChange.objects.filter(
            held_in(scope),
            opportunity__template=template,
            kind__in=kinds,
            changed_at__gte=_start_of(window),
            changed_at__lt=_start_of(as_of + timedelta(days=1)),
        )
        .values("kind", held_owner=holder("owner"), held_team=holder("team"))
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {"kind": r["kind"], "owner_id": r["held_owner"], "team_id": r["held_team"], "n": r["n"]} for r in rows
    ]


def capacity_report(user: User, ideal: IdealReport) -> CapacityReport:
    """The capacity and velocity check of `ideal`'s scope and period (see the module docstring)."""
    del user  # the scope already encodes what the user may see
    scope, template, period, as_of = ideal.scope, ideal.template, ideal.period, ideal.as_of
    policy = ideal.policy
    deals = scope.filter(Opportunity.objects.filter(template=template))
    due = due_rows(scope, template, period, as_of)
    won_rows = list(
        deals.filter(
            status=Opportunity.Status.WON, closed_on__gte=period.start, closed_on__lte=min(period.end, as_of)
        )
        .values("owner_id", "team_id")
        .annotate(n=Count("id"), amount_sum=Sum("amount"))
        .order_by()
    )
    window = ideal.funnel.window_start
    outcome_rows = _outcomes(scope, template, window, as_of)
    stalled_qs, limits = stalled_deals(
        scope, template, [s.stage for s in ideal.stages], policy.stall_policy(), as_of
    )
    stalled_rows = stalled_per_seller(stalled_qs, template, policy.stall_policy(), as_of)
    top = list(
        stalled_qs.select_related("account", "owner", "stage").order_by("-amount", "id")[:STALLED_SHOWN]
    )
    stalled = [
        StalledDeal(
            d.pk,
            d.owner_id,
            d.team_id,
            d.name,
            d.account.name,
            d.owner.label,
            d.stage.name,
            d.amount,
            d.currency,
            (as_of - timezone.localtime(d.stage_entered_at).date()).days,
            limits.get(d.stage_id, 0),
        )
        for d in top
    ]

    days_left = cap.days_remaining(as_of, period.start, period.end)
    won_total = sum((r["amount_sum"] or ZERO for r in won_rows), ZERO)
    due_total = sum((r["amount_sum"] or ZERO for r in due), ZERO)
    weighted_total = sum((r["w"] or ZERO for r in due), ZERO)
    funnel = ideal.funnel
    figures = cap.capacity_check(
        target=ideal.target,
        won=won_total,
        pipeline_due=due_total,
        weighted_due=weighted_total,
        win_rate=funnel.win_rate,
        velocity=funnel.velocity,
        days_left=days_left,
    )
    act: dict[str, Any] = dict(
        avg_deal=ideal.avg_deal,
        first_probability=ideal.first_probability,
        period_end=period.end,
        lead_days=ideal.lead_days,
        as_of=as_of,
    )
    stalled_count = sum(r["n"] for r in stalled_rows)
    actions = cap.actions(figures, stalled_count=stalled_count, stalled_ids=[d.id for d in stalled], **act)

    by_stage: dict[int, list[Any]] = defaultdict(lambda: [0, ZERO, ZERO])
    for r in due:
        cell = by_stage[r["stage_id"]]
        cell[0] += r["n"]
        cell[1] += r["amount_sum"] or ZERO
        cell[2] += r["w"] or ZERO
    stage_due = [
        StageDue(
            s.stage,
            by_stage[s.stage.pk][0],
            by_stage[s.stage.pk][1],
            by_stage[s.stage.pk][2].quantize(Decimal("0.01")),
            bool(s.pace and s.pace.late),
            s,
        )
        for s in ideal.stages
    ]

    groups = _Groups(due, won_rows, outcome_rows, stalled_rows)
    sellers, teams = _breakdown(scope, ideal, groups, stalled, act, days_left)
    return CapacityReport(
        ideal=ideal,
        days_left=days_left,
        figures=figures,
        won_count=sum(r["n"] for r in won_rows),
        due_count=sum(r["n"] for r in due),
        actions=actions,
        stalled=stalled,
        stalled_count=stalled_count,
        stages=stage_due,
        sellers=sellers,
        teams=teams,
    )


class _Groups:
    """The grouped rows summed per seller (owner id) and per team (deal team id)."""

    def __init__(
        self,
        due: list[dict[str, Any]],
        won: list[dict[str, Any]],
        outcomes: list[dict[str, Any]],
        stalled: list[dict[str, Any]],
    ) -> None:
        zero: dict[str, Any] = {
            "due": ZERO,
            "due_n": 0,
            "weighted": ZERO,
            "won": ZERO,
            "won_n": 0,
            "wins": 0,
            "losses": 0,
            "stalled": 0,
        }
        self.by: dict[str, dict[int, dict[str, Any]]] = {
            "seller": defaultdict(lambda: dict(zero)),
            "team": defaultdict(lambda: dict(zero)),
        }
        for r in due:
            self._add(
                r["owner_id"],
                r["team_id"],
                due=r["amount_sum"] or ZERO,
                due_n=r["n"],
                weighted=r["w"] or ZERO,
            )
        for r in won:
            self._add(r["owner_id"], r["team_id"], won=r["amount_sum"] or ZERO, won_n=r["n"])
        for r in outcomes:
            key = "wins" if r["kind"] == StageChange.Kind.WON else "losses"
            self._add(r["owner_id"], r["team_id"], **{key: r["n"]})
        for r in stalled:
            self._add(r["owner_id"], r["team_id"], stalled=r["n"])

    def _add(self, owner_id: int, team_id: int, **values: Any) -> None:
        for kind, key in (("seller", owner_id), ("team", team_id)):
            cell = self.by[kind][key]
            for name, value in values.items():
                cell[name] += value


def _sellers_and_teams(scope: Scope, groups: _Groups) -> tuple[list[User], list[OrgUnit]]:
    """The sellers (deal owners and sellers placed in the scope) and teams (of the scope) to list."""
    owner_ids = set(groups.by["seller"])
    if scope.owner is not None:
        people = User.objects.filter(pk=scope.owner.pk)
        return list(people.select_related("org_unit")), []
    sellers = User.objects.filter(sellers_q(), is_active=True)
    units = OrgUnit.objects.filter(kind=OrgUnit.Kind.TEAM)
    if scope.unit is not None:
        sellers = sellers.filter(org_unit__path__startswith=scope.unit.path)
        units = units.filter(path__startswith=scope.unit.path)
    elif scope.unit_ids is not None:
        sellers = sellers.filter(org_unit_id__in=sorted(scope.unit_ids))
        units = units.filter(pk__in=sorted(scope.unit_ids))
    people = User.objects.filter(Q(pk__in=sellers.values("pk")) | Q(pk__in=sorted(owner_ids)))
    team_ids = set(groups.by["team"])
    units = OrgUnit.objects.filter(Q(pk__in=units.values("pk")) | Q(pk__in=sorted(team_ids)))
    # A company lists thousands of sellers: read only what a row shows (label, team name).
    shown = (
        "id",
        "username",
        "display_name",
        "first_name",
        "last_name",
        "org_unit__name_zh",
        "org_unit__name_en",
    )
    return list(people.select_related("org_unit").only(*shown).order_by("username")), list(
        units.order_by("path")
    )


def _targets(
    ideal: IdealReport, people: list[User], teams: list[OrgUnit]
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """One query: the period's targets of the listed sellers and teams."""
    rows = Target.objects.filter(
        Q(user_id__in=[p.pk for p in people]) | Q(unit_id__in=[t.pk for t in teams]),
        period_kind=ideal.period.kind,
        period_start=ideal.period.start,
    )
    users: dict[int, Decimal] = {}
    units: dict[int, Decimal] = {}
    for user_id, unit_id, amount in rows.values_list("user_id", "unit_id", "amount"):
        if user_id:
            users[user_id] = amount
        else:
            units[unit_id] = amount
    return users, units


def _breakdown(
    scope: Scope,
    ideal: IdealReport,
    groups: _Groups,
    top: list[StalledDeal],
    act: dict[str, Any],
    days_left: int,
) -> tuple[list[CapacityRow], list[CapacityRow]]:
    """One row per seller and per team (none for a one-seller scope); the row's win rate is its own
    when it closed at least ForecastPolicy.calibration_min_outcomes deals in the window, else the
    scope's. Sales velocity is a scope figure: rows have no velocity forecast."""
    people, teams = _sellers_and_teams(scope, groups)
    user_targets, unit_targets = _targets(ideal, people, teams)
    scope_rate = ideal.funnel.win_rate
    minimum = ideal.policy.calibration_min_outcomes

    def row(
        kind: str, key: int, label: str, team: str, target: Decimal | None, target_source: str
    ) -> CapacityRow:
        cell = groups.by[kind][key]
        ids = [d.id for d in top if (d.owner_id if kind == "seller" else d.team_id) == key]
        closed = cell["wins"] + cell["losses"]
        own = closed >= minimum and closed > 0
        rate = domain.win_rate(cell["wins"], cell["losses"]) if own else scope_rate
        figures = cap.capacity_check(
            target=target,
            won=cell["won"],
            pipeline_due=cell["due"],
            weighted_due=cell["weighted"],
            win_rate=rate,
            velocity=None,
            days_left=days_left,
        )
        return CapacityRow(
            key=key,
            label=label,
            team=team,
            target_source=target_source,
            won_count=cell["won_n"],
            due_count=cell["due_n"],
            win_rate=rate,
            win_rate_source="own" if own else "scope",
            stalled=cell["stalled"],
            figures=figures,
            actions=cap.actions(figures, stalled_count=cell["stalled"], stalled_ids=ids, **act),
        )

    sellers = [
        row(
            "seller",
            p.pk,
            p.label,
            p.org_unit.name if p.org_unit else "",
            user_targets.get(p.pk),
            "target" if p.pk in user_targets else "none",
        )
        for p in people
    ]
    seller_targets: dict[int | None, list[Decimal]] = defaultdict(list)  # per team, read once
    for p in people:
        if p.pk in user_targets:
            seller_targets[p.org_unit_id].append(user_targets[p.pk])
    team_rows = []
    for unit in teams:
        target, source = unit_targets.get(unit.pk), "target"
        if target is None:
            parts = seller_targets.get(unit.pk, [])
            target, source = (sum(parts, ZERO), "sellers") if parts else (None, "none")
        team_rows.append(row("team", unit.pk, unit.name, "", target, source))
    return sellers, team_rows


# --- shared by the page and the API --------------------------------------------------------------


def ideal_for(
    user: User,
    *,
    today: date,
    unit_id: int | None = None,
    owner_id: int | None = None,
    template_id: int | None = None,
    period_kind: str | None = None,
    period_start: date | None = None,
    target: Decimal | None = None,
    avg_deal: Decimal | None = None,
    durations: str = "configured",
) -> IdealReport:
    """The ideal report asked for by a page or API query: the scope resolved for `user` (404 out of
    reach), the template (default: the default one), the period (default: this quarter; any day of
    it), at `today`. A typed target or average deal size follows the one money rule (422 otherwise)."""
    # The one money rule bounds what is tried, so the funnel's divisions stay inside Decimal's range.
    target = None if target is None else clean_money(target, "target")
    avg_deal = None if avg_deal is None else clean_money(avg_deal, "avg_deal", positive=True)
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    template = template_by_id(template_id)
    period = period_of(period_kind, period_start, default_day=today)
    return ideal_report(
        user,
        scope,
        template=template,
        period=period,
        as_of=today,
        today=today,
        target=target,
        avg_deal=avg_deal,
        durations=durations,
    )


def _num(value: Decimal | None, places: str = "0.01") -> str:
    if value is None:
        return "—"
    number = value.quantize(Decimal(places))
    return f"{number:,}"


def ideal_label(value: str) -> str:
    """A source, comparison status or shape code of the ideal funnel in words, in the active language:
    the one wording of the page and the export ("no_ideal" reads as a dash)."""
    labels = {
        "configured": _("configured"),
        "learned": _("learned"),
        "set": _("set"),
        "calibrated": _("calibrated"),
        "target": _("target set"),
        "typed": _("typed in"),
        "history": _("from history"),
        "sellers": _("sum of sellers"),
        "own": _("own"),
        "scope": _("scope's"),
        "none": _("none"),
        "shortfall": _("shortfall"),
        "congestion": _("congestion"),
        "ok": _("ok"),
        "no_ideal": "—",
        "dry_top": _(
            "Dry top: the early stages are short, so the gap arrives one cycle later. Find new deals now."
        ),
        "jammed_middle": _(
            "Jammed middle: a middle stage is congested while a later one is short. Deals are "
            "stalling; push them through or out."
        ),
    }
    return labels.get(value, value)


def action_text(action: cap.Action, ideal: IdealReport) -> str:
    """One action in words, in the active language."""
    gap = format_amount(action.value.quantize(Decimal(1)) if action.value is not None else None)
    if action.kind == cap.NO_TARGET:
        return _("No target is set for this period: set one on the targets page, or type one to try numbers.")
    if action.kind in (cap.NEW_DEALS, cap.TOO_LATE) and action.count is None:
        return _("Gap of %(gap)s to the target: enter an average deal size to size the new deals needed.") % {
            "gap": gap
        }
    if action.kind == cap.NEW_DEALS:
        return ngettext(
            "%(count)d new stage-I deal needed by %(date)s to fill the gap of %(gap)s (gap ÷ average deal %(avg)s "
            "÷ p_I %(p)s%%).",
            "%(count)d new stage-I deals needed by %(date)s to fill the gap of %(gap)s (gap ÷ average deal %(avg)s "
            "÷ p_I %(p)s%%).",
            action.count or 0,
        ) % {
            "count": action.count,
            "date": action.by.isoformat() if action.by else "",
            "gap": gap,
            "avg": format_amount(ideal.avg_deal.quantize(Decimal(1)) if ideal.avg_deal is not None else None),
            "p": _num((ideal.first_probability or ZERO) * HUNDRED, "1"),
        }
    if action.kind == cap.TOO_LATE:
        return ngettext(
            "Gap of %(gap)s: new deals had to enter stage I by %(date)s to close in this period — close the gap with "
            "the open deals, and start %(count)d new stage-I deal now for the next period.",
            "Gap of %(gap)s: new deals had to enter stage I by %(date)s to close in this period — close the gap with "
            "the open deals, and start %(count)d new stage-I deals now for the next period.",
            action.count or 0,
        ) % {"count": action.count, "date": action.by.isoformat() if action.by else "", "gap": gap}
    if action.kind == cap.COVERAGE_LOW:
        return _(
            "Coverage below required: the open pipeline due in the period is %(value)s× the remaining target, "
            "%(required)s× is needed (1 ÷ win rate)."
        ) % {"value": _num(action.value), "required": _num(action.required)}
    if action.kind == cap.PUSH_STALLED:
        return ngettext(
            "Push %(count)d stalled deal (in its stage longer than %(factor)s× the standard days), biggest first.",
            "Push %(count)d stalled deals (in their stage longer than %(factor)s× the standard days), biggest first.",
            action.count or 0,
        ) % {"count": action.count, "factor": _num(ideal.policy.stall_factor, "0.1")}
    return _("On track: the weighted pipeline due in the period covers the remaining target.")
