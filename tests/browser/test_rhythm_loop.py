"""Issue 13's loop end to end in Chromium: a rep plans a week and logs a visit on a phone; the visit
starts the deal's 1-15-30, whose follow-up appears, then falls overdue (time moved: the item's dates are
shifted into the past, as 16 days passing would leave them); the manager gets it in the e-mail digest and
the approval inbox, opens the rep's 1x1 pack, agrees an action, and finds it in next week's pack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import F
from django.utils import timezone

from kadence.rhythm.cadence.models import CadenceItem, Review
from kadence.rhythm.notify.services import collect, send_digests
from kadence.rhythm.plans.models import PlanItem
from tests.browser.test_layout import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def monday():
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


def test_plan_visit_follow_up_overdue_inbox_digest_pack_and_carry_over(page, live_server, org):
    today = timezone.localdate()
    org.mona.email = "mona@example.com"
    org.mona.save(update_fields=["email"])
    # the rep, on a phone: plans next week, then logs today's visit on the deal
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/rhythm/plans/")
    page.click("[data-testid=plan-next-week]")
    page.wait_for_selector("[data-testid=plan-add]")
    page.select_option("[data-testid=item-account]", str(org.account.pk))
    page.fill("[data-testid=item-goal]", "确认技术方案")
    page.click("[data-testid=item-add]")
    page.wait_for_selector("[data-testid=plan-item]")
    assert PlanItem.objects.filter(plan__owner=org.rita).count() == 1

    page.goto(f"{live_server.url}/rhythm/log-visit")
    page.select_option("[data-testid=visit-account]", str(org.account.pk))
    page.wait_for_selector("[data-testid=account-parts]")
    page.select_option("[data-testid=account-parts] select[name=opportunity]", str(org.opp.pk))
    page.check("[data-testid=result-advanced]")
    page.fill("[data-testid=visit-outcome]", "客户同意技术交流")
    assert page.is_checked("[data-testid=visit-start-cadence]")
    page.click("[data-testid=visit-save]")
    page.wait_for_selector("[data-testid=visit-logged]")

    # the 15-day follow-up appears in the rep's 1-15-30 list
    review = Review.objects.get(opportunity=org.opp)
    follow_up = CadenceItem.objects.get(review=review, kind=CadenceItem.Kind.FOLLOW_UP)
    assert follow_up.due_on == today + timedelta(days=15)
    page.goto(f"{live_server.url}/rhythm/cadence/")
    page.wait_for_selector(f"#item-{follow_up.pk}")

    # 16 days later (the dates moved back by 16 days): the follow-up is overdue
    shift = timedelta(days=16)
    Review.objects.filter(pk=review.pk).update(reviewed_on=F("reviewed_on") - shift)
    CadenceItem.objects.filter(review=review).update(due_on=F("due_on") - shift)
    page.goto(f"{live_server.url}/rhythm/cadence/?state=overdue")
    page.wait_for_selector(f"#item-{follow_up.pk}.is-overdue")

    # the morning jobs: the manager's digest names it
    collect(today)
    send_digests(today)
    to_mona = [m for m in mail.outbox if org.mona.email in m.to]
    assert len(to_mona) == 1 and org.opp.name in to_mona[0].body

    # the manager: the inbox lists it; the 1x1 pack; an action agreed carries over to next week's pack
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, "mona")
    page.goto(f"{live_server.url}/rhythm/inbox/")
    page.wait_for_selector(f"[data-kind=cadence] [data-item='{follow_up.pk}']")
    page.goto(f"{live_server.url}/rhythm/packs/{org.rita.pk}/{monday().isoformat()}/")
    page.wait_for_selector("[data-testid=pack-cadence]")
    assert org.opp.name in page.inner_text("[data-section=cadence]")
    form = page.locator("[data-testid=action-form]")
    form.locator("input[name=text]").fill("陪同拜访总工，确认测试方案")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=pack-actions] >> text=陪同拜访总工")
    page.click("[data-testid=pack-next]")
    row = page.locator("[data-testid=pack-actions] tr", has_text="陪同拜访总工")
    assert row.count() == 1 and row.locator(".badge").count() == 1  # carried over
