"""End to end in Chromium: a rep logs in, opens the pipeline board, moves a deal to the next
stage and finds the move in the deal's history."""

from __future__ import annotations

import pytest

from kadence.pipeline.models import Stage, StageChange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_rep_moves_a_deal_on_the_board_and_sees_it_in_the_history(page, live_server, org, no_gates):
    opp = org.opp
    second = Stage.objects.get(template=opp.template, order=2)
    login(page, live_server, "rita", "pw-rita")

    page.goto(f"{live_server.url}/pipeline/")
    card = page.locator(f"[data-testid=move-stage-{opp.pk}]")
    card.select_option(str(second.pk))
    page.click(f"[data-testid=move-{opp.pk}]")
    # The board re-renders with the deal in the second column.
    page.locator(f"[data-stage-id='{second.pk}'] >> text={opp.name}").wait_for()

    assert StageChange.objects.filter(opportunity=opp, kind="advanced", to_stage=second).count() == 1

    page.goto(f"{live_server.url}/opportunities/{opp.pk}/")
    history = page.locator("[data-testid=history]")
    history.locator(f"text={second.name_en}").first.wait_for()
    assert "rita" in history.inner_text().lower()
