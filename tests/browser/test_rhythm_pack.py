"""The 1x1 pack in Chromium: the rep's own pack and the list fit a phone (390 px); the manager agrees an
action on the pack page and it shows, carried over, in the next week's pack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kadence.rhythm.pack import services
from tests.browser.test_layout import PHONE, overflowing, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def monday():
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rep_s_pack_fits_a_phone(page, live_server, org, language):
    last = monday() - timedelta(days=7)
    services.note_save(org.mona, org.rita.pk, last, text="约见总工，确认预算和时间表；补齐竞争对手信息")
    services.action_add(
        org.mona, org.rita.pk, last, text="安排客户技术负责人参观样板工程并确认测试方案", owner_id=org.rita.pk
    )
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "rita")
    wide = {}
    for path in (
        "/rhythm/packs/",
        f"/rhythm/packs/{org.rita.pk}/{last.isoformat()}/",
        f"/rhythm/packs/{org.rita.pk}/{monday().isoformat()}/",
    ):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = (width, overflowing(page))
    assert not wide, f"wider than the phone ({PHONE['width']} px): {wide}"


def test_the_manager_agrees_an_action_that_carries_over(page, live_server, org):
    last = monday() - timedelta(days=7)
    sign_in(page, live_server, "mona")
    page.goto(f"{live_server.url}/rhythm/packs/{org.rita.pk}/{last.isoformat()}/")
    form = page.locator("[data-testid=action-form]")
    form.locator("input[name=text]").fill("约见总工")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=pack-actions] >> text=约见总工")
    page.click("[data-testid=pack-next]")
    row = page.locator("[data-testid=pack-actions] tr", has_text="约见总工")
    assert row.count() == 1
    assert row.locator(".badge").count() == 1  # carried over
