"""The single-deal diagnosis: seven parts and a dated action list with owners (METHODOLOGY §7)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kadence.deals.models import Expense, ExpenseBudget, ExpenseCategory, OpportunityTask
from kadence.deals.selectors.diagnosis import deal_diagnosis, deal_manager
from kadence.pipeline import services
from kadence.pipeline.models import DealRole, Opportunity, Stage

TODAY = timezone.localdate  # called in each test: a run may cross midnight


@pytest.fixture
def troubled(org):
    """Rita's deal, opened at stage 4 a long time ago without proof, with an overdue task, a role
    the stage needs unfilled, and expenses over budget."""
    stages = list(Stage.objects.filter(template=org.opp.template).order_by("order"))
    stage = stages[3]
    stage.required_roles.add(DealRole.objects.get(code="presales"))
    opp = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="troubled",
        amount="900000",
        stage_id=stage.pk,
        expected_close_date=TODAY() + timedelta(days=20),
    )
    Opportunity.objects.filter(pk=opp.pk).update(
        stage_entered_at=timezone.now() - timedelta(days=stage.standard_days + 5),
        expected_close_date=TODAY() - timedelta(days=2),
    )
    OpportunityTask.objects.create(
        opportunity=opp,
        stage=stage,
        code="demo_prep",
        name_zh="演示准备",
        name_en="Demo preparation",
        assignee=org.tom,
        due_on=TODAY() - timedelta(days=4),
    )
    travel = ExpenseCategory.objects.get(code="travel")
    ExpenseBudget.objects.create(opportunity=opp, category=travel, amount=Decimal("1000"))
    Expense.objects.create(
        opportunity=opp,
        category=travel,
        amount=Decimal("1200"),
        spent_on=TODAY(),
        description="出差",
        logged_by=org.rita,
    )
    return opp


@pytest.mark.django_db
def test_actions_name_owners_and_dates(org, troubled):
    d = deal_diagnosis(org.rita, troubled.pk, TODAY())
    kinds = {a.kind: a for a in d.actions}
    for kind in (
        "over_staged",
        "stalled",
        "close_date_passed",
        "task_overdue",
        "role_missing",
        "no_coach",
        "no_economic_buyer",
        "budget_over",
        "criterion_open",
    ):
        assert kind in kinds, kind
    assert kinds["task_overdue"].actor == org.tom and kinds["task_overdue"].due == TODAY()
    assert kinds["budget_over"].actor == org.mona and kinds["role_missing"].actor == org.mona
    assert kinds["stalled"].actor == org.rita and kinds["stalled"].due == TODAY() + timedelta(days=3)
    assert [a.due for a in d.actions] == sorted(a.due for a in d.actions)
    assert d.stalled and d.expenses.total.state == "over" and d.next_steps
    assert deal_manager(troubled) == org.mona


@pytest.mark.django_db
def test_a_clean_new_deal_has_only_its_first_gate_to_prove(org):
    d = deal_diagnosis(org.rita, org.opp.pk, TODAY())
    assert {a.kind for a in d.actions} <= {"criterion_open", "no_coach", "no_economic_buyer"}
    assert {a.kind for a in d.actions} >= {"criterion_open"}


@pytest.mark.django_db
def test_page_and_api_and_visibility(client, org, troubled, token_for, django_assert_max_num_queries):
    client.force_login(org.mona)
    # The deal is read once (access_opportunity with the header's relations) and handed to each part.
    with django_assert_max_num_queries(41):  # +1: the bell's unread count (rhythm.notify)
        page = client.get(f"/opportunities/{troubled.pk}/diagnosis/")
    assert page.status_code == 200 and 'data-kind="budget_over"' in page.content.decode()
    body = client.get(f"/api/opportunities/{troubled.pk}/diagnosis", **token_for(org.rita)).json()
    assert body["stalled"] is True and body["expenses"]["state"] == "over" and body["staging_flag"] == "over"
    assert {"kind": "task_overdue", "due": TODAY().isoformat()}.items() <= next(
        a for a in body["actions"] if a["kind"] == "task_overdue"
    ).items()
    assert len(body["progress"]) == Stage.objects.filter(template=troubled.template).count()
    assert client.get(f"/api/opportunities/{troubled.pk}/diagnosis", **token_for(org.sara)).status_code == 404
    client.force_login(org.sara)
    assert client.get(f"/opportunities/{troubled.pk}/diagnosis/").status_code == 404
