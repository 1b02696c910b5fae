"""Issue 15's "done when", the account-plan half, in Chromium: a manager opens an account, writes an
account plan with two actions (one for the rep who owns the account), and the rep sees it on their home
page. (The merger puts the RAD drill-down and the group steps in front of it.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kadence.keyaccounts.plans.models import AccountPlan, PlanAction
from tests.browser.test_layout import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _submit(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_a_manager_writes_an_account_plan_and_the_rep_sees_the_action_at_home(page, live_server, org):
    today = timezone.localdate()
    sign_in(page, live_server, "mona")
    page.goto(f"{live_server.url}/accounts/{org.account.pk}/")
    _submit(page, "[data-testid=write-account-plan]")
    page.fill("[data-testid=kam-plan-title]", "国网江苏 2026 客户计划书")
    _submit(page, "[data-testid=kam-plan-create]")
    plan = AccountPlan.objects.get()
    assert plan.owner_id == org.rita.pk
    page.wait_for_selector("[data-testid=kam-step-5]")
    assert org.opp.name in page.inner_text("[data-testid=kam-plan-deals]")

    # steps 2 and 3: objectives and a target
    page.fill("[data-testid=kam-plan-objectives]", "SOW from 24% to 40%")
    page.fill("[data-testid=kam-plan-target]", "2000000")
    _submit(page, "[data-testid=kam-plan-save]")
    assert "SOW from 24% to 40%" in page.inner_text("[data-testid=kam-plan-objectives-shown]")

    # two actions through the htmx form: one for rita (who owns the account), one for mona
    for title, owner, days in (("拜访信息中心主任", org.rita, 7), ("组织技术交流会", org.mona, 20)):
        page.fill("[data-testid=kam-action-title]", title)
        page.select_option("[data-testid=kam-action-owner]", str(owner.pk))
        page.fill("[data-testid=kam-action-due]", (today + timedelta(days=days)).isoformat())
        page.click("[data-testid=kam-action-submit]")
        page.wait_for_selector(f"[data-testid=kam-action]:has-text('{title}')")
    assert page.locator("[data-testid=kam-action]").count() == 2
    assert PlanAction.objects.filter(plan=plan).count() == 2
    _submit(page, "[data-testid=kam-plan-activate]")
    assert AccountPlan.objects.get().status == "active"
    page.wait_for_selector("[data-testid=kam-plan-chart] .main-svg")

    # the rep sees her action on her home page, and opens the plan from it
    page.context.clear_cookies()
    sign_in(page, live_server, "rita")
    slot = page.locator("[data-testid=home-plan-actions]")
    assert slot.count() == 1
    assert "拜访信息中心主任" in slot.inner_text() and "组织技术交流会" not in slot.inner_text()
    _submit(page, "[data-testid=home-plan-action] a")
    page.wait_for_selector("[data-testid=kam-step-4]")
    assert "拜访信息中心主任" in page.inner_text("[data-testid=kam-plan-actions]")
