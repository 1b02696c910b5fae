"""Each source of notifications on small data: who gets what, with which due date, and when it stops."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone, translation

from kadence.activities.services import activity_create
from kadence.deals.models import Expense, ExpenseBudget, ExpenseCategory, GateApproval, OpportunityTask
from kadence.pipeline.models import ExitCriterion, Opportunity
from kadence.rhythm.notify import sources
from kadence.rhythm.notify.models import render_message


def items(source, day=None):
    return list(source(day or timezone.localdate()))


def mine(found, user):
    return [i for i in found if i.user_id == user.pk]


def test_next_step_due_until_followed_up(org):
    today = timezone.localdate()
    first = activity_create(
        org.rita,
        opportunity_id=org.opp.pk,
        kind="visit",
        subject="Kick-off",
        date=today - timedelta(days=3),
        next_step="Send the offer",
        next_step_date=today + timedelta(days=1),
    )
    found = mine(items(sources.next_steps_due), org.rita)
    assert [(i.key, i.due_date) for i in found] == [(f"next_step:{first.pk}", today + timedelta(days=1))]
    with translation.override("en"):
        assert (
            render_message(found[0].title.text, found[0].title.params)
            == "Next step: Send the offer (国网江苏电力)"
        )
    assert found[0].url.endswith(f"/activities/{first.pk}/edit/")
    # a later done activity on the same deal follows it up
    activity_create(
        org.rita, opportunity_id=org.opp.pk, kind="call_out", subject="Called", date=today - timedelta(days=1)
    )
    assert mine(items(sources.next_steps_due), org.rita) == []


def test_next_step_outside_the_window_is_not_due(org, settings):
    settings.KADENCE_NOTIFY_AHEAD_DAYS = 2
    today = timezone.localdate()
    activity_create(
        org.rita,
        account_id=org.account.pk,
        kind="visit",
        subject="A",
        date=today,
        next_step="Later",
        next_step_date=today + timedelta(days=5),
    )
    assert mine(items(sources.next_steps_due), org.rita) == []


def test_planned_activity_due_on_its_date(org):
    today = timezone.localdate()
    planned = activity_create(
        org.rita,
        account_id=org.account.pk,
        kind="visit",
        subject="Site visit",
        date=today + timedelta(days=2),
        done=False,
    )
    activity_create(org.rita, account_id=org.account.pk, kind="visit", subject="Done one", date=today)
    found = mine(items(sources.planned_activities_due), org.rita)
    assert [(i.key, i.due_date) for i in found] == [(f"planned:{planned.pk}", today + timedelta(days=2))]


def test_stage_task_for_its_assignee_while_open(org):
    today = timezone.localdate()
    task = OpportunityTask.objects.filter(opportunity=org.opp).first()
    if task is None:
        task = OpportunityTask.objects.create(
            opportunity=org.opp, stage=org.opp.stage, code="t", name_zh="任务", name_en="Task"
        )
    OpportunityTask.objects.filter(opportunity=org.opp).exclude(pk=task.pk).delete()
    OpportunityTask.objects.filter(pk=task.pk).update(
        assignee=org.tom, due_on=today - timedelta(days=2), done_at=None
    )
    found = mine(items(sources.stage_tasks_due), org.tom)
    assert [(i.key, i.due_date) for i in found] == [(f"task:{task.pk}", today - timedelta(days=2))]
    assert found[0].title.params["task"] == {"zh": task.name_zh, "en": task.name_en}
    OpportunityTask.objects.filter(pk=task.pk).update(done_at=timezone.now())
    assert mine(items(sources.stage_tasks_due), org.tom) == []


def test_gate_waiting_for_the_manager_in_scope(org):
    criterion = ExitCriterion.objects.create(
        stage=org.opp.stage,
        code="mgr-ok",
        kind=ExitCriterion.Kind.APPROVAL,
        name_zh="经理批准",
        name_en="Manager OK",
    )
    found = items(sources.gates_awaiting_approval)
    pairs = {(i.user_id, i.key) for i in found if i.key.endswith(f":{criterion.pk}")}
    # rita's deal (north-1): mona, its manager; not the director above her, not the owner, not sam (south)
    assert (org.mona.pk, f"gate:{org.opp.pk}:{criterion.pk}") in pairs
    assert {org.dora.pk, org.rita.pk, org.ada.pk} & {user for user, _key in pairs} == set()
    assert (org.sam.pk, f"gate:{org.opp.pk}:{criterion.pk}") not in pairs
    GateApproval.objects.create(opportunity=org.opp, criterion=criterion, approved_by=org.mona)
    found = items(sources.gates_awaiting_approval)
    assert (org.mona.pk, f"gate:{org.opp.pk}:{criterion.pk}") not in {(i.user_id, i.key) for i in found}


def test_stalled_deal_for_its_owner(org):
    today = timezone.localdate()
    Opportunity.objects.filter(pk=org.opp.pk).update(expected_close_date=today - timedelta(days=4))
    found = mine(items(sources.stalled_deals), org.rita)
    assert [i.key for i in found] == [f"stalled:{org.opp.pk}"]
    assert found[0].due_date <= today - timedelta(days=3)


def test_expense_warning_for_the_owner(org):
    category = ExpenseCategory.objects.first() or ExpenseCategory.objects.create(
        code="travel", name_zh="差旅", name_en="Travel"
    )
    today = timezone.localdate()
    ExpenseBudget.objects.create(opportunity=org.opp, category=category, amount=1000)
    Expense.objects.create(
        opportunity=org.opp, category=category, amount=500, spent_on=today, description="x"
    )
    assert mine(items(sources.expense_warnings), org.rita) == []
    Expense.objects.create(
        opportunity=org.opp, category=category, amount=400, spent_on=today, description="y"
    )
    found = mine(items(sources.expense_warnings), org.rita)
    assert [i.key for i in found] == [f"expense:{org.opp.pk}:warn"]
    Expense.objects.create(
        opportunity=org.opp, category=category, amount=400, spent_on=today, description="z"
    )
    assert [i.key for i in mine(items(sources.expense_warnings), org.rita)] == [f"expense:{org.opp.pk}:over"]


def test_forecast_not_submitted_for_sellers_in_a_team(org):
    from kadence.planning.services.forecast import forecast_submit

    found = items(sources.forecasts_not_submitted)
    users = {i.user_id for i in found}
    assert {org.rita.pk, org.tom.pk, org.sara.pk} <= users
    assert org.mona.pk not in users and org.ada.pk not in users
    forecast_submit(org.rita, forecast="100000")
    assert org.rita.pk not in {i.user_id for i in items(sources.forecasts_not_submitted)}


def test_sources_run_in_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    today = timezone.localdate()
    for n in range(5):
        activity_create(
            org.rita,
            account_id=org.account.pk,
            kind="visit",
            subject=f"P{n}",
            date=today,
            done=False,
            next_step="x",
            next_step_date=today,
        )
    for source in sources.sources().values():
        with django_assert_max_num_queries(8):
            list(source(today))
