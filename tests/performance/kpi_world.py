"""Known figures for the KPI tests (issue 14 §4): October 2026.

rita (rep, north-1): target 100,000 for the month; won 90,000 closed on 15 Oct 2026 and 60,000 a year
before (growth 50 %); 4,500 of expenses in October on her deal (5 %); her forecast of record for the
month 100,000 (accuracy 88.89 %); her manager enters a customer satisfaction of 90. tom (rep,
north-1): no target, nothing won. nick (north-2), sara (south-1): nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

from kadence.deals.models import Expense, ExpenseCategory
from kadence.performance.kpi.models import KpiDefinition
from kadence.pipeline.models import Opportunity
from kadence.planning.models import ForecastSnapshot, Target

MONTH = date(2026, 10, 1)
IN_MONTH = date(2026, 10, 15)


def deal(org, owner, amount, closed_on, status="won"):
    """A closed deal written directly; the summaries are rebuilt after it."""
    from kadence.pipeline.summary import rebuild

    base = org.opp
    created = Opportunity.objects.create(
        name=f"{owner.username} {amount}",
        account=org.account,
        owner=owner,
        team=owner.org_unit,
        template=base.template,
        stage=base.stage,
        level=base.level,
        amount=D(amount),
        expected_close_date=closed_on,
        probability=base.probability,
        forecast_category="booked",
        status=status,
        closed_on=closed_on,
    )
    rebuild()
    return created


def build(org) -> SimpleNamespace:
    Target.objects.create(user=org.rita, period_kind="month", period_start=MONTH, amount=D(100000))
    won = deal(org, org.rita, "90000", IN_MONTH)
    deal(org, org.rita, "60000", date(2025, 10, 20))
    Expense.objects.create(
        opportunity=won,
        category=ExpenseCategory.objects.filter(is_active=True).first(),
        amount=D(4500),
        spent_on=IN_MONTH,
        description="dinner",
    )
    ForecastSnapshot.objects.create(
        source="scheduled",
        taken_on=date(2026, 9, 30),
        user=org.rita,
        period_kind="month",
        period_start=MONTH,
        forecast=D(100000),
    )
    org.satisfaction = KpiDefinition.objects.get(role="rep", code="satisfaction")
    org.won = won
    return org
