"""Activity-quota reads: attainment per rep, team and region for a period, its trend over the last
weeks, and the quota configuration. Counting is SQL (one aggregate GROUP BY owner for the four activity
metrics, one for new customers); the arithmetic is kadence.domain.quotas. The number of queries does not
grow with the number of reps.

For the weekly 1x1 pack: `rep_attainment(rep, start, end)` (five queries)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kadence.activities.models import Activity
from kadence.activities.selectors import effective_visit_rule
from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import (
    Scope,
    is_admin,
    quota_sellers,
    resolve_scope,
    sees_regions,
    visible_activity_quotas,
)
from kadence.domain import quotas as dq
from kadence.domain.periods import month_bounds, quarter_bounds, week_start
from kadence.rhythm.quotas.models import METRIC_DEFINITIONS, ActivityQuota, Metric, QuotaSettings

PeriodKind = Literal["day", "week", "month", "quarter"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month", "quarter")
METRICS: tuple[str, ...] = tuple(Metric.values)
ACTIVITY_METRICS: tuple[str, ...] = (
    Metric.EFFECTIVE_VISITS,
    Metric.CUSTOMER_CONTACTS,
    Metric.EFFECTIVE_CALLS,
    Metric.IMPORTANT_VISITS,
)
MAX_TREND_WEEKS = 26


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPeriod:
    """A day, a week (Monday to Sunday), a calendar month or quarter: [start, end]."""

    kind: str
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def working_days(self) -> int:
        return dq.working_days(self.start, self.end)

    def shift(self, steps: int) -> ReportPeriod:
        """The period `steps` later (earlier when negative)."""
        if self.kind == "day":
            return report_period("day", self.start + timedelta(days=steps))
        if self.kind == "week":
            return report_period("week", self.start + timedelta(weeks=steps))
        day = self.start
        months = steps * (3 if self.kind == "quarter" else 1)
        index = day.year * 12 + day.month - 1 + months
        return report_period(self.kind, date(index // 12, index % 12 + 1, 1))


def report_period(kind: str, day: date) -> ReportPeriod:
    """The period of `kind` that holds `day` (ValidationFailed, 422, for an unknown kind)."""
    if kind == "day":
        return ReportPeriod(kind, day, day)
    if kind == "week":
        start = week_start(day)
        return ReportPeriod(kind, start, start + timedelta(days=6))
    if kind == "month":
        return ReportPeriod(kind, *month_bounds(day))
    if kind == "quarter":
        return ReportPeriod(kind, *quarter_bounds(day))
    raise ValidationFailed(
        _("Unknown period."), {"period": [_("Choose day, week, month or quarter.")]}, code="bad_period"
    )


# --- counting --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountingRules:
    """What the counts read from configuration: the effective-visit rule and the important customers."""

    rule: dq.EffectiveVisitRule
    important_sizes: frozenset[str]
    important_min_bp: Decimal
    trend_weeks: int


def counting_rules() -> CountingRules:
    """The rule and the quota settings in force (two queries; shipped defaults when a row is missing)."""
    settings = QuotaSettings.objects.order_by("pk").first() or QuotaSettings()
    return CountingRules(
        effective_visit_rule(),
        frozenset(settings.important_sizes or ()),
        settings.important_min_buying_power,
        settings.trend_weeks,
    )


def important_account_q(rules: CountingRules, prefix: str = "account__") -> Q:
    """An important customer, as a filter on accounts (or on `<prefix>` of a related model)."""
    return Q(**{f"{prefix}size__in": sorted(rules.important_sizes)}) | Q(
        **{f"{prefix}buying_power__gte": rules.important_min_bp}
    )


def effective_call_q(rule: dq.EffectiveVisitRule) -> Q:
    """The SQL twin of kadence.domain.quotas.is_effective_call (on done activities)."""
    return Q(kind=Activity.Kind.CALL_OUT, result__in=sorted(r for r in rule.results if r))


def metric_filters(rules: CountingRules) -> dict[str, Q]:
    """Each activity metric as a filter on done activities (the SQL of the definitions)."""
    return {
        Metric.EFFECTIVE_VISITS: Q(is_effective=True),
        Metric.CUSTOMER_CONTACTS: Q(),
        Metric.EFFECTIVE_CALLS: effective_call_q(rules.rule),
        Metric.IMPORTANT_VISITS: Q(kind__in=sorted(rules.rule.kinds)) & important_account_q(rules),
    }


def _metric_aggregates(rules: CountingRules, owners: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """A Count per activity metric; `owners` narrows a metric to some of the people."""
    owners = owners or {}
    return {
        m: Count("id", filter=q & Q(owner_id__in=owners[m]) if owners.get(m) else q)
        if q or owners.get(m)
        else Count("id")
        for m, q in metric_filters(rules).items()
    }


def _done(user_ids: Sequence[int], start: date, end: date) -> QuerySet[Activity]:
    return Activity.objects.filter(
        owner_id__in=list(user_ids), done=True, date__gte=start, date__lte=end
    ).order_by()


def metric_counts(
    user_ids: Sequence[int], start: date, end: date, rules: CountingRules
) -> dict[int, dict[str, int]]:
    """Each person's actual of every metric over [start, end] (two queries, GROUP BY owner); a person
    with nothing done has zeros."""
    counts: dict[int, dict[str, int]] = {uid: dict.fromkeys(METRICS, 0) for uid in user_ids}
    if not user_ids:
        return counts
    for row in _done(user_ids, start, end).values("owner_id").annotate(**_metric_aggregates(rules)):
        counts[row["owner_id"]].update({m: row[m] for m in ACTIVITY_METRICS})
    earlier = Activity.objects.filter(account_id=OuterRef("account_id"), done=True, date__lt=start)
    new = (
        _done(user_ids, start, end)
        .filter(~Exists(earlier))
        .values("owner_id")
        .annotate(n=Count("account_id", distinct=True))
    )
    for row in new:
        counts[row["owner_id"]][Metric.NEW_CUSTOMERS] = row["n"]
    return counts


def quota_rows(people: Iterable[User]) -> list[dq.QuotaRow]:
    """The role rows of the people's roles and their own rows (one query)."""
    people = list(people)
    roles = sorted({p.role for p in people})
    rows = ActivityQuota.objects.filter(
        Q(user__isnull=True, role__in=roles) | Q(user_id__in=[p.pk for p in people])
    ).values_list("metric", "per", "amount", "role", "user_id")
    return [dq.QuotaRow(m, cast(dq.Per, per), amount, role, uid) for m, per, amount, role, uid in rows]


# --- attainment ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricCell:
    """One metric of a rep (or a group): actual, quota over the period, gap, % (see dq.Attainment);
    `per` and `amount` the configured quota (empty for a group)."""

    metric: str
    label: str
    actual: int
    quota: Decimal | None
    gap: Decimal | None
    pct: Decimal | None
    per: str = ""
    amount: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "actual": self.actual,
            "quota": self.quota,
            "gap": self.gap,
            "pct": self.pct,
        }


def _label(metric: str) -> str:
    return str(Metric(metric).label)


def _cell(metric: str, actual: int, row: dq.QuotaRow | None, start: date, end: date) -> MetricCell:
    quota = dq.quota_for_period(row.amount, row.per, start, end) if row is not None else None
    result = dq.attainment(actual, quota)
    return MetricCell(
        metric,
        _label(metric),
        actual,
        result.quota,
        result.gap,
        result.pct,
        row.per if row else "",
        row.amount if row else None,
    )


def attainment_cells(
    people: Sequence[User], start: date, end: date, rules: CountingRules | None = None
) -> dict[int, list[MetricCell]]:
    """Every person's cells (one per metric, in Metric order) over [start, end]: 3 queries (+2 for the
    rules when not given), whatever the number of people."""
    rules = rules or counting_rules()
    ids = [p.pk for p in people]
    counts = metric_counts(ids, start, end, rules)
    rows = quota_rows(people)
    cells = {}
    for person in people:
        quotas = dq.effective_quotas(rows, user_id=person.pk, role=person.role)
        cells[person.pk] = [_cell(m, counts[person.pk][m], quotas.get(m), start, end) for m in METRICS]
    return cells


def rep_attainment(rep: User, start: date, end: date) -> list[dict[str, Any]]:
    """The 1x1 pack's "activities vs quota": one row per metric (metric, label, actual, quota, gap, pct)
    for `rep` over [start, end]. Five queries. No visibility check: the caller has already checked it
    may show this rep (the pack is the rep's own or their manager's)."""
    return [cell.as_dict() for cell in attainment_cells([rep], start, end)[rep.pk]]


def _sum(cells: Iterable[MetricCell], metric: str) -> MetricCell:
    """A group's cell: the actuals and quotas summed over its people who have a quota of the metric
    (people without one are left out of both, so that % compares like with like)."""
    with_quota = [c for c in cells if c.quota is not None]
    if not with_quota:
        return MetricCell(metric, _label(metric), sum(c.actual for c in cells), None, None, None)
    actual = sum(c.actual for c in with_quota)
    result = dq.attainment(actual, sum((c.quota for c in with_quota if c.quota is not None), Decimal(0)))
    return MetricCell(metric, _label(metric), actual, result.quota, result.gap, result.pct)


def group_cells(cell_lists: Iterable[list[MetricCell]]) -> list[MetricCell]:
    by_metric: dict[str, list[MetricCell]] = defaultdict(list)
    for cells in cell_lists:
        for cell in cells:
            by_metric[cell.metric].append(cell)
    return [_sum(by_metric[m], m) for m in METRICS]


@dataclass
class RepRow:
    user: User
    team: OrgUnit | None
    cells: list[MetricCell]


@dataclass
class GroupRow:
    unit: OrgUnit | None
    label: str
    reps: int
    cells: list[MetricCell]


@dataclass
class TrendPoint:
    week: date
    actual: dict[str, int]
    quota: dict[str, Decimal | None]
    pct: dict[str, Decimal | None]


@dataclass
class AttainmentReport:
    period: ReportPeriod
    scope: Scope
    reps: list[RepRow]
    teams: list[GroupRow]
    regions: list[GroupRow]
    total: GroupRow
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def metrics(self) -> list[tuple[str, str, str]]:
        return metric_definitions()


def metric_definitions() -> list[tuple[str, str, str]]:
    """(key, label, definition) of each metric, as the pages and the API show them."""
    return [(m, _label(m), str(METRIC_DEFINITIONS[Metric(m)])) for m in METRICS]


def scope_people(user: User, *, unit_id: int | None, owner_id: int | None) -> tuple[Scope, list[User]]:
    """The scope asked for (NotFound outside one's reach) and its active sellers with their teams
    (one query, plus the scope's own)."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    people = list(
        quota_sellers(scope).select_related("org_unit").order_by("org_unit__path", "display_name", "username")
    )
    return scope, people


def _regions(teams: Iterable[OrgUnit]) -> dict[int, OrgUnit]:
    """Each team's region (one query): the ancestor of kind region, read from the materialised paths."""
    ancestors = {int(p) for team in teams for p in team.path.strip("/").split("/") if p}
    regions = {u.pk: u for u in OrgUnit.objects.filter(pk__in=sorted(ancestors), kind=OrgUnit.Kind.REGION)}
    found = {}
    for team in teams:
        for part in team.path.strip("/").split("/"):
            if part and int(part) in regions:
                found[team.pk] = regions[int(part)]
    return found


def _groups(rows: list[RepRow], key: Any, label: Any) -> list[GroupRow]:
    grouped: dict[Any, list[RepRow]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return [
        GroupRow(unit, label(unit), len(members), group_cells(r.cells for r in members))
        for unit, members in grouped.items()
    ]


def attainment_report(
    user: User,
    *,
    period: str = "week",
    day: date,
    unit_id: int | None = None,
    owner_id: int | None = None,
    trend_weeks: int | None = None,
) -> AttainmentReport:
    """Attainment of the scope's sellers (a seller: their own; a manager: their teams; a director: their
    regions; an admin: the company; or the unit / seller chosen) for the period holding `day`, with the
    team totals, the region totals (directors and admins) and the weekly trend of the last weeks."""
    when = report_period(period, day)
    scope, people = scope_people(user, unit_id=unit_id, owner_id=owner_id)
    rules = counting_rules()
    cells = attainment_cells(people, when.start, when.end, rules)
    reps = [RepRow(p, p.org_unit, cells[p.pk]) for p in people]
    teams = _groups(reps, lambda r: r.team, lambda u: u.name if u else _("No team"))
    regions: list[GroupRow] = []
    if sees_regions(user) and scope.owner is None:
        region_of = _regions([t.unit for t in teams if t.unit is not None])
        regions = _groups(
            reps,
            lambda r: region_of.get(r.team.pk) if r.team else None,
            lambda u: u.name if u else _("No region"),
        )
    total = GroupRow(None, scope.label, len(reps), group_cells(r.cells for r in reps))
    weeks = min(max(trend_weeks or rules.trend_weeks, 1), MAX_TREND_WEEKS)
    trend = attainment_trend(people, when.end, weeks, rules)
    return AttainmentReport(when, scope, reps, teams, regions, total, trend)


def attainment_trend(
    people: Sequence[User], last_day: date, weeks: int, rules: CountingRules
) -> list[TrendPoint]:
    """The activity metrics of `people` together, week by week, for the `weeks` weeks up to the one
    holding `last_day` (two queries: their quota rows, their done activities per day). As in the group
    totals, a metric counts the people who have a quota of it (everyone, with no % when nobody has).
    New customers are left out: a monthly quota over a week says little."""
    first = week_start(last_day) - timedelta(weeks=weeks - 1)
    end = week_start(last_day) + timedelta(days=6)
    rows = quota_rows(people) if people else []
    mine = {p.pk: dq.effective_quotas(rows, user_id=p.pk, role=p.role) for p in people}
    counted = {m: sorted(p for p, q in mine.items() if m in q) for m in ACTIVITY_METRICS}
    aggregates = _metric_aggregates(rules, counted)
    actual: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACTIVITY_METRICS, 0))
    if people:
        for row in _done([p.pk for p in people], first, end).values("date").annotate(**aggregates):
            bucket = actual[week_start(row["date"])]
            for m in ACTIVITY_METRICS:
                bucket[m] += row[m]
    points = []
    for n in range(weeks):
        monday = first + timedelta(weeks=n)
        sunday = monday + timedelta(days=6)
        quota: dict[str, Decimal | None] = {}
        pct: dict[str, Decimal | None] = {}
        for m in ACTIVITY_METRICS:
            given = [q[m] for q in mine.values() if m in q]
            quota[m] = (
                sum((dq.quota_for_period(r.amount, r.per, monday, sunday) for r in given), Decimal(0))
                if given
                else None
            )
            pct[m] = dq.attainment(actual[monday][m], quota[m]).pct
        points.append(TrendPoint(monday, dict(actual[monday]), quota, pct))
    return points


# --- configuration ---------------------------------------------------------------------------------


def quota_list(user: User) -> list[ActivityQuota]:
    """The quota rows `user` may read: all for an admin; else their role's and their own (and, for a lead,
    those of the people in their units)."""
    return list(visible_activity_quotas(user).select_related("user").order_by("role", "user_id", "metric"))


def can_configure(user: User) -> bool:
    return is_admin(user)
