"""Layout in Chromium: the pages a rep uses in the field fit a phone (390 × 844, an iPhone 12-14), and
wide report tables keep every column visible in their card at desktop width."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kadence.accounts.services import contact_create
from kadence.activities.services import activity_create
from kadence.pipeline import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def overflowing(page) -> list[str]:
    """The elements sticking out of the page on the right (not those inside a scrolling box)."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth, found = [];
      for (const el of document.querySelectorAll("body *")) {
        let box = el.parentElement, clipped = false;
        for (; box && box !== document.body; box = box.parentElement) {
          const style = getComputedStyle(box);
          if (style.overflowX !== "visible") { clipped = true; break; }
        }
        const right = el.getBoundingClientRect().right;
        if (!clipped && right > width + 0.5) found.push(`${el.tagName.toLowerCase()}.${el.className} → ${Math.round(right)}px`);
      }
      return found.slice(0, 10);
    }""")


def field_data(org) -> None:
    """What a deal gathers in the field: changes with reasons (the change log table that widened the
    deal page), a contact with a long e-mail address, activities with long next steps."""
    opp = services.opportunity_update(
        org.rita,
        org.opp.pk,
        version=org.opp.version,
        amount="1180000",
        expected_close_date=date.today() + timedelta(days=120),
        reason="客户预算调整，延期到下一季度 / budget moved to next quarter",
    )
    contact_create(
        org.rita,
        account_id=org.account.pk,
        name="欧阳明远",
        title="信息中心副主任兼项目总监",
        email="ouyang.mingyuan.project-director@jiangsu-electric-power-company.example.cn",
    )
    for days in (-2, 1, 3):
        activity_create(
            org.rita,
            opportunity_id=opp.pk,
            kind="visit",
            subject="技术交流与方案演示（第二轮）",
            date=date.today() + timedelta(days=days),
            done=False,
            next_step="安排客户技术负责人到公司参观样板工程并确认测试方案细节",
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_field_pages_fit_a_phone(page, live_server, org, language):
    """The issue's case: /opportunities/<id>/ was 469 px wide at 390 (its change log); home, the deal
    list, the deal, its activity form and the account page must all fit."""
    field_data(org)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "rita")
    paths = [
        "/",
        "/opportunities/",
        f"/opportunities/{org.opp.pk}/",
        f"/activities/new/?opportunity={org.opp.pk}",
        f"/accounts/{org.account.pk}/",
        "/activities/",
        # the rep's part of the weekly rhythm (the plans, the visit log, the 1-15-30 list and the pack
        # have their own phone tests in tests/browser/test_rhythm_*.py)
        "/rhythm/",
        "/rhythm/quotas/",
        "/rhythm/effort/",
        "/rhythm/notifications/",
        "/rhythm/notifications/channels/",
    ]
    wide = {}
    for path in paths:
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = (width, overflowing(page))
    assert not wide, f"wider than the phone ({PHONE['width']} px): {wide}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_forecast_time_buckets_show_every_column_at_desktop_width(page, live_server, org, language):
    """The time-bucket table shared its card with the chart and lost its last column (weighted) off the
    edge of its scrolling box at 1280 px."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "mona")
    page.goto(f"{live_server.url}/forecast/")
    table = page.locator("[data-testid=forecast-buckets] table")
    edges = table.evaluate("""table => {
      const box = table.closest(".table-wrap").getBoundingClientRect();
      const cells = table.querySelectorAll("thead th");
      return {last: cells[cells.length - 1].getBoundingClientRect().right, box: box.right};
    }""")
    assert edges["last"] <= edges["box"] + 0.5, edges


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_main_menu_stays_on_one_line_at_desktop_width(page, live_server, org, language):
    """Every menu item an admin has (eleven) on one line at 1280 px, in English and in Chinese."""
    from kadence.core.models import User

    User.objects.filter(pk=org.ada.pk).update(is_staff=True)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "ada")
    links = page.locator(".mainnav a")
    assert links.count() == 11, " ".join(links.all_inner_texts())
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    assert len(tops) == 1, tops
    assert not overflowing(page)
