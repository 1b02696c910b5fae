"""Sales-force sizing (issue 14 §6, METHODOLOGY §10.7, kadence.domain.sizing) of a report scope and its
units one level down, for the rest of the month, quarter or year holding a day (default today):

- target, booked and expected: the quota position's (kadence.performance.position.selectors: the
  target of record, the wins in the period, the time-aware expected value of the open deals or the
  weighted pipeline);
- average won deal and activities per won deal: the unit's history — the deals won in the forecast
  policy's history window (ForecastPolicy.history_days up to today) by the unit's teams, their mean
  amount, and the activities recorded on them (done or not, any kind) ÷ their number — unless the
  unit's sizing row sets the activities per won deal;
- hours per activity and selling hours per rep a month: the unit's sizing row (its own, else its
  nearest ancestor's, else the company default: SizingAssumption);
- a rep's hours over the rest of the period = selling hours a month × the months left (the period's
  months × days remaining ÷ days in the period);
- headcount: the active sellers placed in the unit's subtree.

Cost: the position report's queries plus four (the sizing rows, the won deals and the activities on
them per team, the sellers per unit), whatever the size of the scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from kadence.activities.models import Activity
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import quota_sellers
from kadence.domain.periods import MONTHS_IN, history_window_start
from kadence.domain.sizing import Sizing, SizingInputs, hours_per_rep, sales_force_size
from kadence.performance.position.selectors import PositionReport, PositionRow, position_report
from kadence.performance.sizing.models import SizingAssumption
from kadence.pipeline.models import Opportunity
from kadence.planning.models import ForecastPolicy

PLACES = Decimal("0.01")


@dataclass(frozen=True)
class SizingRow:
    kind: str  # "total" or "unit"
    unit: OrgUnit | None
    label: str
    sizing: Sizing
    assumption: SizingAssumption  # the row in force (the unit's own, an ancestor's or the default)
    own: bool  # the unit has its own row
    history_deals: int  # won deals in the history window
    activities_from_history: bool


@dataclass(frozen=True)
class SizingReport:
    position: PositionReport
    months_left: Decimal
    history_start: date
    total: SizingRow
    units: list[SizingRow]


def assumptions_for(units: list[OrgUnit]) -> tuple[dict[int, SizingAssumption], SizingAssumption]:
    """(unit id → the row in force for it, the company default), one query: the rows of the units and
    their ancestors and the default row (created with the shipped inputs if missing)."""
    ancestors = sorted({int(p) for u in units for p in u.path.strip("/").split("/") if p})
    rows = (
        list(SizingAssumption.objects.filter(unit_id__in=ancestors).select_related("unit"))
        if ancestors
        else []
    )
    default = SizingAssumption.objects.filter(unit__isnull=True).order_by("pk").first()
    if default is None:
        default = SizingAssumption.objects.create(unit=None)
    by_unit = {r.unit_id: r for r in rows}
    found = {}
    for unit in units:
        chain = [int(p) for p in unit.path.strip("/").split("/") if p]
        found[unit.pk] = next((by_unit[pk] for pk in reversed(chain) if pk in by_unit), default)
    return found, default


def _by_path(
    units: list[OrgUnit], per_team: dict[int, tuple[int, Decimal, int]], paths: dict[int, str]
) -> dict:
    out: dict[int, list] = defaultdict(lambda: [0, Decimal(0), 0])
    for team_id, (n, amount, activities) in per_team.items():
        path = paths.get(team_id, "")
        for unit in units:
            if path.startswith(unit.path):
                row = out[unit.pk]
                row[0] += n
                row[1] += amount
                row[2] += activities
    return out


def sizing_report(
    user: User,
    *,
    period_kind: str | None = None,
    day: date | None = None,
    unit_id: int | None = None,
) -> SizingReport:
    """The reps needed by the scope `user` asks for (a unit of their reach; NotFound outside it) and by its
    units one level down (see the module docstring)."""
    report = position_report(user, period_kind=period_kind, day=day, unit_id=unit_id, page_size=1)
    scope = report.scope
    period = report.period
    today = timezone.localdate()
    months_left = (Decimal(MONTHS_IN[period.kind]) * report.days_left / period.days).quantize(
        Decimal("0.0001"), ROUND_HALF_UP
    )
    policy = ForecastPolicy.current()
    since = history_window_start(today, policy.history_days)
    # the scope's own unit (or its top units) and the units shown: one list for the reads below
    top = [scope.unit] if scope.unit is not None else []
    units = [u for u in (*top, *[r for r in OrgUnit.objects.filter(pk__in=[r.id for r in report.units])])]
    units.sort(key=lambda u: u.path)
    assumption, default = assumptions_for(units)

    won = scope.filter(
        Opportunity.objects.filter(status=Opportunity.Status.WON, closed_on__gte=since, closed_on__lte=today)
    )
    per_team: dict[int, tuple[int, Decimal, int]] = {}
    for row in won.values("team_id").annotate(n=Count("id"), total=Sum("amount")).order_by():
        per_team[row["team_id"]] = (row["n"], row["total"] or Decimal(0), 0)
    activities = (
        Activity.objects.filter(opportunity__in=won)
        .values("opportunity__team_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in activities:
        n, amount, _a = per_team.get(row["opportunity__team_id"], (0, Decimal(0), 0))
        per_team[row["opportunity__team_id"]] = (n, amount, row["n"])
    team_paths = (
        dict(OrgUnit.objects.filter(pk__in=sorted(per_team)).values_list("pk", "path")) if per_team else {}
    )
    seller_paths = list(quota_sellers(scope).values_list("org_unit__path", flat=True))

    def build(
        kind: str,
        unit: OrgUnit | None,
        label: str,
        pos: PositionRow,
        history: list,
        chosen: SizingAssumption,
        headcount: int,
    ) -> SizingRow:
        deals, amount, acts = history
        average = (amount / deals).quantize(PLACES, ROUND_HALF_UP) if deals else None
        from_history = chosen.activities_per_won_deal is None
        per_deal = (
            ((Decimal(acts) / deals).quantize(PLACES, ROUND_HALF_UP) if deals else None)
            if from_history
            else chosen.activities_per_won_deal
        )
        inputs = SizingInputs(
            target=pos.position.quota,
            booked=pos.position.booked,
            expected=pos.expected,
            average_won_deal=average,
            activities_per_won_deal=per_deal,
            hours_per_activity=chosen.hours_per_activity,
            hours_per_rep=hours_per_rep(chosen.selling_hours_per_month, months_left),
            headcount=headcount,
        )
        own = unit is not None and chosen.unit_id == unit.pk
        return SizingRow(kind, unit, label, sales_force_size(inputs), chosen, own, deals, from_history)

    by_unit = _by_path(units, per_team, team_paths)
    heads = {u.pk: sum(1 for p in seller_paths if (p or "").startswith(u.path)) for u in units}
    total_history = [
        sum(v[0] for v in per_team.values()),
        sum((v[1] for v in per_team.values()), Decimal(0)),
        sum(v[2] for v in per_team.values()),
    ]
    total_assumption = assumption[scope.unit.pk] if scope.unit is not None else default
    total = build(
        "total",
        scope.unit,
        report.total.label,
        report.total,
        total_history,
        total_assumption,
        len(seller_paths),
    )
    unit_map = {u.pk: u for u in units}
    rows = [
        build("unit", unit_map[r.id], r.label, r, by_unit[r.id], assumption[r.id], heads[r.id])
        for r in report.units
        if r.id in unit_map
    ]
    return SizingReport(report, months_left, since, total, rows)
