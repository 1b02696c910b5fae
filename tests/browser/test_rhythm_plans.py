"""The weekly plan and the quick visit log in Chromium on a phone (390 × 844): a rep plans next week
(account chosen, its contacts loaded with htmx), logs a visit with a photo, and every page fits."""

from __future__ import annotations

import pytest

from kadence.accounts.models import Contact
from kadence.activities.models import Activity
from kadence.rhythm.plans.models import PlanItem, VisitAttachment
from tests.browser.test_layout import PHONE, overflowing, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_rep_plans_next_week_and_logs_a_visit_on_a_phone(page, live_server, org, tmp_path):
    Contact.objects.create(account=org.account, name="欧阳明远", title="信息中心副主任")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/rhythm/plans/")
    page.click("[data-testid=plan-next-week]")
    page.wait_for_selector("[data-testid=plan-add]")
    page.select_option("[data-testid=item-account]", str(org.account.pk))
    page.wait_for_selector("[data-testid=account-parts] input[name=contacts]")
    page.check("[data-testid=account-parts] input[name=contacts]")
    page.fill("[data-testid=item-goal]", "确认技术方案")
    page.click("[data-testid=item-add]")
    page.wait_for_selector("[data-testid=plan-item]")
    item = PlanItem.objects.get()
    assert item.goal == "确认技术方案" and item.contacts.count() == 1
    wide = {}
    for path in ("/rhythm/plans/", f"/rhythm/plans/{item.plan_id}/", "/rhythm/log-visit"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = (width, overflowing(page))
    assert not wide, f"wider than the phone: {wide}"
    # the quick visit log, with a photo
    photo = tmp_path / "visit.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"0" * 200)
    page.select_option("[data-testid=visit-account]", str(org.account.pk))
    page.wait_for_selector("[data-testid=account-parts]")
    page.check("[data-testid=result-advanced]")
    page.fill("[data-testid=visit-outcome]", "客户同意技术交流")
    page.set_input_files("[data-testid=visit-file-input]", str(photo))
    page.click("[data-testid=visit-save]")
    page.wait_for_selector("[data-testid=visit-logged]")
    activity = Activity.objects.get(owner=org.rita)
    assert activity.result == "advanced" and VisitAttachment.objects.filter(activity=activity).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
