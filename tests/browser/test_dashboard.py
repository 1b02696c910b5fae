"""In Chromium: the director's dashboard draws its four charts, under the Content-Security-Policy, with no
page error; drilling into a unit draws them again (issue 14 §8)."""

from __future__ import annotations

import pytest

from tests.browser.test_csp import WATCH, assert_clean, login
from tests.performance.test_dashboard import world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_dashboard_draws_its_charts(page, live_server, org, no_gates):
    world(org)
    page.add_init_script(WATCH)
    page.csp_messages = []
    page.on("pageerror", lambda e: page.csp_messages.append(f"page error: {e}"))
    login(page, live_server, "dora", "pw-dora")
    page.goto(f"{live_server.url}/performance/dashboard/")
    for chart in ("dashboard-attainment", "dashboard-trend", "dashboard-v", "dashboard-grades"):
        page.locator(f"[data-chart={chart}] .main-svg").first.wait_for()
    assert_clean(page, "dashboard")
    page.click(f"[data-testid=dashboard-grid] [data-unit='{org.n1.pk}'] a")
    page.locator("[data-chart=dashboard-attainment] .main-svg").first.wait_for()
    assert page.locator(f"[data-rep='{org.rita.pk}']").count() == 1
    page.screenshot(path="/tmp/dashboard.png", full_page=True)
    assert_clean(page, "drilled")
