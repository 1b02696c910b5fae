"""End to end in Chromium, in Simplified Chinese (issue 8 §1): a saved C139 assessment saved again
unchanged keeps every confirmation date. Before, the page wrote value="2026/11/07" into the date
inputs, the browser dropped it, and the save wiped every date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.deals.models import C139Assessment
from kadence.deals.services.assessments import c139_assess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_saving_a_c139_assessment_unchanged_keeps_its_dates(page, live_server, org):
    org.rita.language = "zh-hans"
    org.rita.save(update_fields=["language"])
    coach = Contact.objects.create(account=org.account, name="李工", buying_roles=["coach"])
    today = timezone.localdate()
    confirmed = {f"C{i}": today - timedelta(days=i) for i in range(1, 10)}
    confirmed.update(F1=today - timedelta(days=12), W1=today - timedelta(days=30))
    c139_assess(
        org.rita,
        org.opp.pk,
        answers={
            item: {"status": "confirmed", "confirmed_with_id": coach.pk, "confirmed_on": day.isoformat()}
            for item, day in confirmed.items()
        },
    )

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", "pw-rita")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/opportunities/{org.opp.pk}/c139/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    for item, day in confirmed.items():  # what the browser holds, not only what the server wrote
        assert page.locator(f"[data-testid=c139-{item}-date]").input_value() == day.isoformat(), item

    page.click("[data-testid=c139-save]")
    page.wait_for_url(f"{live_server.url}/opportunities/{org.opp.pk}/c139/")
    page.locator("[data-testid=c139-result]").wait_for()

    assert C139Assessment.objects.filter(opportunity=org.opp).count() == 2
    latest = C139Assessment.objects.filter(opportunity=org.opp).latest("assessed_at", "id")
    kept = {a.item: a.confirmed_on for a in latest.answers.all() if a.confirmed_on}
    assert kept == confirmed
