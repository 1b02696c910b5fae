"""The director's dashboard (issue 14 §8, METHODOLOGY §10.1, §10.2, §10.6) for a report scope
(kadence.core.visibility.resolve_scope: a seller their own; a manager their teams; a director their
regions; an admin the company; or the unit or seller drilled into), for the month, quarter or year holding
a day (default today), as of today:

- **attainment grid**: the scope's total and the rows one level down — a company's regions, a region's
  teams (shown_units, as the quota position), a team's sellers when it has no unit below — each with its
  target of record, booked and attainment for the month, the quarter and the year holding the day
  (booked = won amount closed in the period, from the WonTotal summary; target = planning.Target, a unit's
  own only, the total as target_for reads it; attainment = booked ÷ target, None without a target);
- **trend**: month by month through the year — target (the scope's monthly targets of record), booked,
  and the forecast of the open deals expected to close in the current and later months (`basis`:
  weighted pipeline, commit, or commit + best case; deals past their close month are not counted),
  each also cumulative: booked to date, and the projection booked-to-date + forecast;
- **V值 distribution**: the scope's sellers by V (kadence.performance.position), in the bins of the
  DashboardPolicy, plus "no quota" and "quota made";
- **KPI grades**: the scope's sellers' scorecards of the month or quarter (the year: the annual score,
  the mean of the quarterly totals) by grade (kadence.performance.kpi), and how many were not graded;
- **anomalies**: among the rows one level down (the peers), those far from the others on attainment of
  the chosen period or on V (kadence.domain.outliers: z-score and IQR rule), and those whose pipeline
  coverage (V) dropped since their forecast snapshot of `coverage_lookback_days` ago.

Cost: grouped SQL aggregates and one read per kind of row — a fixed number of queries whatever the
number of deals, sellers or units (tests/performance/test_dashboard.py asserts it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import Scope, quota_sellers, resolve_scope
from kadence.domain import forecast as fc
from kadence.domain import kpi as dk
from kadence.domain import outliers as ol
from kadence.domain.periods import Period, period_containing
from kadence.domain.vvalue import v_value
from kadence.performance.dashboard.models import DashboardPolicy
from kadence.performance.kpi.models import Scorecard
from kadence.performance.kpi.selectors import bands
from kadence.performance.position.selectors import PositionReport, position_report, shown_units
from kadence.pipeline.expressions import forecast_category
from kadence.pipeline.models import PipelineTotal
from kadence.planning.models import ForecastSnapshot, Target
from kadence.planning.selectors.forecast import cents, won_per_period
from kadence.planning.selectors.targets import period_of, scope_roots

PLACES = Decimal("0.01")
ZERO = Decimal(0)
KINDS = ("month", "quarter", "year")
WEIGHTED, COMMIT, BEST_CASE = "weighted", "commit", "best_case"
BASES = {
    WEIGHTED: gettext_lazy(
        "Weighted pipeline: Σ amount × probability of the open deals closing in the month."
    ),
    COMMIT: gettext_lazy("Commit: the amount of the open deals in the commit category closing in the month."),
    BEST_CASE: gettext_lazy("Best case: commit + best case, the open deals closing in the month."),
}
OPEN_CATEGORY = forecast_category(status=None)  # PipelineTotal holds open deals only


def _rate(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    if denominator is None or denominator <= 0:
        return None
    return (numerator / denominator).quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Attainment:
    """Booked against the target of one period: `rate` = booked ÷ target (a fraction, 2 decimals; None
    without a positive target), `gap` = target − booked (negative: beyond the target)."""

    target: Decimal | None
    booked: Decimal

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.booked, self.target)

    @property
    def gap(self) -> Decimal | None:
        return None if self.target is None else self.target - self.booked


@dataclass(frozen=True)
class GridRow:
    """A unit's or seller's attainment for the month, quarter and year holding the day."""

    kind: str  # "total", "unit" or "rep"
    id: int | None
    label: str
    sub: str
    month: Attainment
    quarter: Attainment
    year: Attainment

    def of(self, kind: str) -> Attainment:
        result: Attainment = getattr(self, kind)
        return result


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend. `forecast` is 0 for a month already over; `cum_booked` is None after the
    current month; `cum_projection` = booked to date + the forecast of the months up to this one."""

    month: date
    target: Decimal | None
    booked: Decimal
    forecast: Decimal
    cum_target: Decimal | None
    cum_booked: Decimal | None
    cum_projection: Decimal


@dataclass(frozen=True)
class Bin:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Anomaly:
    """One flagged peer: on `metric` (attainment, v or coverage_drop), its value and why."""

    row: GridRow
    metric: str
    value: Decimal
    side: str  # "high" / "low"; a coverage drop is "low"
    reason: str


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    as_of: date
    day: date
    period: Period  # the chosen month, quarter or year
    year: Period
    basis: str
    level: str  # "units", "sellers" or "none" (one seller): what the rows are
    total: GridRow
    rows: list[GridRow]
    trend: list[TrendPoint]
    year_target: Decimal | None
    v_bins: list[Bin]
    flagged: int
    position: PositionReport
    grade_period: str  # "month", "quarter" or "year"
    grades: list[Bin]
    not_graded: int
    anomalies: list[Anomaly]
    policy: DashboardPolicy

    @property
    def basis_text(self) -> str:
        return str(BASES[self.basis])


def clean_basis(basis: str | None) -> str:
    basis = basis or WEIGHTED
    if basis not in BASES:
        raise ValidationFailed(
            _("Unknown forecast basis."), {"basis": [_("Choose weighted, commit or best_case.")]}
        )
    return basis


def _month(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- targets ---------------------------------------------------------------------------------------


def _periods_q(periods: list[Period]) -> Q:
    q = Q(pk__in=[])
    for p in periods:
        q |= Q(period_kind=p.kind, period_start=p.start)
    return q


def year_periods(year: Period) -> list[Period]:
    """The year, its quarters and its months."""
    y = year.start.year
    quarters = [period_containing("quarter", date(y, m, 1)) for m in (1, 4, 7, 10)]
    return [year, *quarters, *(period_containing("month", date(y, m, 1)) for m in range(1, 13))]


def scope_targets(scope: Scope, year: Period) -> dict[tuple[str, date], Decimal]:
    """The scope's targets of record for the year, its quarters and its months ({(kind, start): amount}),
    in one query (two for a default scope): target_for's rule, period by period — a seller's own, a
    unit's own, a default scope's top units summed only for a period where each has one."""
    qs = Target.objects.filter(_periods_q(year_periods(year)))
    if scope.owner is not None:
        rows = qs.filter(user_id=scope.owner.pk).values_list("period_kind", "period_start", "amount")
        return {(k, s): a for k, s, a in rows}
    if scope.unit is not None:
        rows = qs.filter(unit_id=scope.unit.pk, user__isnull=True).values_list(
            "period_kind", "period_start", "amount"
        )
        return {(k, s): a for k, s, a in rows}
    if scope.unit_ids is None:
        roots = list(OrgUnit.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    else:
        roots = scope_roots(scope.unit_ids)
    if not roots:
        return {}
    found = (
        qs.filter(unit_id__in=roots, user__isnull=True)
        .values("period_kind", "period_start")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    return {(r["period_kind"], r["period_start"]): r["total"] for r in found if r["n"] == len(roots)}


def month_targets(targets: dict[tuple[str, date], Decimal]) -> dict[date, Decimal]:
    return {start: amount for (kind, start), amount in targets.items() if kind == "month"}


def targets_by_period(
    periods: list[Period], *, user_ids: list[int], unit_ids: list[int]
) -> dict[str, tuple[dict[int, Decimal], dict[int, Decimal]]]:
    """targets_of for several periods of different kinds in one query: {kind: (seller → target, unit →
    target)} (a unit's own target only)."""
    result: dict[str, tuple[dict[int, Decimal], dict[int, Decimal]]] = {p.kind: ({}, {}) for p in periods}
    if not user_ids and not unit_ids:
        return result
    rows = Target.objects.filter(_periods_q(periods)).filter(
        Q(user_id__in=sorted(set(user_ids))) | Q(unit_id__in=sorted(set(unit_ids)), user__isnull=True)
    )
    starts: dict[str, date] = {p.kind: p.start for p in periods}
    for kind, start, user_id, unit_id, amount in rows.values_list(
        "period_kind", "period_start", "user_id", "unit_id", "amount"
    ):
        if starts.get(kind) != start:
            continue
        if user_id is not None:
            result[kind][0][user_id] = amount
        elif unit_id is not None:
            result[kind][1][unit_id] = amount
    return result


# --- the grid --------------------------------------------------------------------------------------


def _grid(
    scope: Scope, day: date, year: Period
) -> tuple[str, GridRow, list[GridRow], dict[date, Decimal], dict[tuple[str, date], Decimal]]:
    """(level, total, rows one level down, booked per month of the scope, the scope's targets)."""
    periods = {kind: period_containing(kind, day) for kind in KINDS}  # type: ignore[arg-type]
    units = shown_units(scope)
    sellers: list[User] = []
    if scope.owner is None and not units:
        sellers = list(quota_sellers(scope).select_related("org_unit").order_by("display_name", "username"))
    level = "units" if units else "sellers" if scope.owner is None else "none"

    won = won_per_period(scope, "month", year.start, year.end)
    team_ids = sorted({r["team_id"] for r in won})
    paths = (
        dict(OrgUnit.objects.filter(pk__in=team_ids).values_list("pk", "path")) if units and team_ids else {}
    )
    total_month: dict[date, Decimal] = defaultdict(lambda: ZERO)
    by_unit: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    by_owner: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for won_row in won:
        month, amount = _month(won_row["period"]), cents(won_row["total"])
        total_month[month] += amount
        by_owner[won_row["owner_id"]][month] += amount
        path = paths.get(won_row["team_id"], "")
        for unit in units:
            if path.startswith(unit.path):
                by_unit[unit.pk][month] += amount

    def booked(months: dict[date, Decimal], period: Period) -> Decimal:
        return sum((v for m, v in months.items() if period.start <= m <= period.end), ZERO)

    targets = targets_by_period(
        list(periods.values()), user_ids=[s.pk for s in sellers], unit_ids=[u.pk for u in units]
    )
    own = scope_targets(scope, year)

    def row(
        kind: str, pk: int | None, label: str, sub: str, months: dict[date, Decimal], target: Any
    ) -> GridRow:
        return GridRow(
            kind,
            pk,
            label,
            sub,
            *(Attainment(target(k), booked(months, periods[k])) for k in KINDS),
        )

    total_id = scope.owner.pk if scope.owner else scope.unit.pk if scope.unit else None
    total = row(
        "total",
        total_id,
        str(scope.label),
        "",
        total_month,
        lambda k: own.get((k, periods[k].start)),
    )
    rows = [
        row(
            "unit",
            u.pk,
            u.name,
            u.get_kind_display(),
            by_unit[u.pk],
            lambda k, pk=u.pk: targets[k][1].get(pk),
        )
        for u in units
    ] + [
        row(
            "rep",
            s.pk,
            s.label,
            s.org_unit.name if s.org_unit else "",
            by_owner[s.pk],
            lambda k, pk=s.pk: targets[k][0].get(pk),
        )
        for s in sellers
    ]
    return level, total, rows, total_month, own


# --- the trend -------------------------------------------------------------------------------------


def monthly_forecast(scope: Scope, year: Period, today: date, basis: str) -> dict[date, Decimal]:
    """The forecast per close month of the open deals expected to close from the current month to the
    year's end (`basis`), one grouped query over the PipelineTotal summary."""
    first = max(year.start, period_containing("month", today).start)
    if first > year.end:
        return {}
    rows = (
        scope.filter(PipelineTotal.objects.filter(close_month__range=(first, year.end), count__gt=0))
        .exclude(forecast_category=fc.OMITTED)
        .annotate(category=OPEN_CATEGORY)
        .values("close_month", "category")
        .annotate(total=Sum("amount"), weighted_total=Sum("weighted"))
        .order_by()
    )
    found: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        month = _month(r["close_month"])
        if basis == WEIGHTED:
            found[month] += r["weighted_total"] or ZERO
        elif r["category"] == fc.COMMIT or (basis == BEST_CASE and r["category"] == fc.BEST_CASE):
            found[month] += r["total"] or ZERO
    return {m: v.quantize(PLACES, rounding=ROUND_HALF_UP) for m, v in found.items()}


def trend_points(
    year: Period,
    today: date,
    targets: dict[date, Decimal],
    booked: dict[date, Decimal],
    forecast: dict[date, Decimal],
) -> list[TrendPoint]:
    """The twelve months with their cumulative figures (see TrendPoint)."""
    points = []
    cum_target: Decimal | None = None
    cum_booked = ZERO
    cum_forecast = ZERO
    current = period_containing("month", today).start
    for n in range(12):
        month = date(year.start.year, n + 1, 1)
        target = targets.get(month)
        if target is not None:
            cum_target = (cum_target or ZERO) + target
        got = booked.get(month, ZERO)
        cum_booked += got
        ahead = forecast.get(month, ZERO) if month >= current else ZERO
        cum_forecast += ahead
        points.append(
            TrendPoint(
                month,
                target,
                got,
                ahead,
                cum_target,
                cum_booked if month <= current else None,
                cum_booked + cum_forecast,
            )
        )
    return points


# --- distributions ---------------------------------------------------------------------------------


def v_bins(report: PositionReport, edges: list[Decimal]) -> list[Bin]:
    """The sellers of a quota position by V: no quota, quota made, then V below the first edge, between
    each two edges (lower included), at or above the last."""
    counts: Counter[str] = Counter()
    for r in report.rows:
        v = r.position.v
        if r.status in ("no_quota", "met"):
            counts[r.status] += 1
            continue
        assert v is not None
        index = sum(1 for e in edges if v >= e)
        counts[f"b{index}"] += 1
    labels = (
        [f"< {edges[0]}"] + [f"{a}–{b}" for a, b in zip(edges, edges[1:], strict=False)] + [f"≥ {edges[-1]}"]
    )
    result = [Bin(f"b{i}", label, counts[f"b{i}"]) for i, label in enumerate(labels)]
    return [
        *result,
        Bin("met", _("Quota made"), counts["met"]),
        Bin("no_quota", _("No quota"), counts["no_quota"]),
    ]


def grade_counts(scope: Scope, kind: str, period: Period) -> tuple[list[Bin], int]:
    """(sellers per grade, best first; the scope's sellers not graded) for the month or quarter of
    `period` — its scorecards — or the year — the annual score, the mean of the scored quarterly totals
    (kadence.domain.kpi.annual_score), graded by the bands in force. Three queries."""
    grade_rows = bands()
    sellers = quota_sellers(scope)
    people = sellers.count()
    counts: Counter[str] = Counter()
    if kind == "year":
        quarters: dict[int, list[Decimal | None]] = defaultdict(list)
        for uid, total in Scorecard.objects.filter(
            user_id__in=sellers.values("pk"), period_kind="quarter", period_start__year=period.start.year
        ).values_list("user_id", "total"):
            quarters[uid].append(total)
        graded = [dk.Band(b.code, b.min_score) for b in grade_rows]
        for totals in quarters.values():
            code = dk.grade(dk.annual_score(totals), graded)
            if code:
                counts[code] += 1
    else:
        for grade, n in (
            Scorecard.objects.filter(
                user_id__in=sellers.values("pk"), period_kind=kind, period_start=period.start
            )
            .exclude(grade="")
            .values("grade")
            .annotate(n=Count("id"))
            .values_list("grade", "n")
            .order_by()
        ):
            counts[grade] += n
    result = [Bin(b.code, b.name, counts.get(b.code, 0)) for b in grade_rows]
    return result, max(people - sum(b.count for b in result), 0)


# --- anomalies -------------------------------------------------------------------------------------


def _outlier_reason(o: ol.Outlier[Any]) -> str:
    parts = []
    if o.by_z:
        parts.append(_("z = %(z)s") % {"z": o.z})
    if o.by_iqr:
        parts.append(_("outside %(low)s – %(high)s") % {"low": o.low_fence, "high": o.high_fence})
    return _("%(rules)s; peers' mean %(mean)s") % {"rules": ", ".join(parts), "mean": o.mean}


def coverage_then(
    level: str, rows: list[GridRow], period: Period, cutoff: date
) -> dict[int, tuple[date, Decimal, Decimal]]:
    """Each peer's latest scheduled forecast snapshot of the period taken on or before `cutoff`:
    {id: (taken on, open amount then, booked then)}. One query."""
    ids = [r.id for r in rows if r.id is not None]
    if not ids or level not in ("units", "sellers"):
        return {}
    by_unit = level == "units"
    base = ForecastSnapshot.objects.filter(
        source=ForecastSnapshot.Source.SCHEDULED,
        period_kind=period.kind,
        period_start=period.start,
        taken_on__lte=cutoff,
    )
    key = "unit_id" if by_unit else "user_id"
    peers = base.filter(
        Q(unit_id__in=ids, user__isnull=True) if by_unit else Q(user_id__in=ids, unit__isnull=True)
    )
    latest = (
        base.filter(**{key: OuterRef(key)})
        .filter(Q(user__isnull=True) if by_unit else Q(unit__isnull=True))
        .order_by("-taken_on", "-id")
        .values("id")[:1]
    )
    found = {}
    for pk, taken_on, commit, best, nxt, pipe, booked in peers.filter(id=Subquery(latest)).values_list(
        key, "taken_on", "commit", "best_case", "next_quarter", "pipeline", "booked"
    ):
        found[pk] = (taken_on, commit + best + nxt + pipe, booked)
    return found


def find_anomalies(
    level: str,
    rows: list[GridRow],
    period: Period,
    report: PositionReport,
    policy: DashboardPolicy,
    today: date,
) -> list[Anomaly]:
    """The peers far from the others on attainment of `period` or on V, and those whose coverage
    dropped (see the module docstring)."""
    if level not in ("units", "sellers"):
        return []
    rules = ol.Rules(policy.z_threshold, policy.iqr_factor, policy.min_peers)
    by_id = {r.id: r for r in rows}
    positions = {p.id: p for p in (report.units if level == "units" else report.rows)}
    found: list[Anomaly] = []
    attainment = {r.id: r.of(period.kind).rate for r in rows}
    for o in ol.outliers(attainment, rules):
        found.append(Anomaly(by_id[o.key], "attainment", o.value, o.side, _outlier_reason(o)))
    vs = {r.id: positions[r.id].position.v if r.id in positions else None for r in rows}
    for o in ol.outliers(vs, rules):
        found.append(Anomaly(by_id[o.key], "v", o.value, o.side, _outlier_reason(o)))
    then = coverage_then(level, rows, period, today - timedelta(days=policy.coverage_lookback_days))
    for pk, (taken_on, open_then, booked_then) in then.items():
        row, pos = by_id.get(pk), positions.get(pk)
        if row is None or pos is None or pos.position.quota is None:
            continue
        before = v_value(open_then, max(pos.position.quota - booked_then, ZERO))
        fall = ol.coverage_drop(before, pos.position.v, policy.coverage_drop)
        if fall is not None:
            found.append(
                Anomaly(
                    row,
                    "coverage_drop",
                    fall,
                    "low",
                    _("V %(then)s on %(day)s → %(now)s now")
                    % {"then": before, "day": taken_on, "now": pos.position.v},
                )
            )
    return found


# --- the report ------------------------------------------------------------------------------------


def dashboard_report(
    user: User,
    *,
    period_kind: str | None = None,
    day: date | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
    basis: str | None = None,
) -> Dashboard:
    """The director's dashboard of the scope `user` asks for (NotFound outside their reach) for the
    period of `period_kind` (default quarter) holding `day` (default today); the trend covers its year."""
    basis = clean_basis(basis)
    today = timezone.localdate()
    period = period_of(period_kind, day, default_day=today)
    the_day = day or today
    year = period_containing("year", the_day)
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    policy = DashboardPolicy.current()
    level, total, rows, booked_months, own = _grid(scope, the_day, year)
    trend = trend_points(
        year, today, month_targets(own), booked_months, monthly_forecast(scope, year, today, basis)
    )
    position = position_report(
        user, period_kind=period.kind, day=the_day, unit_id=unit_id, owner_id=owner_id, page_size=1
    )
    grade_period = period.kind
    grades, not_graded = grade_counts(scope, grade_period, period)
    return Dashboard(
        scope=scope,
        as_of=today,
        day=the_day,
        period=period,
        year=year,
        basis=basis,
        level=level,
        total=total,
        rows=rows,
        trend=trend,
        year_target=total.year.target,
        v_bins=v_bins(position, policy.bins()),
        flagged=position.flagged,
        position=position,
        grade_period=grade_period,
        grades=grades,
        not_graded=not_graded,
        anomalies=find_anomalies(level, rows, period, position, policy, today),
        policy=policy,
    )


def attainment_strip(user: User, today: date) -> tuple[str, GridRow, list[GridRow]] | None:
    """The home page's attainment strip: (level, the user's scope total, its rows one level down) for
    the month, quarter and year holding today — a seller's own; a lead's scope with its units (or its
    team's sellers). None for someone with nothing in reach. A fixed number of queries."""
    scope = resolve_scope(user)
    if scope.owner is None and scope.unit_ids is not None and not scope.unit_ids:
        return None
    level, total, rows, _months, _own = _grid(scope, today, period_containing("year", today))
    return level, total, rows
