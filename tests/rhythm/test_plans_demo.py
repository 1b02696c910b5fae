"""The demo's weekly plans: each seller gets this week's (submitted) and next week's (draft) plan, once."""

import pytest

from kadence.demo.rhythm_plans import load_demo_plans
from kadence.rhythm.plans import selectors
from kadence.rhythm.plans.models import PlanItem, WeeklyPlan
from tests.rhythm.plans_helpers import done, next_monday, this_monday

pytestmark = pytest.mark.django_db


def test_each_seller_gets_this_and_next_weeks_plan(org):
    done(org.rita, org.account, this_monday())
    written = load_demo_plans(7)
    assert written == 4  # rita and sara own accounts; tom and nick own none
    plan = WeeklyPlan.objects.get(owner=org.rita, week_start=this_monday())
    assert plan.status == "submitted" and PlanItem.objects.filter(plan=plan).exists()
    assert WeeklyPlan.objects.get(owner=org.rita, week_start=next_monday()).status == "draft"
    assert selectors.plan_vs_actual(org.rita, this_monday()).kept_count >= 1
    assert load_demo_plans(7) == 0
