"""Forecast reads (METHODOLOGY §9.1–§9.5): the forecast report of a scope and period (categories, time
buckets, per-seller and per-team breakdown with the forecasts of record), the submission history, the
rolling 4-week order forecast with its accuracy, and the accuracy of period forecasts.

Everything is computed by grouped SQL aggregates over the opportunities of the scope (by the deal's
owner and team, never by deal-team membership, see kadence.core.visibility); Python only adds up the
grouped rows. Weighted amounts use each deal's `probability`, the configured probability of its
level (`probabilities_used` says so in every answer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Max,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import (
    Coalesce,
    RowNumber,
    TruncDate,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.errors import ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.pagination import Page, paginate
from kadence.core.validation import clean_date
from kadence.core.visibility import IdIn, Scope, can_lead, in_scope, resolve_scope, sees_regions, sellers_q
from kadence.domain import forecast as fc
from kadence.domain.periods import (
    PERIOD_KINDS,
    Period,
    PeriodKind,
    next_week_starts,
    period_containing,
    periods_before,
    time_buckets,
    week_start,
    year_bounds,
)
from kadence.pipeline import snapshots
from kadence.pipeline.expressions import WEIGHTED, forecast_category, time_bucket
from kadence.pipeline.models import Opportunity, PipelineTotal, StageChange, WonTotal
from kadence.pipeline.month_ends import end_of
from kadence.planning.models import ForecastSnapshot, ForecastSubmission, OrderForecast

CENT = Decimal("0.01")
ACCURACY_PERIODS = 8
ORDER_WEEKS = 8
DEALS_KEPT = 500  # the largest deals behind a submission that its snapshot keeps


def cents(value: Decimal | None) -> Decimal:
    return (value or fc.ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


def forecast_period(kind: str | None, start: date | None, as_of: date) -> Period:
    """The period asked for: `kind` month / quarter / year (default quarter) holding `start`
    (any day of it; default: the period holding `as_of`)."""
    kind = kind or "quarter"
    clean_date(start, "period_start")  # far from now the period arithmetic would overflow
    clean_date(as_of, "as_of")
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(
            _("Choose month, quarter or year."), {"period_kind": [_("Choose month, quarter or year.")]}
        )
    checked: PeriodKind = kind  # type: ignore[assignment]
    return period_containing(checked, start or as_of)


def probabilities_used(scope: Scope) -> str:
    """Which win probabilities the weighted figures use. Hook for calibration (METHODOLOGY §9.6):
    for now always the configured probability of each deal's level."""
    probabilities_used = "configured"
    return probabilities_used


# --- grouped aggregates --------------------------------------------------------------------------

CATEGORY = forecast_category()


def _in_period(period: Period, as_of: date) -> Q:
    """Open deals (not omitted) expected to close in the period, and deals won in it up to `as_of`."""
    open_ = Q(status=Opportunity.Status.OPEN, expected_close_date__range=(period.start, period.end)) & ~Q(
        forecast_category=fc.OMITTED
    )
    won = Q(status=Opportunity.Status.WON, closed_on__range=(period.start, min(period.end, as_of)))
    return open_ | won


@dataclass(frozen=True)
class Group:
    """The deals of one owner in one team, rolled up by category."""

    owner_id: int
    team_id: int
    totals: fc.CategoryTotals


def period_groups(qs: QuerySet[Opportunity], period: Period, as_of: date) -> list[Group]:
    """One query: the deals of `qs` in the period grouped by owner × team × category."""
    rows = (
        qs.filter(_in_period(period, as_of))
        .annotate(category=CATEGORY)
        .values("owner_id", "team_id", "category")
        .annotate(n=Count("id"), total=Sum("amount"), weighted_total=Sum(WEIGHTED))
        .order_by()
    )
    by_key: dict[tuple[int, int], list[tuple[str | None, int, Decimal, Decimal]]] = defaultdict(list)
    for row in rows:
        by_key[(row["owner_id"], row["team_id"])].append(
            (row["category"], row["n"], cents(row["total"]), cents(row["weighted_total"]))
        )
    return [Group(owner, team, fc.category_rollup(items)) for (owner, team), items in sorted(by_key.items())]


TOTAL_CATEGORY = forecast_category(status=None)  # PipelineTotal rows hold open deals only


def _won_in(period: Period, as_of: date) -> Q:
    return Q(status=Opportunity.Status.WON, closed_on__range=(period.start, min(period.end, as_of)))


def scope_period_groups(scope: Scope, period: Period, as_of: date) -> list[Group]:
    """period_groups for a whole scope in two indexed reads: the open deals from the PipelineTotal
    summary (close months are whole months and periods start and end on month boundaries, so the
    summary answers exactly), the deals won in the period from the opportunities."""
    open_rows = (
        scope.filter(
            PipelineTotal.objects.filter(close_month__range=(period.start, period.end), count__gt=0).exclude(
                forecast_category=fc.OMITTED
            )
        )
        .annotate(category=TOTAL_CATEGORY)
        .values("owner_id", "team_id", "category")
        .annotate(n=Sum("count"), total=Sum("amount"), weighted_total=Sum("weighted"))
        .order_by()
    )
    if as_of >= timezone.localdate():  # no deal closes in the future: the won summary answers exactly
        won_rows = (
            scope.filter(WonTotal.objects.filter(closed_month__range=(period.start, period.end), count__gt=0))
            .values("owner_id", "team_id")
            .annotate(n=Sum("count"), total=Sum("amount"), weighted_total=Sum("weighted"))
            .order_by()
        )
    else:
        won_rows = (
            scope.filter(Opportunity.objects.filter(_won_in(period, as_of)))
            .values("owner_id", "team_id")
            .annotate(n=Count("id"), total=Sum("amount"), weighted_total=Sum(WEIGHTED))
            .order_by()
        )
    by_key: dict[tuple[int, int], list[tuple[str | None, int, Decimal, Decimal]]] = defaultdict(list)
    for row in open_rows:
        by_key[(row["owner_id"], row["team_id"])].append(
            (row["category"], row["n"], cents(row["total"]), cents(row["weighted_total"]))
        )
    for row in won_rows:
        by_key[(row["owner_id"], row["team_id"])].append(
            (fc.BOOKED, row["n"], cents(row["total"]), cents(row["weighted_total"]))
        )
    return [Group(owner, team, fc.category_rollup(items)) for (owner, team), items in sorted(by_key.items())]


@dataclass(frozen=True)
class Record:
    """A seller's latest submission for a period and, when adjusted, its latest adjustment."""

    submission: ForecastSubmission
    adjustment: ForecastSubmission | None

    @property
    def forecast(self) -> Decimal:
        return (self.adjustment or self.submission).forecast

    @property
    def unit_id(self) -> int:
        return self.submission.unit_id


def _latest(qs: QuerySet[ForecastSubmission], partition: str) -> QuerySet[ForecastSubmission]:
    return qs.annotate(
        rank=Window(
            RowNumber(), partition_by=[F(partition)], order_by=[F("submitted_at").desc(), F("id").desc()]
        )
    ).filter(rank=1)


def records_for(period: Period, where: Q) -> dict[int, Record]:
    """The forecast of record of each seller matched by `where` (two queries): their latest
    submission for the period, and the latest adjustment of that submission."""
    base = ForecastSubmission.objects.filter(period_kind=period.kind, period_start=period.start).defer(
        "deals"
    )
    submissions = list(
        _latest(base.filter(where, kind=ForecastSubmission.Kind.SUBMISSION), "user_id").select_related(
            "submitted_by"
        )
    )
    if not submissions:
        return {}
    adjustments = {
        a.adjusts_id: a
        for a in _latest(
            base.filter(kind=ForecastSubmission.Kind.ADJUSTMENT, adjusts_id__in=[s.pk for s in submissions]),
            "adjusts_id",
        ).select_related("submitted_by")
    }
    return {s.user_id: Record(s, adjustments.get(s.pk)) for s in submissions}


def submission_q(scope: Scope) -> Q:
    """Submissions of the scope: the seller's own, or those filed under the scope's units."""
    if scope.owner is not None:
        return Q(user_id=scope.owner.pk)
    if scope.unit is not None:
        return Q(unit__path__startswith=scope.unit.path)
    if scope.unit_ids is not None:
        return Q(unit_id__in=sorted(scope.unit_ids))
    return Q()


def placed_q(scope: Scope, prefix: str = "") -> Q:
    """People of the scope by where they sit (their org unit)."""
    if scope.owner is not None:
        return Q(**{f"{prefix}pk" if not prefix else f"{prefix}id": scope.owner.pk})
    if scope.unit is not None:
        return Q(**{f"{prefix}org_unit__path__startswith": scope.unit.path})
    if scope.unit_ids is not None:
        return Q(**{f"{prefix}org_unit_id__in": sorted(scope.unit_ids)})
    return Q(**{f"{prefix}org_unit__isnull": False})


def _covers(scope: Scope, unit: OrgUnit) -> bool:
    if scope.unit is not None:
        return unit.path.startswith(scope.unit.path)
    return scope.unit_ids is None or unit.pk in scope.unit_ids


def _units() -> dict[int, OrgUnit]:
    return {
        u.pk: u for u in OrgUnit.objects.only("id", "kind", "code", "name_zh", "name_en", "path", "parent_id")
    }


def _chain(units: Mapping[int, OrgUnit], unit_id: int) -> list[int]:
    unit = units.get(unit_id)
    return (
        [int(part) for part in unit.path.strip("/").split("/") if part] if unit and unit.path else [unit_id]
    )


def _region_of(units: Mapping[int, OrgUnit], unit_id: int) -> int | None:
    for pk in _chain(units, unit_id):
        if pk in units and units[pk].kind == OrgUnit.Kind.REGION:
            return pk
    return None


# --- the forecast report -------------------------------------------------------------------------


@dataclass
class SellerRow:
    user: User
    team: OrgUnit | None
    totals: fc.CategoryTotals
    record: Record | None
    can_adjust: bool = False

    @property
    def call(self) -> Decimal:
        return fc.effective_call(self.record.forecast if self.record else None, self.totals)


@dataclass
class UnitRow:
    unit: OrgUnit
    totals: fc.CategoryTotals = field(default_factory=fc.CategoryTotals)
    call: Decimal = fc.ZERO
    sellers: int = 0
    submitted: int = 0


@dataclass
class BucketRow:
    code: str
    start: date | None
    end: date | None
    totals: fc.CategoryTotals


@dataclass
class ForecastReport:
    scope: Scope
    period: Period
    as_of: date
    probabilities_used: str
    totals: fc.CategoryTotals
    call: Decimal
    booked_to_date: fc.Figure
    buckets: list[BucketRow]
    sellers: list[SellerRow]
    teams: list[UnitRow]
    regions: list[UnitRow]
    can_submit: bool
    my_record: Record | None


def unit_calls(groups: Sequence[Group], records: Mapping[int, Record]) -> dict[int, Decimal]:
    """The forecast of each team (by the deals' team): the sellers' forecasts of record filed under
    it, plus booked + commit of the deals there of sellers without a record (METHODOLOGY §9.4: the
    team total is the sum of its sellers' forecasts)."""
    calls: dict[int, Decimal] = defaultdict(lambda: fc.ZERO)
    for group in groups:
        if group.owner_id not in records:
            calls[group.team_id] += group.totals.commit_call
    for record in records.values():
        calls[record.unit_id] += record.forecast
    return dict(calls)


def _scope_bucket_rows(scope: Scope, as_of: date) -> tuple[fc.Figure, list[BucketRow]]:
    """_bucket_rows for a scope: open deals by bucket × category from the PipelineTotal summary
    (buckets are whole months), booked this year from the won opportunities."""
    buckets = time_buckets(as_of)
    bucket = time_bucket(as_of, "close_month")
    rows = (
        scope.filter(PipelineTotal.objects.filter(close_month__lte=buckets[-1].end, count__gt=0))
        .exclude(forecast_category=fc.OMITTED)
        .annotate(bucket=bucket, category=TOTAL_CATEGORY)
        .values("bucket", "category")
        .annotate(n=Sum("count"), total=Sum("amount"), weighted_total=Sum("weighted"))
        .order_by()
    )
    by_bucket: dict[str, list[tuple[str | None, int, Decimal, Decimal]]] = defaultdict(list)
    for row in rows:
        by_bucket[row["bucket"]].append(
            (row["category"], row["n"], cents(row["total"]), cents(row["weighted_total"]))
        )
    if as_of >= timezone.localdate():
        won = scope.filter(
            WonTotal.objects.filter(closed_month__range=(year_bounds(as_of)[0], as_of))
        ).aggregate(n=Sum("count"), total=Sum("amount"), weighted_total=Sum("weighted"))
    else:
        won = scope.filter(
            Opportunity.objects.filter(
                status=Opportunity.Status.WON, closed_on__range=(year_bounds(as_of)[0], as_of)
            )
        ).aggregate(n=Count("id"), total=Sum("amount"), weighted_total=Sum(WEIGHTED))
    booked = fc.category_rollup(
        [(fc.BOOKED, won["n"] or 0, cents(won["total"]), cents(won["weighted_total"]))]
    ).booked
    return booked, [
        BucketRow(b.code, b.start, b.end, fc.category_rollup(by_bucket.get(b.code, []))) for b in buckets
    ]


def _bucket_rows(qs: QuerySet[Opportunity], as_of: date) -> tuple[fc.Figure, list[BucketRow]]:
    """One query: booked this year up to `as_of`, and open deals by time bucket × category."""
    buckets = time_buckets(as_of)
    bucket = Case(
        When(status=Opportunity.Status.WON, then=Value(fc.BOOKED)),
        default=time_bucket(as_of),
        output_field=CharField(),
    )
    where = (
        Q(status=Opportunity.Status.OPEN, expected_close_date__lte=buckets[-1].end)
        & ~Q(forecast_category=fc.OMITTED)
    ) | Q(status=Opportunity.Status.WON, closed_on__range=(year_bounds(as_of)[0], as_of))
    rows = (
        qs.filter(where)
        .annotate(bucket=bucket, category=CATEGORY)
        .values("bucket", "category")
        .annotate(n=Count("id"), total=Sum("amount"), weighted_total=Sum(WEIGHTED))
        .order_by()
    )
    by_bucket: dict[str, list[tuple[str | None, int, Decimal, Decimal]]] = defaultdict(list)
    for row in rows:
        by_bucket[row["bucket"]].append(
            (row["category"], row["n"], cents(row["total"]), cents(row["weighted_total"]))
        )
    booked = fc.category_rollup(by_bucket.get(fc.BOOKED, [])).booked
    return booked, [
        BucketRow(b.code, b.start, b.end, fc.category_rollup(by_bucket.get(b.code, []))) for b in buckets
    ]


def pipeline_as_it_stood(scope: Scope, day: date, since: date) -> QuerySet[StageChange]:
    """The deals of the scope as they stood at the end of `day` (issue 11 §2): each one's history row in
    force then (the highest id written before then, kadence.pipeline.changes), with its stage, level,
    probability, amount, close date, status, category, owner and team of that moment; `closed_on` the
    day its win was recorded on (or the close date given with it). What was not yet recorded that day
    (a win entered later with an earlier date) is not in it: the forecast as it could be made then.
    The open deals come from the nearest pipeline snapshot plus the deals changed since
    (kadence.pipeline.snapshots.at); the deals closed from the day before `since` on from the history
    (a deal closed earlier cannot count in a figure from `since` on)."""
    won_on = Coalesce(
        "opportunity__closed_on", TruncDate("changed_at", tzinfo=timezone.get_default_timezone())
    )
    stood = snapshots.at(day, closed_since=since, narrow=scope.filter if scope.q() else None)
    if stood.snapshot is not None:
        return snapshots.change_ids(stood, scope.filter).annotate(closed_on=won_on)
    end = end_of(day)
    # (a day's margin: a closing's history row is written just after the deal's updated_at)
    closed_before = timezone.make_aware(datetime.combine(since - timedelta(days=1), datetime.min.time()))
    deals = Opportunity.objects.exclude(
        status__in=(Opportunity.Status.WON, Opportunity.Status.LOST), updated_at__lt=closed_before
    )
    if scope.q():  # the deals that were the scope's before then: a row names whose the deal was then
        rows = scope.filter(StageChange.objects.filter(changed_at__lt=end)).order_by()
        deals = deals.filter(IdIn(F("pk"), Subquery(rows.values("opportunity_id").distinct())))
    last = (
        StageChange.objects.filter(opportunity__in=deals.values("pk"), changed_at__lt=end)
        .order_by()
        .values("opportunity_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    return scope.filter(StageChange.objects.filter(pk__in=last)).annotate(closed_on=won_on)


def forecast_report(
    user: User,
    *,
    period_kind: str | None = None,
    period_start: date | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
    as_of: date,
) -> ForecastReport:
    """The forecast of a scope for a period, as of a date (METHODOLOGY §9.1–§9.4)."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    period = forecast_period(period_kind, period_start, as_of)
    if as_of < timezone.localdate():  # the pipeline as it stood that day, not today's deals
        past = pipeline_as_it_stood(scope, as_of, since=min(period.start, year_bounds(as_of)[0]))
        groups = period_groups(past, period, as_of)  # type: ignore[arg-type]
        booked_to_date, buckets = _bucket_rows(past, as_of)  # type: ignore[arg-type]
    else:
        groups = scope_period_groups(scope, period, as_of)
        booked_to_date, buckets = _scope_bucket_rows(scope, as_of)
    records = records_for(period, submission_q(scope))
    own = scope.owner is not None and scope.owner.pk == user.pk

    seller_ids = {g.owner_id for g in groups} | set(records)
    # Everyone with figures, and the sellers of the scope without any (they have not submitted yet).
    placed = (
        placed_q(scope) if scope.owner is not None else (sellers_q() & Q(is_active=True) & placed_q(scope))
    )
    people = User.objects.filter(Q(pk__in=seller_ids) | placed)
    people_by_id = {
        p.pk: p
        for p in people.only(
            "id", "username", "display_name", "first_name", "last_name", "org_unit_id", "role"
        )
    }
    units = _units()
    per_seller: dict[int, list[fc.CategoryTotals]] = defaultdict(list)
    for group in groups:
        per_seller[group.owner_id].append(group.totals)
    managing = can_lead(user)
    sellers = []
    for pk, person in people_by_id.items():
        record = records.get(pk)
        team_id = record.unit_id if record else person.org_unit_id
        row = SellerRow(
            person, units.get(team_id) if team_id else None, fc.totals_sum(per_seller.get(pk, [])), record
        )
        row.can_adjust = bool(managing and record and pk != user.pk and in_scope(user, record.unit_id))
        sellers.append(row)
    sellers.sort(key=lambda r: (r.team.path if r.team else "~", r.user.label.lower()))

    totals = fc.totals_sum(g.totals for g in groups)
    calls = unit_calls(groups, records)
    teams: dict[int, UnitRow] = {}
    per_team: dict[int, list[fc.CategoryTotals]] = defaultdict(list)
    for group in groups:
        per_team[group.team_id].append(group.totals)
    for team_id, team_totals in per_team.items():
        teams[team_id] = UnitRow(units[team_id], totals=fc.totals_sum(team_totals))
    for team_id in calls:
        teams.setdefault(team_id, UnitRow(units[team_id]))
    for seller in sellers:
        if seller.team is not None and _covers(scope, seller.team):
            team = teams.setdefault(seller.team.pk, UnitRow(seller.team))
            team.sellers += 1
            team.submitted += seller.record is not None
    for team_id, team_row in teams.items():
        team_row.call = calls.get(team_id, fc.ZERO)
    regions: dict[int, UnitRow] = {}
    if sees_regions(user):
        for team_row in teams.values():
            region_id = _region_of(units, team_row.unit.pk)
            if region_id is None:
                continue
            region = regions.setdefault(region_id, UnitRow(units[region_id]))
            region.totals += team_row.totals
            region.call += team_row.call
            region.sellers += team_row.sellers
            region.submitted += team_row.submitted
    return ForecastReport(
        scope=scope,
        period=period,
        as_of=as_of,
        probabilities_used=probabilities_used(scope),
        totals=totals,
        call=sum(calls.values(), fc.ZERO),
        booked_to_date=booked_to_date,
        buckets=buckets,
        sellers=sellers,
        teams=sorted(teams.values(), key=lambda r: r.unit.path) if scope.owner is None else [],
        regions=sorted(regions.values(), key=lambda r: r.unit.path) if scope.owner is None else [],
        can_submit=own and bool(user.org_unit_id) and period.end >= as_of,
        my_record=records.get(user.pk) if own else None,
    )


def deals_behind(user: User, period: Period, as_of: date) -> list[dict[str, Any]]:
    """The deals behind a seller's submission (the largest DEALS_KEPT), as plain data."""
    qs = (
        Opportunity.objects.filter(_in_period(period, as_of), owner_id=user.pk)
        .annotate(category=CATEGORY)
        .order_by("-amount", "id")
        .values(
            "id",
            "name",
            "amount",
            "currency",
            "probability",
            "category",
            "status",
            "expected_close_date",
            "closed_on",
        )[:DEALS_KEPT]
    )
    return [
        {
            "id": d["id"],
            "name": d["name"],
            "amount": str(d["amount"]),
            "currency": d["currency"],
            "probability": str(d["probability"]),
            "category": d["category"],
            "status": d["status"],
            "expected_close_date": d["expected_close_date"].isoformat(),
            "closed_on": d["closed_on"].isoformat() if d["closed_on"] else None,
        }
        for d in qs
    ]


# --- submissions history --------------------------------------------------------------------------


def forecast_submission_list(
    user: User,
    *,
    period_kind: str | None = None,
    period_start: date | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
    as_of: date,
    page: int | str | None = 1,
    page_size: int | str | None = None,
) -> Page:
    """Submissions and adjustments of the scope for the period, newest first (kept forever)."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    period = forecast_period(period_kind, period_start, as_of)
    qs = (
        ForecastSubmission.objects.filter(
            submission_q(scope), period_kind=period.kind, period_start=period.start
        )
        .select_related("user", "unit", "submitted_by")
        .defer("deals")
        .order_by("-submitted_at", "-id")
    )
    return paginate(qs, page, page_size or 25)


# --- accuracy of period forecasts (§9.5) ----------------------------------------------------------


@dataclass
class AccuracyLine:
    """The track record of one seller, one unit, or the whole scope."""

    label: str
    points: list[fc.AccuracyPoint]
    summary: fc.AccuracySummary
    user: User | None = None
    unit: OrgUnit | None = None


@dataclass
class AccuracyReport:
    scope: Scope
    kind: str
    periods: list[Period]
    total: AccuracyLine
    teams: list[AccuracyLine]
    sellers: list[AccuracyLine]


def _snapshot_forecast(row: Mapping[str, Any]) -> Decimal:
    """The forecast a snapshot stood for: its forecast of record, else booked + commit."""
    return row["forecast"] if row["forecast"] is not None else row["booked"] + row["commit"]


def snapshots_of_record(
    kind: str, starts: Sequence[date], where: Q
) -> dict[tuple[int | None, int | None, date], Decimal]:
    """For each seller or unit matched by `where` and each period: the forecast of the snapshot
    nearest the period start — the latest taken on or before the start, else the earliest after it
    (same day: the latest taken). One query (window function)."""
    before = Case(When(taken_on__lte=F("period_start"), then=F("taken_on")), default=None)
    ranked = (
        ForecastSnapshot.objects.filter(where, period_kind=kind, period_start__in=list(starts))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("user_id"), F("unit_id"), F("period_start")],
                order_by=[
                    before.desc(nulls_last=True),
                    F("taken_on").asc(),
                    F("taken_at").desc(),
                    F("id").desc(),
                ],
            )
        )
        .filter(rank=1)
        .values("user_id", "unit_id", "period_start", "forecast", "booked", "commit")
    )
    return {(r["user_id"], r["unit_id"], r["period_start"]): _snapshot_forecast(r) for r in ranked}


TRUNC = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


def _line(
    label: str,
    periods: Sequence[Period],
    forecasts: Mapping[date, Decimal],
    actuals: Mapping[date, Decimal],
    **extra: Any,
) -> AccuracyLine:
    points = [
        fc.AccuracyPoint(p.start, forecasts.get(p.start), actuals.get(p.start, fc.ZERO)) for p in periods
    ]
    return AccuracyLine(label, points, fc.accuracy_summary(points), **extra)


def won_per_period(
    scope: Scope, kind: str, start: date, end: date, *, summary: bool = True
) -> list[dict[str, Any]]:
    """The amount won per owner × team × period (`period`: its first day) of the periods of `kind`
    from `start` to `end`, whole periods in the past. The WonTotal summary answers it exactly (its
    months are whole months and periods start and end on month boundaries); `summary` False reads
    the won deals (the reference the summary is tested against)."""
    rows: QuerySet[Any]
    if summary:
        rows = WonTotal.objects.filter(closed_month__range=(start, end), count__gt=0)
        month = "closed_month"
    else:
        rows = Opportunity.objects.filter(status=Opportunity.Status.WON, closed_on__range=(start, end))
        month = "closed_on"
    return list(
        scope.filter(rows)
        .annotate(period=TRUNC[kind](month))
        .values("owner_id", "team_id", "period")
        .annotate(total=Sum("amount"))
        .order_by()
    )


def forecast_accuracy(
    user: User,
    *,
    period_kind: str | None = None,
    unit_id: int | None = None,
    owner_id: int | None = None,
    as_of: date,
    count: int = ACCURACY_PERIODS,
) -> AccuracyReport:
    """Forecast vs actual over the last `count` completed periods, for the scope, its units and its
    sellers (METHODOLOGY §9.5). Forecast = the snapshot nearest the period start (its forecast of
    record, else booked + commit); actual = won amount closed in the period."""
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    current = forecast_period(period_kind, None, as_of)
    periods = periods_before(current, max(1, min(count, 24)))
    starts = [p.start for p in periods]
    units = _units()

    won = won_per_period(scope, current.kind, periods[0].start, periods[-1].end)
    by_owner: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: fc.ZERO))
    by_team: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: fc.ZERO))
    total_actual: dict[date, Decimal] = defaultdict(lambda: fc.ZERO)
    for row in won:
        start = row["period"].date() if isinstance(row["period"], datetime) else row["period"]
        amount = cents(row["total"])
        by_owner[row["owner_id"]][start] += amount
        by_team[row["team_id"]][start] += amount
        total_actual[start] += amount

    if scope.owner is not None:
        shown_units: list[int] = []
        roots: list[int] = []
    elif scope.unit is not None:
        shown_units = [pk for pk, u in units.items() if u.path.startswith(scope.unit.path)]
        roots = [scope.unit.pk]
    else:
        shown_units = sorted(scope.unit_ids) if scope.unit_ids is not None else list(units)
        roots = [pk for pk in shown_units if units[pk].parent_id not in shown_units]
    shown_units.sort(key=lambda pk: units[pk].path)

    people = list(
        User.objects.filter(Q(pk__in=list(by_owner)) | placed_q(scope))
        .filter(Q(pk__in=list(by_owner)) | sellers_q())
        .only("id", "username", "display_name", "first_name", "last_name", "org_unit_id")
    )
    people_ids = [p.pk for p in people] + ([scope.owner.pk] if scope.owner is not None else [])
    snapshots = snapshots_of_record(
        current.kind,
        starts,
        Q(user_id__in=people_ids, unit__isnull=True) | Q(unit_id__in=shown_units + roots, user__isnull=True),
    )

    def forecasts(user_id: int | None, unit_id: int | None) -> dict[date, Decimal]:
        return {s: snapshots[(user_id, unit_id, s)] for s in starts if (user_id, unit_id, s) in snapshots}

    def unit_actual(unit: OrgUnit) -> dict[date, Decimal]:
        result: dict[date, Decimal] = defaultdict(lambda: fc.ZERO)
        for team_id, values in by_team.items():
            if team_id in units and units[team_id].path.startswith(unit.path):
                for start, amount in values.items():
                    result[start] += amount
        return result

    sellers = [
        _line(p.label, periods, forecasts(p.pk, None), by_owner.get(p.pk, {}), user=p)
        for p in sorted(people, key=lambda p: p.label.lower())
    ]
    teams = [
        _line(units[pk].name, periods, forecasts(None, pk), unit_actual(units[pk]), unit=units[pk])
        for pk in shown_units
    ]
    if scope.owner is not None:
        total_forecast = forecasts(scope.owner.pk, None)
    else:
        total_forecast = defaultdict(lambda: fc.ZERO)
        for pk in roots:
            for start, amount in forecasts(None, pk).items():
                total_forecast[start] += amount
    total = _line(scope.label, periods, total_forecast, total_actual)
    return AccuracyReport(scope, current.kind, periods, total, teams, sellers)


# --- rolling 4-week order forecast (§9.3) ----------------------------------------------------------


@dataclass
class OrderSellerRow:
    user: User
    amounts: list[Decimal | None]


@dataclass
class OrderReport:
    scope: Scope
    as_of: date
    made_on: date
    weeks_ahead: list[date]
    mine: dict[date, Decimal]
    can_enter: bool
    upcoming: list[Decimal]
    sellers: list[OrderSellerRow]
    accuracy: list[fc.WeekAccuracy]
    by_lead: dict[int, fc.AccuracySummary]


def _order_q(scope: Scope) -> Q:
    return Q(user_id=scope.owner.pk) if scope.owner is not None else placed_q(scope, "user__")


def order_forecast_report(
    user: User,
    *,
    unit_id: int | None = None,
    owner_id: int | None = None,
    as_of: date,
    weeks: int = ORDER_WEEKS,
) -> OrderReport:
    """This week's rolling forecast (the next four weeks) and its track record over the last
    `weeks` completed weeks: the forecast made 1–4 weeks before each week against the orders won in
    it (closed_on in that week), summed over the scope."""
    clean_date(as_of, "as_of")
    scope = resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
    made_on = week_start(as_of)
    ahead = next_week_starts(as_of)
    past = [made_on - timedelta(weeks=n) for n in range(max(1, min(weeks, 26)), 0, -1)]
    where = _order_q(scope)
    current = list(
        OrderForecast.objects.filter(where, made_on=made_on, week_start__in=ahead).values(
            "user_id", "week_start", "amount"
        )
    )
    can_enter = scope.owner is not None and scope.owner.pk == user.pk
    mine = {r["week_start"]: r["amount"] for r in current if r["user_id"] == user.pk} if can_enter else {}
    upcoming = [sum((r["amount"] for r in current if r["week_start"] == w), fc.ZERO) for w in ahead]
    per_user: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for r in current:
        per_user[r["user_id"]][r["week_start"]] = r["amount"]
    names = (
        {
            u.pk: u
            for u in User.objects.filter(pk__in=list(per_user)).only(
                "id", "username", "display_name", "first_name", "last_name"
            )
        }
        if per_user
        else {}
    )
    sellers = sorted(
        (OrderSellerRow(names[pk], [amounts.get(w) for w in ahead]) for pk, amounts in per_user.items()),
        key=lambda r: r.user.label.lower(),
    )

    made = (
        OrderForecast.objects.filter(where, week_start__range=(past[0], past[-1]))
        .values("made_on", "week_start")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    entries = [fc.OrderEntry(r["made_on"], r["week_start"], r["total"]) for r in made]
    won = (
        scope.filter(
            Opportunity.objects.filter(
                status=Opportunity.Status.WON, closed_on__range=(past[0], made_on - timedelta(days=1))
            )
        )
        .annotate(week=TruncWeek("closed_on"))
        .values("week")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    actuals = {
        (r["week"].date() if isinstance(r["week"], datetime) else r["week"]): cents(r["total"]) for r in won
    }
    accuracy = fc.order_accuracy(entries, actuals, past)
    return OrderReport(
        scope,
        as_of,
        made_on,
        ahead,
        mine,
        can_enter,
        upcoming,
        sellers,
        accuracy,
        fc.lead_summaries(accuracy),
    )
