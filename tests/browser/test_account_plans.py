"""Issue 15's "done when" in Chromium: a manager opens the RAD matrix, drills into R1, opens a group account
from it (its tree and the group's totals on the account page), writes an account plan with two actions (one
for the rep who owns the account), and the rep sees hers on their home page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kadence.accounts.services import account_create
from kadence.keyaccounts.plans.models import AccountPlan, PlanAction
from kadence.keyaccounts.value.services import value_compute
from kadence.pipeline.services import opportunity_close_won, opportunity_create
from tests.browser.test_layout import sign_in
from tests.versions import opp_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _submit(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_a_manager_drills_into_r1_opens_a_group_writes_a_plan_and_the_rep_sees_it_at_home(
    page, live_server, org
):
    today = timezone.localdate()
    # 国网江苏电力 (BP ¥5M) heads a group with a subsidiary, and we won ¥3M from it this year: SOW 60 %, R1
    subsidiary = account_create(
        org.rita,
        name="国网江苏电力南京供电公司",
        industry_id=org.industry.pk,
        region_id=org.account.region_id,
        parent_id=org.account.pk,
    )
    won = opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="配网自动化一期",
        amount="3000000",
        expected_close_date=today,
    )
    opportunity_close_won(
        org.ada, won.pk, closed_on=today, version=opp_version(won.pk), override=True, reason="签约"
    )
    value_compute(None, year=today.year)

    sign_in(page, live_server, "mona")
    page.goto(f"{live_server.url}/key-accounts/value/rad/")
    assert "1" in page.inner_text("[data-testid=rad-cell-R1]")
    _submit(page, "[data-testid=rad-cell-R1]")
    drill = page.locator("[data-testid=rad-drill]")
    assert org.account.name in drill.inner_text()
    _submit(page, f"[data-testid=rad-accounts] tr[data-account='{org.account.pk}'] a")
    # the account page: the group's tree (the subsidiary under it) and its totals
    page.wait_for_selector("[data-testid=group-tree]")
    assert subsidiary.name in page.inner_text("[data-testid=group-tree]")
    assert "3,000,000" in page.inner_text("[data-testid=group-totals]")
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
