"""Known data for the 1x1 pack tests: rita's week, built through the services (and the history's
moments moved back, as in tests/insights/test_pipeline_changes.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from kadence.deals.services.expenses import expense_log
from kadence.domain.periods import period_containing
from kadence.pipeline import services, stays
from kadence.pipeline.models import Opportunity, StageChange
from kadence.planning.models import Target
from kadence.planning.services.forecast import forecast_submit
from tests.versions import opp_version


def rita_week(org) -> SimpleNamespace:
    """rita: a deal moved forward and slipped this week (it existed before), a deal won this quarter
    (400 000 of a 1 000 000 quarter target), an open deal of 300 000 closing this quarter with
    spend and no budget; a forecast submitted before the 300 000 deal grew to 350 000.
    V值 = 350 000 ÷ 600 000 = 0.58."""
    today = timezone.localdate()
    quarter = period_containing("quarter", today)
    StageChange.objects.filter(opportunity=org.opp).update(changed_at=timezone.now() - timedelta(days=10))
    stays.rebuild()  # the history was rewritten behind the services: its stays are counted again
    stages = list(org.opp.template.stages.order_by("order"))
    services.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages[1].pk, version=opp_version(org.opp.pk)
    )
    services.opportunity_update(
        org.rita, org.opp.pk, version=opp_version(org.opp.pk), expected_close_date=today + timedelta(days=120)
    )
    won = services.opportunity_create(
        org.rita, account_id=org.account.pk, name="配网终端", amount="400000", expected_close_date=today
    )
    services.opportunity_close_won(org.rita, won.pk, version=opp_version(won.pk))
    open_deal = services.opportunity_create(
        org.rita, account_id=org.account.pk, name="调度系统", amount="300000", expected_close_date=today
    )
    Target.objects.create(
        user=org.rita, period_kind="quarter", period_start=quarter.start, amount=Decimal("1000000")
    )
    submission = forecast_submit(org.rita)
    services.opportunity_update(org.rita, open_deal.pk, version=opp_version(open_deal.pk), amount="350000")
    expense_log(org.rita, open_deal.pk, category="travel", amount="5000", spent_on=today, description="出差")
    return SimpleNamespace(
        today=today, quarter=quarter, won=won, open_deal=open_deal, submission=submission, week=monday(today)
    )


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def deal(pk: int) -> Opportunity:
    return Opportunity.objects.get(pk=pk)
