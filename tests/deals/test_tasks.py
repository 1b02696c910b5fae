"""Stage tasks and team roles (METHODOLOGY §1c, §6): tasks created on entering a stage, completing with
a note, reopening, reassigning, rescheduling, ad-hoc tasks, the gate they open, the roles a stage
needs and who fills them, overdue tasks on the home page; services, API and pages, with the personas
owner (rita), deal-team member (tom), manager (mona), another team's rep (nick) and the other
region's director (sven)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kadence.core.errors import Conflict, GateNotMet, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.deals.models import OpportunityTask
from kadence.deals.selectors.tasks import deal_tasks, tasks_due
from kadence.deals.services import tasks as services
from kadence.deals.services.gates import gate_approve
from kadence.pipeline import services as pipeline
from kadence.pipeline.models import DealRole, ExitCriterion, Opportunity, ProcessTemplate, Stage
from tests.versions import opp_version

TODAY = timezone.localdate


def role(code: str) -> DealRole:
    return DealRole.objects.get(code=code)


def stages(opp) -> list[Stage]:
    return list(Stage.objects.filter(template_id=opp.template_id).order_by("order"))


def task(opp, code: str) -> OpportunityTask:
    return OpportunityTask.objects.get(opportunity=opp, code=code)


@pytest.fixture
def team(org):
    """tom joins rita's deal as pre-sales."""
    pipeline.opportunity_team_add(org.rita, org.opp.pk, user_id=org.tom.pk, role_id=role("presales").pk)
    return org


# --- creation on stage entry ----------------------------------------------------------------------------


def test_entering_a_stage_creates_its_tasks_for_the_owner_with_due_dates(org):
    tasks = list(OpportunityTask.objects.filter(opportunity=org.opp).order_by("id"))
    assert [t.code for t in tasks] == ["account_plan", "call_key_people", "first_meeting_minutes"]
    assert {t.assignee_id for t in tasks} == {org.rita.pk}
    # due five days after the day the deal entered its stage (the shared org may predate today's midnight)
    assert tasks[0].due_on == timezone.localtime(org.opp.stage_entered_at).date() + timedelta(days=5)
    assert tasks[0].name_zh == "制定客户规划" and tasks[0].standard_en.startswith("Account plan")


def test_tasks_go_to_the_role_holder_and_are_not_created_twice(team, no_gates):
    org = team
    demo = stages(org.opp)[3]
    pipeline.opportunity_move_stage(org.rita, org.opp.pk, stage_id=demo.pk, version=opp_version(org.opp.pk))
    assert task(org.opp, "demo_plan").assignee_id == org.tom.pk
    assert task(org.opp, "competitor_analysis").assignee_id == org.rita.pk
    pipeline.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages(org.opp)[0].pk, version=opp_version(org.opp.pk)
    )
    pipeline.opportunity_move_stage(org.rita, org.opp.pk, stage_id=demo.pk, version=opp_version(org.opp.pk))
    assert OpportunityTask.objects.filter(opportunity=org.opp, stage=demo).count() == 3


# --- complete / reopen ----------------------------------------------------------------------------------


def test_assignee_completes_with_a_note_and_it_is_audited(team):
    org = team
    t = task(org.opp, "account_plan")
    services.task_update(org.rita, org.opp.pk, t.pk, version=1, assignee_id=org.tom.pk)
    done = services.task_complete(org.tom, org.opp.pk, t.pk, note="规划表已提交经理", version=2)
    done.refresh_from_db()
    assert done.done_at and done.done_by_id == org.tom.pk and done.completion_note == "规划表已提交经理"
    assert done.version == 3
    entry = AuditEntry.objects.filter(
        entity="pipeline.opportunity", entity_id=org.opp.pk, field="task"
    ).latest("id")
    assert entry.old_value.startswith("account_plan: open") and entry.new_value.startswith(
        "account_plan: done"
    )
    assert entry.reason == "规划表已提交经理" and entry.actor_id == org.tom.pk


def test_complete_needs_a_note_a_fresh_version_and_an_open_task(org):
    t = task(org.opp, "account_plan")
    with pytest.raises(ValidationFailed) as exc:
        services.task_complete(org.rita, org.opp.pk, t.pk, note="   ", version=1)
    assert "note" in exc.value.errors
    with pytest.raises(Conflict):
        services.task_complete(org.rita, org.opp.pk, t.pk, note="ok", version=7)
    services.task_complete(org.rita, org.opp.pk, t.pk, note="ok", version=1)
    with pytest.raises(ValidationFailed) as exc:
        services.task_complete(org.rita, org.opp.pk, t.pk, note="again", version=2)
    assert exc.value.code == "already_done"


def test_task_changes_name_the_version_they_read(org):
    """Without a version a task change used to apply to whatever the task was by then; now it is
    refused (version_required) and nothing changes."""
    t = task(org.opp, "account_plan")
    for call in (
        lambda: services.task_complete(org.rita, org.opp.pk, t.pk, note="ok", version=None),
        lambda: services.task_update(org.rita, org.opp.pk, t.pk, version=None, assignee_id=org.rita.pk),
        lambda: services.task_reopen(org.rita, org.opp.pk, t.pk, version=None),
    ):
        with pytest.raises(ValidationFailed) as missing:
            call()
        assert missing.value.code == "version_required"
    t.refresh_from_db()
    assert t.version == 1 and t.done_at is None


def test_who_may_complete(team):
    org = team
    t = task(org.opp, "account_plan")  # assigned to rita
    with pytest.raises(PermissionDenied):
        services.task_complete(
            org.tom, org.opp.pk, t.pk, note="not mine", version=1
        )  # team member, not assignee
    with pytest.raises(NotFound):
        services.task_complete(org.nick, org.opp.pk, t.pk, note="x", version=1)
    with pytest.raises(NotFound):
        services.task_complete(org.sven, org.opp.pk, t.pk, note="x", version=1)
    with pytest.raises(NotFound):  # a task of another deal
        services.task_complete(org.sara, org.sara_opp.pk, t.pk, note="x", version=1)
    services.task_complete(org.mona, org.opp.pk, t.pk, note="经理代为确认", version=1)


def test_reopen_is_for_who_may_write_the_deal(team):
    org = team
    t = task(org.opp, "account_plan")
    services.task_update(org.rita, org.opp.pk, t.pk, version=1, assignee_id=org.tom.pk)
    services.task_complete(org.tom, org.opp.pk, t.pk, note="done", version=2)
    with pytest.raises(PermissionDenied):
        services.task_reopen(org.tom, org.opp.pk, t.pk, version=3)
    reopened = services.task_reopen(org.rita, org.opp.pk, t.pk, version=3, reason="plan incomplete")
    reopened.refresh_from_db()
    assert reopened.done_at is None and reopened.completion_note == "" and reopened.done_by_id is None
    with pytest.raises(ValidationFailed) as exc:
        services.task_reopen(org.rita, org.opp.pk, t.pk, version=4)
    assert exc.value.code == "not_done"


def test_a_lost_deals_tasks_are_frozen(org):
    from kadence.pipeline.models import LossReason

    pipeline.opportunity_close_lost(
        org.rita, org.opp.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(org.opp.pk)
    )
    t = task(org.opp, "account_plan")
    with pytest.raises(ValidationFailed) as exc:
        services.task_complete(org.rita, org.opp.pk, t.pk, note="late", version=1)
    assert exc.value.code == "closed"
    with pytest.raises(ValidationFailed):
        services.task_add(org.rita, org.opp.pk, name="too late")


def test_task_criteria_gate_the_stage_and_completing_rechecks_the_level(org):
    standard6 = ProcessTemplate.objects.get(code="standard6")
    opp = pipeline.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="标准流程项目",
        amount="500000",
        expected_close_date=TODAY() + timedelta(days=60),
        template_id=standard6.pk,
    )
    initiation, deep = stages(opp)[0], stages(opp)[1]
    approval = ExitCriterion.objects.get(stage=initiation, code="manager_ok")
    gate_approve(org.mona, opp.pk, criterion_id=approval.pk)
    form = task(opp, "initiation_form")
    with pytest.raises(GateNotMet) as exc:
        pipeline.opportunity_move_stage(org.rita, opp.pk, stage_id=deep.pk, version=opp_version(opp.pk))
    assert [m["code"] for m in exc.value.extra["missing"]] == ["opportunity_brief"]
    services.task_complete(org.rita, opp.pk, form.pk, note="立项表经理已确认", version=1)
    pipeline.opportunity_move_stage(org.rita, opp.pk, stage_id=deep.pk, version=opp_version(opp.pk))
    opp.refresh_from_db()
    # Deep contact's own exit earns C; until then the deal holds initiation's level, I.
    assert opp.level.code == "I" and opp.staging_flag == ""
    services.task_reopen(org.mona, opp.pk, form.pk, version=2, reason="表格缺预算")
    opp.refresh_from_db()
    assert opp.level.code == "I" and opp.staging_flag == "over"  # the flag follows the proof
    services.task_complete(org.rita, opp.pk, form.pk, note="补充预算后确认", version=3)
    opp.refresh_from_db()
    assert opp.level.code == "I" and opp.staging_flag == ""


# --- reassign, reschedule, ad hoc ----------------------------------------------------------------------


def test_reassign_only_to_the_owner_or_the_deal_team(team):
    org = team
    t = task(org.opp, "call_key_people")
    with pytest.raises(ValidationFailed) as exc:
        services.task_update(org.rita, org.opp.pk, t.pk, version=1, assignee_id=org.nick.pk)
    assert "assignee_id" in exc.value.errors
    with pytest.raises(PermissionDenied):
        services.task_update(org.tom, org.opp.pk, t.pk, version=1, assignee_id=org.tom.pk)
    services.task_update(
        org.mona, org.opp.pk, t.pk, version=1, assignee_id=org.tom.pk, due_on=TODAY() + timedelta(days=3)
    )
    t.refresh_from_db()
    assert t.assignee_id == org.tom.pk and t.due_on == TODAY() + timedelta(days=3) and t.version == 2
    services.task_update(org.rita, org.opp.pk, t.pk, version=2, due_on=None)
    t.refresh_from_db()
    assert t.due_on is None and t.assignee_id == org.tom.pk
    assert AuditEntry.objects.filter(entity_id=org.opp.pk, field="task").count() == 2


def test_ad_hoc_tasks_by_the_deal_team(team):
    org = team
    mine = services.task_add(org.tom, org.opp.pk, name="准备演示环境", standard="演示环境可用")
    assert (
        mine.code.startswith("adhoc-")
        and mine.stage_id == org.opp.stage_id
        and mine.assignee_id == org.tom.pk
    )
    by_role = services.task_add(org.rita, org.opp.pk, name="售前支持", role_id=role("presales").pk)
    assert by_role.assignee_id == org.tom.pk
    by_manager = services.task_add(org.mona, org.opp.pk, name="经理跟进")
    assert by_manager.assignee_id == org.rita.pk  # mona is not on the deal: it goes to the owner
    with pytest.raises(ValidationFailed):
        services.task_add(org.rita, org.opp.pk, name="  ")
    with pytest.raises(ValidationFailed):
        services.task_add(org.rita, org.opp.pk, name="x", assignee_id=org.nick.pk)
    with pytest.raises(NotFound):
        services.task_add(org.nick, org.opp.pk, name="x")


# --- reads --------------------------------------------------------------------------------------------


def test_board_groups_current_stage_first_and_flags_overdue_and_missing_roles(team, no_gates):
    org = team
    OpportunityTask.objects.filter(opportunity=org.opp, code="account_plan").update(
        due_on=TODAY() - timedelta(days=1)
    )
    board = deal_tasks(org.rita, org.opp.pk, TODAY())
    assert [fill.role.code for fill in board.roles] == ["account_manager"]
    assert board.roles[0].by_owner and board.roles[0].users == [org.rita] and board.missing_roles == []
    assert [r.overdue for r in board.current.tasks] == [True, False, False]
    pipeline.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages(org.opp)[6].pk, version=opp_version(org.opp.pk)
    )  # negotiation
    board = deal_tasks(org.rita, org.opp.pk, TODAY())
    assert board.current.stage.code == "negotiation" and board.others[0].stage.code == "plan_call"
    assert board.others[0].overdue_count == 1
    assert {r.code for r in board.missing_roles} == {"commercial", "finance", "legal"}
    assert [u.pk for u in board.assignable] == [org.rita.pk, org.tom.pk]
    pipeline.opportunity_team_add(org.rita, org.opp.pk, user_id=org.nick.pk, role_id=role("legal").pk)
    board = deal_tasks(org.rita, org.opp.pk, TODAY())
    assert {r.code for r in board.missing_roles} == {"commercial", "finance"}
    assert next(f for f in board.roles if f.role.code == "legal").users == [org.nick]


def test_board_visibility_and_per_task_permissions(team):
    org = team
    assert not deal_tasks(org.tom, org.opp.pk, TODAY()).can_edit
    assert not any(r.can_complete for r in deal_tasks(org.tom, org.opp.pk, TODAY()).rows)
    assert all(r.can_complete for r in deal_tasks(org.mona, org.opp.pk, TODAY()).rows)
    for outsider in (org.nick, org.sven):
        with pytest.raises(NotFound):
            deal_tasks(outsider, org.opp.pk, TODAY())


def test_board_query_count_is_fixed(team, no_gates, django_assert_max_num_queries):
    org = team
    with django_assert_max_num_queries(7):
        deal_tasks(org.mona, org.opp.pk, TODAY())
    for i in range(8):
        services.task_add(org.rita, org.opp.pk, name=f"task {i}")
    pipeline.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages(org.opp)[6].pk, version=opp_version(org.opp.pk)
    )
    for member in (org.nick, org.sara, org.sam):
        pipeline.opportunity_team_add(org.mona, org.opp.pk, user_id=member.pk, role_id=role("finance").pk)
    fresh = type(org.mona).objects.get(pk=org.mona.pk)
    with django_assert_max_num_queries(7):
        board = deal_tasks(fresh, org.opp.pk, TODAY())
    assert len(board.rows) == 15


def test_tasks_due_lists_my_overdue_tasks_on_open_deals(team):
    org = team
    late = task(org.opp, "account_plan")
    OpportunityTask.objects.filter(pk=late.pk).update(due_on=TODAY() - timedelta(days=2))
    OpportunityTask.objects.filter(opportunity=org.opp, code="call_key_people").update(
        due_on=TODAY() - timedelta(days=1), done_at=timezone.now()
    )
    OpportunityTask.objects.filter(opportunity=org.sara_opp).update(due_on=TODAY() - timedelta(days=5))
    assert [t.pk for t in tasks_due(org.rita, TODAY())] == [late.pk]
    assert tasks_due(org.tom, TODAY()) == []
    assert len(tasks_due(org.sara, TODAY())) == 3 and len(tasks_due(org.sara, TODAY(), limit=2)) == 2


# --- API ----------------------------------------------------------------------------------------------


class Api:
    def __init__(self, token_for) -> None:
        self.client, self.token_for, self.headers = Client(), token_for, {}

    def call(self, method, path, user, body=None, expect=200):
        headers = self.headers.setdefault(user.pk, self.token_for(user))
        if method == "get":
            response = self.client.get(path, **headers)
        else:
            response = getattr(self.client, method)(
                path, data=json.dumps(body or {}), content_type="application/json", **headers
            )
        assert response.status_code == expect, (response.status_code, response.content[:1500])
        return response.json() if response.content else None


@pytest.fixture
def api(token_for) -> Api:
    return Api(token_for)


def test_api_list_shape_and_visibility(api, team):
    org = team
    url = f"/api/opportunities/{org.opp.pk}/tasks"
    body = api.call("get", url, org.rita)
    assert body["current_stage"]["code"] == "plan_call" and body["can_edit"] is True
    first = body["tasks"][0]
    assert first["code"] == "account_plan" and first["is_current_stage"] and first["done"] is False
    assert first["assignee"]["username"] == "rita" and first["role"]["code"] == "account_manager"
    assert (
        first["standard_zh"] and first["standard_en"] and first["overdue"] is False and first["version"] == 1
    )
    assert body["roles"] == [
        {
            "role": body["roles"][0]["role"],
            "filled_by": [body["roles"][0]["filled_by"][0]],
            "by_owner": True,
            "missing": False,
        }
    ]
    assert body["missing_roles"] == [] and [u["username"] for u in body["assignable"]] == ["rita", "tom"]
    assert api.call("get", url, org.tom)["can_edit"] is False
    api.call("get", url, org.nick, expect=404)
    api.call("get", url, org.sven, expect=404)
    api.call("get", "/api/opportunities/999999/tasks", org.ada, expect=404)


def test_api_writes(api, team):
    org = team
    base = f"/api/opportunities/{org.opp.pk}/tasks"
    created = api.call(
        "post",
        base,
        org.tom,
        {"name": "样机准备", "due_on": (TODAY() + timedelta(days=4)).isoformat()},
        expect=201,
    )
    assert created["ad_hoc"] and created["assignee"]["username"] == "tom" and created["can_complete"]
    api.call("post", base, org.tom, {"name": ""}, expect=422)
    api.call("post", base, org.tom, {"name": "x", "bogus": 1}, expect=422)
    api.call("post", base, org.nick, {"name": "x"}, expect=404)

    t = task(org.opp, "account_plan")
    api.call("post", f"{base}/{t.pk}/complete", org.tom, {"note": "x", "version": 1}, expect=403)
    api.call("post", f"{base}/{t.pk}/complete", org.rita, {"note": "", "version": 1}, expect=422)
    api.call("post", f"{base}/{t.pk}/complete", org.rita, {"note": "ok", "version": 9}, expect=409)
    done = api.call("post", f"{base}/{t.pk}/complete", org.rita, {"note": "规划完成", "version": 1})
    assert done["done"] and done["completion_note"] == "规划完成" and done["done_by"]["username"] == "rita"
    api.call("post", f"{base}/{t.pk}/reopen", org.tom, {"version": 2}, expect=403)
    reopened = api.call("post", f"{base}/{t.pk}/reopen", org.mona, {"version": 2, "reason": "不完整"})
    assert reopened["done"] is False and reopened["version"] == 3

    patched = api.call(
        "patch", f"{base}/{t.pk}", org.rita, {"assignee_id": org.tom.pk, "due_on": "2020-01-01", "version": 3}
    )
    assert patched["assignee"]["username"] == "tom" and patched["overdue"] is True
    api.call("patch", f"{base}/{t.pk}", org.rita, {"assignee_id": None, "version": 4}, expect=422)
    api.call("patch", f"{base}/{t.pk}", org.rita, {"assignee_id": org.nick.pk, "version": 4}, expect=422)
    api.call("patch", f"{base}/{t.pk}", org.tom, {"due_on": None, "version": 4}, expect=403)
    assert api.call("patch", f"{base}/{t.pk}", org.rita, {"due_on": None, "version": 4})["due_on"] is None
    api.call(
        "patch",
        f"{base}/{OpportunityTask.objects.filter(opportunity=org.sara_opp).first().pk}",
        org.ada,
        {"due_on": None, "version": 1},
        expect=404,
    )


# --- pages --------------------------------------------------------------------------------------------


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_page_shows_roles_tasks_and_overdue(browser, team, no_gates):
    org = team
    pipeline.opportunity_move_stage(
        org.rita, org.opp.pk, stage_id=stages(org.opp)[6].pk, version=opp_version(org.opp.pk)
    )  # negotiation
    OpportunityTask.objects.filter(opportunity=org.opp, code="commercial_terms").update(
        due_on=date(2020, 1, 1)
    )
    browser.force_login(org.rita)
    response = browser.get(reverse("deal_tasks", args=[org.opp.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="role-missing-finance"' in body and f"/opportunities/{org.opp.pk}/#team" in body
    assert 'data-testid="task-commercial_terms"' in body and 'data-overdue="1"' in body
    assert 'data-testid="stage-tasks-plan_call"' in body  # the first stage's tasks, collapsed
    assert "Price, payment terms and delivery dates" in body  # the standard, in the user's language
    assert 'data-testid="task-add-form"' in body and 'data-testid="task-update-commercial_terms"' in body


def test_page_complete_and_errors(browser, team):
    org = team
    t = task(org.opp, "account_plan")
    browser.force_login(org.rita)
    url = reverse("deal_task_complete", args=[org.opp.pk, t.pk])
    response = browser.post(url, {"note": "", "version": 1}, follow=True)
    assert response.status_code == 422 and "errorlist" in response.content.decode()
    response = browser.post(url, {"note": "规划表完成", "version": 1})
    assert response.status_code == 302 and response["Location"] == reverse("deal_tasks", args=[org.opp.pk])
    t.refresh_from_db()
    assert t.done_at is not None
    response = browser.post(url, {"note": "again", "version": 2}, follow=True)
    assert response.status_code == 422
    response = browser.post(reverse("deal_task_reopen", args=[org.opp.pk, t.pk]), {"version": 2})
    assert response.status_code == 302
    response = browser.post(
        reverse("deal_task_update", args=[org.opp.pk, t.pk]),
        {"assignee": org.tom.pk, "due_on": "2030-01-31", "version": 3},
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.assignee_id == org.tom.pk and t.due_on == date(2030, 1, 31)
    response = browser.post(
        reverse("deal_task_add", args=[org.opp.pk]), {"name": "补充调研", "assignee": org.tom.pk}
    )
    assert response.status_code == 302
    assert OpportunityTask.objects.filter(opportunity=org.opp, name_zh="补充调研", assignee=org.tom).exists()


def test_page_permissions(browser, team):
    org = team
    t = task(org.opp, "account_plan")
    browser.force_login(org.tom)
    assert browser.get(reverse("deal_tasks", args=[org.opp.pk])).status_code == 200
    body = browser.get(reverse("deal_tasks", args=[org.opp.pk])).content.decode()
    assert 'data-testid="task-complete-account_plan"' not in body and "task-update-" not in body
    assert (
        browser.post(
            reverse("deal_task_complete", args=[org.opp.pk, t.pk]), {"note": "x", "version": 1}
        ).status_code
        == 403
    )
    browser.force_login(org.nick)
    assert browser.get(reverse("deal_tasks", args=[org.opp.pk])).status_code == 404
    assert (
        browser.post(
            reverse("deal_task_complete", args=[org.opp.pk, t.pk]), {"note": "x", "version": 1}
        ).status_code
        == 404
    )
    assert browser.get(reverse("deal_task_complete", args=[org.opp.pk, t.pk])).status_code == 405


def test_home_shows_my_overdue_deal_tasks(browser, org):
    t = task(org.opp, "call_key_people")
    OpportunityTask.objects.filter(pk=t.pk).update(due_on=TODAY() - timedelta(days=3))
    browser.force_login(org.rita)
    response = browser.get(reverse("home"))
    assert [x.pk for x in response.context["overdue_tasks"]] == [t.pk]
    assert f'data-testid="overdue-task-{t.pk}"' in response.content.decode()
    browser.force_login(org.mona)
    assert reverse("home") and browser.get(reverse("home")).context["overdue_tasks"] == []
    assert Opportunity.objects.get(pk=org.opp.pk).status == "open"


# --- many deals at once (a bulk load) ----------------------------------------------------------------------


def test_the_bulk_form_writes_the_rows_the_one_deal_form_writes(team, no_gates):
    """stage_tasks_create_many (an import's new deals, set-based) gives each deal the rows
    stage_tasks_create gives it at its stage: role holder else owner, due dates, none twice; a lost
    deal none."""
    org = team
    demo = stages(org.opp)[3]
    fields = ("stage_id", "stage_task_id", "code", "name_zh", "name_en", "standard_zh", "standard_en",
              "role_id", "assignee_id", "due_on", "completion_note", "version")  # fmt: skip

    def rows(opp):
        return sorted(OpportunityTask.objects.filter(opportunity=opp).values_list(*fields))

    Opportunity.objects.filter(pk=org.opp.pk).update(stage=demo)
    OpportunityTask.objects.filter(opportunity=org.opp).delete()
    services.stage_tasks_create(Opportunity.objects.get(pk=org.opp.pk), demo)
    by_one = rows(org.opp)
    assert {r[8] for r in by_one} == {org.tom.pk, org.rita.pk}, "a role holder and the owner"
    OpportunityTask.objects.filter(opportunity=org.opp).delete()
    lost = org.sara_opp
    Opportunity.objects.filter(pk=lost.pk).update(status=Opportunity.Status.LOST, stage=demo)
    lost_tasks = OpportunityTask.objects.filter(opportunity=lost).count()
    ids = Opportunity.objects.filter(pk__in=[org.opp.pk, lost.pk]).values("pk")
    assert services.stage_tasks_create_many(ids) == len(by_one)
    assert rows(org.opp) == by_one
    assert services.stage_tasks_create_many(ids) == 0, "none twice"
    assert OpportunityTask.objects.filter(opportunity=lost).count() == lost_tasks, "a lost deal: none"
