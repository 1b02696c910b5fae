"""End to end in Chromium (issue: evidence-gated process control): a rep tries to advance a deal
without evidence and sees exactly what is missing; attaches the evidence, completes the C139 item,
and advances; a manager overrides the next gate with a reason, and the override shows in the history."""

from __future__ import annotations

import pytest

from kadence.deals.services.gates import evidence_add
from kadence.pipeline import services
from kadence.pipeline.models import ExitCriterion, Opportunity, Stage, StageChange
from tests.versions import opp_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_rep_proves_a_gate_and_a_manager_overrides_the_next(page, live_server, org):
    opp = org.opp
    stages = list(Stage.objects.filter(template=opp.template).order_by("order"))
    first_meeting = ExitCriterion.objects.get(stage=stages[0], code="first_meeting")
    evidence_add(
        org.rita, opp.pk, title="首次会面纪要", criterion_id=first_meeting.pk, note="双方出席人员与结论"
    )
    services.opportunity_move_stage(org.rita, opp.pk, stage_id=stages[1].pk, version=opp_version(opp.pk))
    gates_url = f"{live_server.url}/opportunities/{opp.pk}/gates/"

    # 1. The rep tries to advance without evidence and sees exactly what is missing.
    login(page, live_server, "rita", "pw-rita")
    page.goto(gates_url)
    page.click("[data-testid=advance]")
    alert = page.locator("[data-code=gate_not_met]")
    alert.wait_for()
    missing = alert.locator("ul.missing li")
    assert missing.count() == 2
    text = alert.inner_text()
    assert "Org structure known (C3)" in text and "Discovery notes" in text
    assert Opportunity.objects.get(pk=opp.pk).stage_id == stages[1].pk

    # 2. Attach the discovery notes as a file.
    page.goto(gates_url)
    page.click("[data-testid=attach-discovery_notes]")
    form = page.locator("[data-testid=evidence-form-discovery_notes]")
    form.locator("input[name=file]").set_input_files(
        files=[{"name": "discovery.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 discovery"}]
    )
    form.locator("button[type=submit]").click()
    page.locator("[data-testid=criterion-discovery_notes][data-met='1']").wait_for()

    # 3. Complete the C139 item the next gate asks for (C3: org structure).
    page.click("[data-testid=tab-c139]")
    page.locator("[data-testid=c139-row-C3] select").first.select_option("confirmed")
    page.click("[data-testid=c139-save]")
    page.locator("[data-testid=c139-result]").wait_for()

    # 4. Advance: now it goes through.
    page.goto(gates_url)
    page.locator("[data-testid=criterion-org_structure][data-met='1']").wait_for()
    page.click("[data-testid=advance]")
    page.wait_for_url(gates_url)
    assert Opportunity.objects.get(pk=opp.pk).stage_id == stages[2].pk

    # 5. The manager overrides the next gate with a reason.
    login(page, live_server, "mona", "pw-mona")
    page.goto(gates_url)
    page.check("[data-testid=override]")
    page.fill("[data-testid=advance-reason]", "客户已口头确认立项，通知下周下发")
    page.click("[data-testid=advance]")
    page.wait_for_url(gates_url)
    assert Opportunity.objects.get(pk=opp.pk).stage_id == stages[3].pk
    row = StageChange.objects.filter(opportunity=opp).order_by("-changed_at", "-id").first()
    assert row.overridden and row.changed_by_id == org.mona.pk

    # 6. The override shows in the deal's history, with its reason.
    page.goto(f"{live_server.url}/opportunities/{opp.pk}/")
    history = page.locator("[data-testid=history]")
    history.locator("[data-testid=overridden]").first.wait_for()
    assert "客户已口头确认立项，通知下周下发" in history.inner_text()
