"""In Chromium, under the Content-Security-Policy that every page sends (issue 8 §4): the charts (Plotly)
and the board's chart draw, the language switch and htmx work, the admin and the API docs (Swagger UI)
load, and the browser reports no policy violation anywhere."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation (event or console message) collected in page.csp_messages."""
    page.add_init_script(WATCH)
    page.csp_messages = []
    page.on(
        "console", lambda m: page.csp_messages.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.on("pageerror", lambda e: page.csp_messages.append(f"page error: {e}"))
    return page


def assert_clean(page, where):
    events = page.evaluate("window.__csp || []")
    assert events == [] and page.csp_messages == [], (where, events, page.csp_messages)


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_pages_charts_admin_and_api_docs_run_under_the_policy(watched, live_server, org):
    page = watched
    response = page.goto(f"{live_server.url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert_clean(page, "login")
    login(page, live_server, "ada", "pw-ada")
    assert_clean(page, "home")

    # A report with Plotly charts: the funnel, and the trend chart that htmx loads into the page.
    page.goto(f"{live_server.url}/reports/funnel/")
    page.locator("[data-chart=funnel-figure] .main-svg").first.wait_for()
    page.locator("[data-testid=funnel-trend] .main-svg").first.wait_for()
    page.locator("[data-chart=funnel-figure]").hover()  # the mode bar and hover styles
    page.wait_for_timeout(300)
    assert_clean(page, "funnel report")

    # The board: its chart (Plotly loaded on opening) and an htmx filter.
    page.goto(f"{live_server.url}/pipeline/")
    page.click("#board-chart-box summary")
    page.locator("#board-chart .main-svg").first.wait_for()
    assert_clean(page, "board")

    # The language switch submits itself on change (no inline onchange).
    page.select_option("[data-testid=language]", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")
    page.select_option("[data-testid=language]", "en")
    page.wait_for_selector("html[lang=en]")
    assert_clean(page, "language switch")

    # The admin: index, a user with its filter widgets, the password form.
    page.goto(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/core/user/{org.rita.pk}/change/")
    page.locator("#id_managed_units_from, #id_managed_units_add_link, .selector").first.wait_for()
    page.goto(f"{live_server.url}/admin/password_change/")
    assert_clean(page, "admin")

    # The API docs (ninja's Swagger UI) render.
    page.goto(f"{live_server.url}/api/docs")
    # Swagger UI renders the whole document (hundreds of operations) in the browser: under CI's load (two
    # suites and the fuzzing side by side) that took over the default 15 s once
    page.locator(".swagger-ui .info").first.wait_for(timeout=60_000)
    page.locator(".opblock").first.wait_for(timeout=60_000)
    assert_clean(page, "api docs")


def test_delete_confirmation_without_inline_handler(watched, live_server, org):
    """<form data-confirm>: dismissing the question keeps the form from being sent."""
    page = watched
    login(page, live_server, "rita", "pw-rita")
    page.goto(f"{live_server.url}/")
    page.evaluate("""() => {
      const f = document.createElement("form");
      f.method = "get"; f.action = "/pipeline/"; f.setAttribute("data-confirm", "Sure?");
      f.innerHTML = '<button type="submit" id="go">go</button>';
      document.querySelector("main").appendChild(f);
    }""")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("#go")
    page.wait_for_timeout(300)
    assert questions == ["Sure?"] and page.url == f"{live_server.url}/"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#go")
    page.wait_for_url(re.compile(r"/pipeline/\??$"))
    assert_clean(page, "confirm")
