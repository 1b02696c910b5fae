"""The approval inbox (issue 13 §5): each kind lists what waits for the viewer in their units, acting
from the inbox goes through the existing services (approving changes the gate), the counts, the
query count, and who sees it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.deals.models import GateApproval
from kadence.deals.selectors.gates import gate_checklist
from kadence.deals.services.expenses import expense_log
from kadence.pipeline import services as pipeline
from kadence.pipeline.models import ExitCriterion, Opportunity
from kadence.planning.services.forecast import forecast_adjust, forecast_submit
from kadence.rhythm.inbox import services
from kadence.rhythm.inbox.selectors import inbox
from tests.versions import opp_version

pytestmark = pytest.mark.django_db


def kinds(user):
    return {x.kind: x for x in inbox(user)}


def review(org):
    """The manager-review criterion, with rita's deal at its stage (put there directly: the gates on
    the way are not what these tests are about)."""
    criterion = ExitCriterion.objects.get(stage__template=org.opp.template, code="manager_review")
    Opportunity.objects.filter(pk=org.opp.pk).update(stage_id=criterion.stage_id)
    return criterion


def test_gate_waiting_is_listed_for_the_deal_s_leads_and_approved_from_the_inbox(org):
    criterion = review(org)
    assert Opportunity.objects.get(pk=org.opp.pk).stage_id == criterion.stage_id
    gates = kinds(org.mona)["gates"]
    assert (org.opp.pk, criterion.pk) in {(i["opp_id"], i["criterion_id"]) for i in gates.items}
    assert gates.count == len(gates.items)
    assert org.opp.pk in {i["opp_id"] for i in kinds(org.dora)["gates"].items}
    assert org.opp.pk not in {i["opp_id"] for i in kinds(org.sam)["gates"].items}
    with pytest.raises(NotFound):
        inbox(org.rita)
    before = gate_checklist(org.mona, org.opp.pk).facts.approved_criteria
    assert criterion.pk not in before
    client = _client(org.mona)
    answer = client.post(reverse("rhythm_inbox_approve", args=[org.opp.pk, criterion.pk]), {"note": "可以"})
    assert answer.status_code == 303
    assert criterion.pk in gate_checklist(org.mona, org.opp.pk).facts.approved_criteria
    assert GateApproval.objects.filter(
        opportunity=org.opp, criterion=criterion, approved_by=org.mona
    ).exists()
    assert org.opp.pk not in {i["opp_id"] for i in kinds(org.mona)["gates"].items}


def _client(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


def test_refusing_a_gate_needs_a_reason_and_is_audited(org):
    criterion = review(org)
    with pytest.raises(ValidationFailed):
        services.gate_reject(org.mona, org.opp.pk, criterion_id=criterion.pk, note=" ")
    with pytest.raises(PermissionDenied):
        services.gate_reject(org.rita, org.opp.pk, criterion_id=criterion.pk, note="no")
    with pytest.raises(NotFound):
        services.gate_reject(org.sam, org.opp.pk, criterion_id=criterion.pk, note="no")
    services.gate_reject(org.mona, org.opp.pk, criterion_id=criterion.pk, note="证据不足")
    with pytest.raises(Conflict):
        services.gate_reject(org.mona, org.opp.pk, criterion_id=criterion.pk, note="again")
    assert org.opp.pk not in {i["opp_id"] for i in kinds(org.mona)["gates"].items}
    assert org.opp.pk in {i["opp_id"] for i in kinds(org.dora)["gates"].items}  # dora has not refused
    assert AuditEntry.objects.filter(
        entity="pipeline.opportunity", entity_id=org.opp.pk, field="approval_refused"
    ).exists()


def test_an_override_is_listed_for_the_lead_above_and_marked_reviewed(org):
    stages = list(org.opp.template.stages.order_by("order"))
    pipeline.opportunity_move_stage(
        org.mona,
        org.opp.pk,
        stage_id=stages[1].pk,
        version=opp_version(org.opp.pk),
        reason="客户催",
        override=True,
    )
    assert kinds(org.mona)["overrides"].count == 0  # her own override
    overrides = kinds(org.dora)["overrides"]
    assert overrides.count == 1 and overrides.items[0]["opp_id"] == org.opp.pk
    assert kinds(org.sven)["overrides"].count == 0
    change_id = overrides.items[0]["id"]
    with pytest.raises(NotFound):
        services.mark_reviewed(org.sven, "override", change_id)
    services.mark_reviewed(org.dora, "override", change_id)
    assert kinds(org.dora)["overrides"].count == 0
    with pytest.raises(Conflict):
        services.mark_reviewed(org.dora, "override", change_id)
    with pytest.raises(ValidationFailed):
        services.mark_reviewed(org.dora, "target", change_id)


def test_a_forecast_waits_until_adjusted_or_accepted(org):
    submission = forecast_submit(org.rita)
    forecasts = kinds(org.mona)["forecasts"]
    assert [i["id"] for i in forecasts.items] == [submission.pk]
    assert kinds(org.sam)["forecasts"].count == 0
    forecast_adjust(org.mona, submission.pk, forecast="900000", reason="保守")
    assert kinds(org.mona)["forecasts"].count == 0
    tom = forecast_submit(org.tom)
    services.mark_reviewed(org.dora, "forecast", tom.pk)
    assert kinds(org.dora)["forecasts"].count == 0
    assert kinds(org.mona)["forecasts"].count == 1  # mona has not looked at tom's yet
    with pytest.raises(NotFound):
        services.mark_reviewed(org.sam, "forecast", tom.pk)


def test_an_expense_over_budget_is_listed(org):
    from django.utils import timezone

    expense_log(
        org.rita, org.opp.pk, category="travel", amount="800", spent_on=timezone.localdate(), description="x"
    )
    expenses = kinds(org.mona)["expenses"]
    assert [i["opp_id"] for i in expenses.items] == [org.opp.pk]
    assert kinds(org.sam)["expenses"].count == 0


def test_targets_slot_is_empty_until_issue_14(org):
    targets = kinds(org.ada)["targets"]
    assert targets.count == 0 and targets.items == []


def test_inbox_query_count_is_bounded(org, django_assert_max_num_queries):
    forecast_submit(org.rita)
    forecast_submit(org.tom)
    with django_assert_max_num_queries(13):  # the targets list (issue 14's negotiations) is one query
        inbox(org.mona)
    client = _client(org.mona)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("rhythm_inbox"))
    assert page.status_code == 200
    assert b'data-kind="gates"' in page.content and b'data-count="forecasts">2<' in page.content


def test_inbox_page_for_a_rep_is_not_found_and_needs_csrf(org):
    assert _client(org.rita).get(reverse("rhythm_inbox")).status_code == 404
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.mona)
    criterion = review(org)
    answer = strict.post(reverse("rhythm_inbox_approve", args=[org.opp.pk, criterion.pk]), {"note": ""})
    assert answer.status_code == 403
    assert not GateApproval.objects.filter(opportunity=org.opp).exists()
