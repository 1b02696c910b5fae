"""The customer's buying milestones of a deal (项目里程碑四步分析法, METHODOLOGY §2): the service (upsert
per stage, versions, the template check), the selector (one row per stage, slippage, query count),
the API and the page, with the personas of conftest: rita owns the deal, tom is on its deal team,
mona manages north-1, dora directs north; nick (north-2) and sven (south) are outsiders."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kadence.core.errors import Conflict, NotFound, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.deals.models import ControlPolicy, Milestone
from kadence.deals.selectors import milestones as selectors
from kadence.deals.services import milestones as services
from kadence.pipeline import services as pipeline
from kadence.pipeline.models import DealRole, LossReason, Opportunity, ProcessTemplate, Stage
from tests.versions import milestone_version, opp_version

TODAY = timezone.localdate  # called in each test: a run may cross midnight


def days(n):
    return TODAY() + timedelta(days=n)


@pytest.fixture
def ms(org):
    """rita's deal with tom on its deal team, and the stages of its template in order."""
    pipeline.opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    org.stages = list(Stage.objects.filter(template=org.opp.template).order_by("order"))
    org.other_stage = Stage.objects.exclude(template=org.opp.template).first()
    return org


# --- service -----------------------------------------------------------------------------------


def test_first_save_creates_then_versions_guard_updates_and_audit(ms):
    stage = ms.stages[0]
    created = services.milestone_save(
        ms.rita, ms.opp.pk, stage.pk, planned_on=days(-20), competition_note=" 对手先接触 ", version=None
    )
    assert (created.planned_on, created.actual_on, created.competition_note, created.version) == (
        days(-20),
        None,
        "对手先接触",
        1,
    )
    updated = services.milestone_save(
        ms.tom, ms.opp.pk, stage.pk, planned_on=days(-20), actual_on=days(-12), version=1
    )
    assert (updated.actual_on, updated.competition_note, updated.version, updated.updated_by) == (
        days(-12),
        "",
        2,
        ms.tom,
    )  # a PUT: the note left out is cleared
    with pytest.raises(Conflict):
        services.milestone_save(ms.rita, ms.opp.pk, stage.pk, planned_on=days(-1), version=1)
    with pytest.raises(Conflict):  # "I saw no milestone" while there is one
        services.milestone_save(ms.rita, ms.opp.pk, stage.pk, planned_on=days(-1), version=None)
    with pytest.raises(Conflict):  # a version for a stage never dated
        services.milestone_save(ms.rita, ms.opp.pk, ms.stages[1].pk, planned_on=days(-1), version=3)
    assert Milestone.objects.get(pk=created.pk).version == 2
    lines = list(
        AuditEntry.objects.filter(entity="pipeline.opportunity", entity_id=ms.opp.pk, field="milestone")
        .order_by("id")
        .values_list("old_value", "new_value")
    )
    code = stage.code
    assert lines == [
        ("", f"{code}: planned {days(-20).isoformat()}; actual -; lag: 对手先接触"),
        (
            f"{code}: planned {days(-20).isoformat()}; actual -; lag: 对手先接触",
            f"{code}: planned {days(-20).isoformat()}; actual {days(-12).isoformat()}",
        ),
    ]


def test_stage_of_another_template_is_not_found_and_bad_values_refused(ms):
    with pytest.raises(NotFound):
        services.milestone_save(
            ms.rita,
            ms.opp.pk,
            ms.other_stage.pk,
            planned_on=TODAY(),
            version=milestone_version(ms.opp.pk, ms.other_stage.pk),
        )
    with pytest.raises(ValidationFailed) as exc:
        services.milestone_save(
            ms.rita,
            ms.opp.pk,
            ms.stages[0].pk,
            actual_on=days(1),
            version=milestone_version(ms.opp.pk, ms.stages[0].pk),
        )
    assert "actual_on" in exc.value.errors
    with pytest.raises(ValidationFailed):
        services.milestone_save(
            ms.rita,
            ms.opp.pk,
            ms.stages[0].pk,
            competition_note="x" * 501,
            version=milestone_version(ms.opp.pk, ms.stages[0].pk),
        )
    with pytest.raises(ValidationFailed):
        services.milestone_save(
            ms.rita,
            ms.opp.pk,
            ms.stages[0].pk,
            planned_on="2025-01-01",
            version=milestone_version(ms.opp.pk, ms.stages[0].pk),
        )
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        ms.stages[0].pk,
        planned_on=days(400),
        version=milestone_version(ms.opp.pk, ms.stages[0].pk),
    )  # planned may be far ahead
    assert Milestone.objects.filter(opportunity=ms.opp).count() == 1


@pytest.mark.parametrize("name", ["rita", "tom", "mona", "dora", "ada"])
def test_owner_deal_team_and_managers_in_scope_may_date_milestones(ms, name):
    milestone = services.milestone_save(
        getattr(ms, name),
        ms.opp.pk,
        ms.stages[2].pk,
        planned_on=TODAY(),
        version=milestone_version(ms.opp.pk, ms.stages[2].pk),
    )
    assert milestone.updated_by == getattr(ms, name)


@pytest.mark.parametrize("name", ["nick", "sara", "sam", "sven"])
def test_outsiders_get_not_found(ms, name):
    with pytest.raises(NotFound):
        selectors.milestone_plan(getattr(ms, name), ms.opp.pk, TODAY())
    with pytest.raises(NotFound):
        services.milestone_save(
            getattr(ms, name),
            ms.opp.pk,
            ms.stages[0].pk,
            planned_on=TODAY(),
            version=milestone_version(ms.opp.pk, ms.stages[0].pk),
        )


def test_closed_deals_may_still_be_dated(ms):
    pipeline.opportunity_close_lost(
        ms.rita, ms.opp.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(ms.opp.pk)
    )
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        ms.stages[3].pk,
        planned_on=days(-30),
        actual_on=days(-2),
        competition_note="对手先拿到了技术标准",
        version=milestone_version(ms.opp.pk, ms.stages[3].pk),
    )
    assert Opportunity.objects.get(pk=ms.opp.pk).status == Opportunity.Status.LOST


# --- selector ----------------------------------------------------------------------------------


def test_plan_has_one_row_per_stage_with_slippage_and_summary(ms):
    s = ms.stages
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        s[0].pk,
        planned_on=days(-60),
        actual_on=days(-62),
        version=milestone_version(ms.opp.pk, s[0].pk),
    )  # 2 early
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        s[1].pk,
        planned_on=days(-40),
        actual_on=days(-33),
        version=milestone_version(ms.opp.pk, s[1].pk),
    )  # 7 late
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        s[2].pk,
        planned_on=days(-25),
        actual_on=days(-5),
        version=milestone_version(ms.opp.pk, s[2].pk),
    )  # 20 late
    services.milestone_save(
        ms.rita, ms.opp.pk, s[3].pk, planned_on=days(-9), version=milestone_version(ms.opp.pk, s[3].pk)
    )  # open, 9 overdue
    services.milestone_save(
        ms.rita, ms.opp.pk, s[4].pk, planned_on=days(15), version=milestone_version(ms.opp.pk, s[4].pk)
    )  # not yet due
    plan = selectors.milestone_plan(ms.mona, ms.opp.pk, TODAY())
    assert [r.stage.pk for r in plan.rows] == [st.pk for st in s]
    assert [r.slippage.days for r in plan.rows] == [-2, 7, 20, 9, None, None, None, None]
    assert [r.slippage.flagged for r in plan.rows] == [False, False, True, True, False, False, False, False]
    assert [r.badge for r in plan.rows][:5] == ["good", "warn", "bad", "bad", ""]
    assert plan.rows[3].slippage.running and plan.rows[3].slippage.state == "overdue"
    assert [r.is_current for r in plan.rows] == [True] + [False] * 7
    assert (
        plan.summary.measured,
        plan.summary.late,
        plan.summary.flagged,
        plan.summary.total_days_late,
        plan.summary.worst,
        plan.summary.latest,
    ) == (4, 3, 2, 36, 20, 9)
    assert plan.rows[5].milestone is None and plan.rows[5].version is None
    policy = ControlPolicy.current()
    policy.milestone_slip_warn_days = 9
    policy.save()
    assert [r.slippage.flagged for r in selectors.milestone_plan(ms.rita, ms.opp.pk, TODAY()).rows][:4] == [
        False,
        False,
        True,
        False,
    ]


def test_plan_reads_in_a_fixed_number_of_queries(ms):
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        ms.stages[0].pk,
        planned_on=days(-3),
        version=milestone_version(ms.opp.pk, ms.stages[0].pk),
    )
    user = type(ms.rita).objects.get(pk=ms.mona.pk)
    with CaptureQueriesContext(connection) as one:
        selectors.milestone_plan(user, ms.opp.pk, TODAY())
    for stage in ms.stages[1:]:
        services.milestone_save(
            ms.rita,
            ms.opp.pk,
            stage.pk,
            planned_on=days(stage.order),
            version=milestone_version(ms.opp.pk, stage.pk),
        )
    user = type(ms.rita).objects.get(pk=ms.mona.pk)
    with CaptureQueriesContext(connection) as all_dated:
        plan = selectors.milestone_plan(user, ms.opp.pk, TODAY())
    assert all(r.milestone for r in plan.rows)
    # the manager's scope (2), the deal, the policy, the stages, the milestones
    assert len(one) == len(all_dated) == 6


def test_milestones_of_another_template_are_not_shown(ms):
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        ms.stages[0].pk,
        planned_on=days(-3),
        version=milestone_version(ms.opp.pk, ms.stages[0].pk),
    )
    Milestone.objects.create(opportunity=ms.opp, stage=ms.other_stage, planned_on=days(-50))
    plan = selectors.milestone_plan(ms.rita, ms.opp.pk, TODAY())
    assert len(plan.rows) == len(ms.stages) and plan.summary.measured == 1


# --- API ---------------------------------------------------------------------------------------


class Api:
    def __init__(self, token_for):
        self.client = Client()
        self.token_for = token_for

    def __call__(self, method, path, user, body=None, expect=200):
        headers = self.token_for(user)
        if method == "get":
            response = self.client.get(path, **headers)
        else:
            response = getattr(self.client, method)(
                path,
                data=json.dumps(body) if body is not None else "",
                content_type="application/json",
                **headers,
            )
        assert response.status_code == expect, (response.status_code, response.content[:1000])
        return response.json()


@pytest.fixture
def api(token_for):
    return Api(token_for)


def url(opp, stage=None):
    return f"/api/opportunities/{opp.pk}/milestones" + (f"/{stage.pk}" if stage else "")


def test_api_get_and_put(ms, api):
    body = api("get", url(ms.opp), ms.tom)
    assert len(body["milestones"]) == 8 and body["warn_days"] == 7
    first = body["milestones"][0]
    assert (
        first["stage"]["id"] == ms.stages[0].pk
        and first["stage"]["buying_step_en"] == "Problem found, need raised"
    )
    assert (
        first["id"],
        first["version"],
        first["state"],
        first["slippage_days"],
        first["is_current_stage"],
    ) == (None, None, "undated", None, True)
    assert body["summary"] == {
        "measured": 0,
        "late": 0,
        "flagged": 0,
        "total_days_late": 0,
        "worst": None,
        "latest": None,
    }
    row = api(
        "put",
        url(ms.opp, ms.stages[1]),
        ms.rita,
        {"planned_on": days(-10).isoformat(), "competition_note": "对手已做过演示", "version": None},
    )
    assert (
        row["version"],
        row["state"],
        row["slippage_days"],
        row["running"],
        row["flagged"],
        row["late"],
    ) == (1, "overdue", 10, True, True, True)
    assert row["competition_note"] == "对手已做过演示" and row["stage"]["id"] == ms.stages[1].pk
    row = api(
        "put",
        url(ms.opp, ms.stages[1]),
        ms.mona,
        {"planned_on": days(-10).isoformat(), "actual_on": days(-6).isoformat(), "version": 1},
    )
    assert (row["version"], row["state"], row["slippage_days"], row["running"], row["flagged"]) == (
        2,
        "done",
        4,
        False,
        False,
    )
    stale = api(
        "put",
        url(ms.opp, ms.stages[1]),
        ms.rita,
        {"planned_on": TODAY().isoformat(), "version": 1},
        expect=409,
    )
    assert stale["code"] == "conflict" and stale["current_version"] == 2
    body = api("get", url(ms.opp), ms.dora)
    assert body["summary"]["late"] == 1 and body["summary"]["worst"] == 4


def test_api_bad_input_and_permissions(ms, api):
    missing = api("put", url(ms.opp, ms.stages[0]), ms.rita, {"planned_on": TODAY().isoformat()}, expect=422)
    assert missing["errors"][0]["loc"] == ["body", "version"]  # null for a new one, but always sent
    new = {"planned_on": TODAY().isoformat(), "version": None}
    assert api("put", url(ms.opp, ms.other_stage), ms.rita, new, expect=404)["code"] == "not_found"
    assert api("put", url(ms.opp, ms.stages[0]), ms.rita, {"actual_on": days(2).isoformat()}, expect=422)
    assert api("put", url(ms.opp, ms.stages[0]), ms.rita, {"planned_on": "tomorrow"}, expect=422)
    assert api("put", url(ms.opp, ms.stages[0]), ms.rita, {"stage": 1}, expect=422)
    assert api("put", url(ms.opp, ms.stages[0]), ms.rita, {"version": 0}, expect=422)
    assert api("put", url(ms.opp, ms.stages[0]), ms.rita, {"note": "x" * 501}, expect=422)
    for user in (ms.nick, ms.sven):
        api("get", url(ms.opp), user, expect=404)
        api("put", url(ms.opp, ms.stages[0]), user, new, expect=404)
    assert not Milestone.objects.filter(opportunity=ms.opp).exists()


# --- page --------------------------------------------------------------------------------------


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def page_url(opp, stage=None):
    if stage is None:
        return reverse("deal_milestones", args=[opp.pk])
    return reverse("deal_milestone_save", args=[opp.pk, stage.pk])


def test_page_shows_every_stage_with_buying_step_slippage_and_the_method(ms, browser):
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        ms.stages[0].pk,
        planned_on=days(-20),
        actual_on=days(-17),
        version=milestone_version(ms.opp.pk, ms.stages[0].pk),
    )
    services.milestone_save(
        ms.rita,
        ms.opp.pk,
        ms.stages[1].pk,
        planned_on=days(-12),
        competition_note="对手已做过演示",
        version=milestone_version(ms.opp.pk, ms.stages[1].pk),
    )
    browser.force_login(ms.tom)
    response = browser.get(page_url(ms.opp))
    html = response.content.decode()
    assert response.status_code == 200 and 'href="/static/deals/deals.css"' in html
    for stage in ms.stages:
        assert f'data-testid="ms-row-{stage.pk}"' in html and f'data-testid="ms-form-{stage.pk}"' in html
    assert "Problem found, need raised" in html and "Date the customer's buying milestones." in html
    first = html.split(f'data-testid="ms-row-{ms.stages[0].pk}"')[1].split("</tr>")[0]
    assert f'class="badge warn" data-testid="ms-slip-{ms.stages[0].pk}" data-days="3"' in first
    second = html.split(f'data-testid="ms-row-{ms.stages[1].pk}"')[1].split("</tr>")[0]
    assert 'class="badge bad"' in second and "+12 days" in second and "still open" in second
    assert 'value="对手已做过演示"' in second and f'form="ms-{ms.stages[1].pk}"' in second
    assert 'data-testid="ms-late">2<' in html and 'data-testid="ms-total">15<' in html


def test_page_saves_a_row_and_shows_errors_in_place(ms, browser):
    browser.force_login(ms.rita)
    stage = ms.stages[2]
    p = f"s{stage.pk}"
    response = browser.post(
        page_url(ms.opp, stage),
        {
            f"{p}-planned_on": days(-5).isoformat(),
            f"{p}-competition_note": "立项晚于对手",
            f"{p}-version": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == page_url(ms.opp)
    milestone = Milestone.objects.get(opportunity=ms.opp, stage=stage)
    assert (milestone.planned_on, milestone.competition_note, milestone.version) == (
        days(-5),
        "立项晚于对手",
        1,
    )
    assert "Milestone saved." in browser.get(page_url(ms.opp)).content.decode()
    stale = browser.post(
        page_url(ms.opp, stage), {f"{p}-planned_on": TODAY().isoformat(), f"{p}-version": ""}, follow=True
    )
    assert stale.status_code == 409 and 'data-code="conflict"' in stale.content.decode()
    future = browser.post(
        page_url(ms.opp, stage), {f"{p}-actual_on": days(3).isoformat(), f"{p}-version": "1"}, follow=True
    )
    html = future.content.decode()
    assert future.status_code == 422 and "Use today or an earlier date." in html
    row = html.split(f'data-testid="ms-row-{stage.pk}"')[0].rsplit("<tr", 1)[1]
    assert "has-error" in row
    bad_date = browser.post(
        page_url(ms.opp, stage), {f"{p}-planned_on": "31/02/2025", f"{p}-version": "1"}, follow=True
    )
    assert bad_date.status_code == 422
    other = browser.post(
        page_url(ms.opp, ms.other_stage), {f"s{ms.other_stage.pk}-planned_on": TODAY().isoformat()}
    )
    assert other.status_code == 404
    assert Milestone.objects.get(pk=milestone.pk).version == 1


def test_page_visibility(ms, browser):
    browser.force_login(ms.nick)
    assert browser.get(page_url(ms.opp)).status_code == 404
    assert browser.post(page_url(ms.opp, ms.stages[0]), {}).status_code == 404
    browser.force_login(ms.dora)
    assert (
        browser.post(
            page_url(ms.opp, ms.stages[0]), {f"s{ms.stages[0].pk}-planned_on": TODAY().isoformat()}
        ).status_code
        == 302
    )


def test_page_query_count_does_not_grow_with_milestones(ms, browser, django_assert_max_num_queries):
    browser.force_login(ms.rita)
    with CaptureQueriesContext(connection) as none_dated:
        assert browser.get(page_url(ms.opp)).status_code == 200
    for stage in ms.stages:
        services.milestone_save(
            ms.rita,
            ms.opp.pk,
            stage.pk,
            planned_on=days(stage.order - 5),
            version=milestone_version(ms.opp.pk, stage.pk),
        )
    with django_assert_max_num_queries(len(none_dated)):
        assert browser.get(page_url(ms.opp)).status_code == 200


def test_other_templates_rows_follow_their_stages(ms):
    template = ProcessTemplate.objects.exclude(pk=ms.opp.template_id).first()
    opp = pipeline.opportunity_create(
        ms.rita,
        account_id=ms.account.pk,
        name="另一流程",
        amount="1",
        expected_close_date=days(30),
        template_id=template.pk,
    )
    plan = selectors.milestone_plan(ms.rita, opp.pk, TODAY())
    assert [r.stage.pk for r in plan.rows] == list(
        template.stages.order_by("order").values_list("pk", flat=True)
    )
