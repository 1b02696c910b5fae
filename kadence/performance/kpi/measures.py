"""What each KPI metric measures for a set of sellers over a month or quarter, from Kadence's own data,
with the figures each actual was computed from (shown on the card as "how it was computed").

Each source is read once for all the sellers (a fixed number of grouped queries, whatever their
number), through the selectors that own it: won amounts from planning's won summary, targets through
planning's target selector, forecasts of record through planning's snapshot selector, activity
attainment through the rhythm's quota selector, expenses and stage advances as grouped aggregates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from kadence.activities.models import Activity
from kadence.core.models import User
from kadence.core.visibility import Scope
from kadence.deals.models import Expense
from kadence.domain import kpi as dk
from kadence.domain.expenses import cost_of_sale_pct
from kadence.domain.periods import Period, add_months
from kadence.performance.kpi.models import KpiMetric
from kadence.pipeline.models import StageChange
from kadence.planning.selectors.forecast import snapshots_of_record, won_per_period
from kadence.planning.selectors.targets import seller_targets
from kadence.rhythm.quotas.models import Metric as QuotaMetric
from kadence.rhythm.quotas.selectors import attainment_cells

ZERO = Decimal(0)


@dataclass(frozen=True)
class Measure:
    """A metric's actual (None: not measurable, e.g. no target) and the named figures behind it."""

    actual: Decimal | None
    inputs: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> Any:
    """A figure as stored with the card: money and rates as text with two decimals."""
    if isinstance(value, Decimal):
        return str(value.quantize(dk.CENT))
    return None if value is None else str(value)


def people_scope(people: Sequence[User]) -> Scope:
    """The narrowest report scope holding the people's teams (the won summary is read through it)."""
    return Scope(unit_ids=frozenset(p.org_unit_id for p in people if p.org_unit_id is not None))


def won_by_owner(people: Sequence[User], period: Period) -> dict[int, Decimal]:
    """Won amount per seller closed in `period` (planning.won_per_period: one query)."""
    ids = {p.pk for p in people}
    won: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if not ids:
        return won
    for row in won_per_period(people_scope(people), period.kind, period.start, period.end):
        if row["owner_id"] in ids:
            won[row["owner_id"]] += row["total"] or ZERO
    return won


def year_before(period: Period) -> Period:
    return Period(period.kind, add_months(period.start, -12))


def _customers(ids: list[int], start: date, end: date) -> dict[int, int]:
    """Distinct accounts each seller had a done activity with in [start, end] (one query)."""
    rows = (
        Activity.objects.filter(
            owner_id__in=ids, done=True, date__gte=start, date__lte=end, account__isnull=False
        )
        .order_by()
        .values("owner_id")
        .annotate(n=Count("account_id", distinct=True))
    )
    return {r["owner_id"]: r["n"] for r in rows}


def _expenses(ids: list[int], start: date, end: date) -> dict[int, Decimal]:
    rows = (
        Expense.objects.filter(opportunity__owner_id__in=ids, spent_on__gte=start, spent_on__lte=end)
        .order_by()
        .values("opportunity__owner_id")
        .annotate(total=Sum("amount"))
    )
    return {r["opportunity__owner_id"]: r["total"] or ZERO for r in rows}


def _advances(ids: list[int], start: date, end: date) -> dict[int, tuple[int, int]]:
    """(advances, advances overridden without evidence) per seller, changed in [start, end]."""
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    until = timezone.make_aware(datetime.combine(end, datetime.max.time()))
    rows = (
        StageChange.objects.filter(
            owner_id__in=ids,
            kind__in=(StageChange.Kind.ADVANCED, StageChange.Kind.WON),
            changed_at__gte=since,
            changed_at__lte=until,
        )
        .order_by()
        .values("owner_id")
        .annotate(n=Count("id"), over=Count("id", filter=Q(overridden=True)))
    )
    return {r["owner_id"]: (r["n"], r["over"]) for r in rows}


def measure(people: Sequence[User], period: Period) -> dict[int, dict[str, Measure]]:
    """Every measured metric of every seller for `period` (manual metrics are the manual inputs'):
    about a dozen queries in all."""
    ids = [p.pk for p in people]
    if not ids:
        return {}
    won = won_by_owner(people, period)
    won_before = won_by_owner(people, year_before(period))
    targets = seller_targets(ids, period.kind, period.start)
    cells = attainment_cells(list(people), period.start, period.end)
    customers = _customers(ids, period.start, period.end)
    forecasts = snapshots_of_record(period.kind, [period.start], Q(user_id__in=ids, unit__isnull=True))
    expenses = _expenses(ids, period.start, period.end)
    advances = _advances(ids, period.start, period.end)
    out: dict[int, dict[str, Measure]] = {}
    for person in people:
        uid = person.pk
        w, before, target = won[uid], won_before[uid], targets.get(uid)
        by_metric = {c.metric: c for c in cells.get(uid, [])}
        visits = by_metric.get(QuotaMetric.EFFECTIVE_VISITS)
        new = by_metric.get(QuotaMetric.NEW_CUSTOMERS)
        new_count = new.actual if new else 0
        old_count = max(customers.get(uid, 0) - new_count, 0)
        forecast = forecasts.get((uid, None, period.start))
        spent = expenses.get(uid, ZERO)
        advanced, overridden = advances.get(uid, (0, 0))
        out[uid] = {
            KpiMetric.REVENUE: Measure(
                dk.pct(w, target) if target is not None else None, {"won": _text(w), "target": _text(target)}
            ),
            KpiMetric.GROWTH: Measure(
                dk.growth_pct(w, before), {"won": _text(w), "won_year_before": _text(before)}
            ),
            KpiMetric.NEW_CUSTOMERS: Measure(
                new.pct if new else None,
                {"new_customers": new_count, "quota": _text(new.quota) if new else None},
            ),
            KpiMetric.NEW_OLD_RATIO: Measure(
                dk.pct(Decimal(new_count), Decimal(old_count)),
                {"new_customers": new_count, "old_customers": old_count},
            ),
            KpiMetric.EFFECTIVE_VISITS: Measure(
                visits.pct if visits else None,
                {
                    "effective_visits": visits.actual if visits else 0,
                    "quota": _text(visits.quota) if visits else None,
                },
            ),
            KpiMetric.FORECAST_ACCURACY: Measure(
                dk.forecast_accuracy_pct(forecast, w), {"forecast": _text(forecast), "won": _text(w)}
            ),
            KpiMetric.EXPENSE_RATIO: Measure(
                cost_of_sale_pct(spent, w), {"expenses": _text(spent), "won": _text(w)}
            ),
            KpiMetric.GATE_COMPLIANCE: Measure(
                dk.pct(Decimal(advanced - overridden), Decimal(advanced)),
                {"advances": advanced, "overridden": overridden},
            ),
        }
    return out
