"""The rep's cadence page on a phone (390 px, Chromium): the overdue follow-up is there, fits the
screen, and is recorded from the phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kadence.rhythm.cadence.models import CadenceItem
from kadence.rhythm.cadence.services import review_create
from tests.browser.conftest import page  # noqa: F401
from tests.browser.test_layout import PHONE, overflowing, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_rep_records_an_overdue_follow_up_on_a_phone(page, live_server, org, language):  # noqa: F811
    today = timezone.localdate()
    review = review_create(
        org.mona,
        opportunity_id=org.opp.pk,
        work_done="拜访信息中心主任",
        reviewed_on=today - timedelta(days=16),
        today=today,
    )
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/rhythm/cadence/?state=overdue")
    assert page.locator("[data-testid=cadence-item]").count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], overflowing(page)
    page.locator("[data-testid=cadence-item] summary").click()
    page.fill("[data-testid=cadence-item] textarea[name=note]", "客户已立项，下周招标")
    page.locator("[data-testid=cadence-item] button[type=submit]").click()
    page.wait_for_selector("[data-testid=cadence-empty]")
    assert CadenceItem.objects.get(review=review, kind="follow_up").status == "done"
