"""Stalled deals (METHODOLOGY §8.2): the report per persona, its SQL against the domain's rules, the
required outcomes (recorded and performed, atomically), the API, the page and the export."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kadence.activities.models import Activity
from kadence.activities.stall import refresh_last_activity
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry, User
from kadence.deals.models import StallAction
from kadence.domain.stall import CLOSE_PASSED, CLOSE_PUSHED, NO_ACTIVITY, STAGE_TIME
from kadence.insights.selectors.stalled import deal_stall_reasons, stalled_export, stalled_report
from kadence.insights.services.stall import stall_act
from kadence.pipeline.models import DealRole, LossReason, Opportunity, Stage, StageChange
from kadence.pipeline.services import (
    opportunity_create,
    opportunity_move_stage,
    opportunity_team_add,
    opportunity_update,
)
from tests.versions import opp_version

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def noon(days_ago: int) -> datetime:
    return timezone.make_aware(datetime.combine(today() - timedelta(days=days_ago), time(12)))


def shape(opp: Opportunity, *, in_stage: int = 1, created: int = 1, close_in: int = 60) -> Opportunity:
    """Set how long the deal has been in its stage and open, and when it should close (test setup)."""
    Opportunity.objects.filter(pk=opp.pk).update(
        stage_entered_at=noon(in_stage),
        created_at=noon(created),
        expected_close_date=today() + timedelta(days=close_in),
    )
    opp.refresh_from_db()
    return opp


def log_activity(
    opp: Opportunity, days_ago: int, *, kind: str = Activity.Kind.VISIT, done: bool = True
) -> Activity:
    """An activity dated `days_ago` (test setup, outside the services: the deal's stall summary is
    refreshed as the services do)."""
    activity = Activity.objects.create(
        kind=kind,
        subject="visit",
        date=today() - timedelta(days=days_ago),
        done=done,
        account=opp.account,
        opportunity=opp,
        owner=opp.owner,
        team=opp.team,
    )
    refresh_last_activity([opp.pk])
    return activity


def push_close_date(user, opp: Opportunity, times: int) -> Opportunity:
    for _ in range(times):
        opp.refresh_from_db()
        opportunity_update(
            user,
            opp.pk,
            version=opp.version,
            expected_close_date=opp.expected_close_date + timedelta(days=30),
        )
    opp.refresh_from_db()
    return opp


def new_deal(org, owner, account, name: str, **shaped) -> Opportunity:
    opp = opportunity_create(
        owner,
        account_id=account.pk,
        name=name,
        amount="100000",
        expected_close_date=today() + timedelta(days=60),
    )
    return shape(opp, **shaped)


@pytest.fixture
def deals(org):
    """One stalled deal per reason, in different teams, and a healthy one:
    rita (north-1) too long in stage 1 (30 days, standard 14 → 21 allowed); tom (north-1) past its
    close date; nick (north-2) never any activity in 40 days; sara (south-1) close date pushed twice."""
    from kadence.accounts.services import account_create

    # Pages and API answer in English here, so the texts asserted hold once the Chinese catalogue is filled.
    User.objects.update(language="en")
    rita = shape(org.opp, in_stage=30, created=100)
    log_activity(rita, 5)
    tom_account = account_create(
        org.tom, name="江苏移动", industry_id=org.industry.pk, region_id=org.north.pk
    )
    tom = new_deal(org, org.tom, tom_account, "基站节能", in_stage=3, created=50, close_in=-3)
    log_activity(tom, 2)
    nick_account = account_create(
        org.nick, name="山东电网", industry_id=org.industry.pk, region_id=org.north.pk
    )
    nick = new_deal(org, org.nick, nick_account, "配网自动化", in_stage=10, created=40)
    sara = shape(org.sara_opp, in_stage=2, created=60)
    log_activity(sara, 1)
    sara = push_close_date(org.sara, sara, 2)
    healthy = new_deal(org, org.rita, org.account, "健康的项目", in_stage=2, created=20)
    log_activity(healthy, 3)
    return type("Deals", (), {"rita": rita, "tom": tom, "nick": nick, "sara": sara, "healthy": healthy})


def codes(row) -> tuple[str, ...]:
    return tuple(r.code for r in row.reasons)


def ids(report) -> set[int]:
    return {row.opp.pk for row in report.page.items}


# --- the report ----------------------------------------------------------------------------------


def test_each_stalled_deal_lists_its_reasons_with_the_numbers(org, deals):
    report = stalled_report(org.ada)
    assert report.counts == {"total": 4, STAGE_TIME: 1, NO_ACTIVITY: 1, CLOSE_PASSED: 1, CLOSE_PUSHED: 1}
    rows = {row.opp.pk: row for row in report.page.items}
    assert set(rows) == {deals.rita.pk, deals.tom.pk, deals.nick.pk, deals.sara.pk}
    assert codes(rows[deals.rita.pk]) == (STAGE_TIME,)
    stage = rows[deals.rita.pk].reasons[0]
    assert (stage.value, stage.standard_days, rows[deals.rita.pk].stage_allowance) == (30, 14, 21)
    assert rows[deals.rita.pk].days_stalled == 9  # days 22..30 in stage
    assert codes(rows[deals.tom.pk]) == (CLOSE_PASSED,) and rows[deals.tom.pk].days_stalled == 3
    nick = rows[deals.nick.pk]
    assert codes(nick) == (NO_ACTIVITY,) and nick.reasons[0].never and nick.reasons[0].value == 40
    assert nick.days_stalled == 10 and nick.last_activity_on is None
    sara = rows[deals.sara.pk]
    assert codes(sara) == (CLOSE_PUSHED,) and sara.close_pushes == 2 and sara.days_stalled == 1
    # Sorted by days stalled, most first; the reverse order on request.
    assert [row.opp.pk for row in report.page.items] == [
        deals.nick.pk,
        deals.rita.pk,
        deals.tom.pk,
        deals.sara.pk,
    ]
    fewest = stalled_report(org.ada, sort="days_stalled")
    assert [row.opp.pk for row in fewest.page.items] == [
        deals.sara.pk,
        deals.tom.pk,
        deals.rita.pk,
        deals.nick.pk,
    ]


def test_sql_and_domain_agree_at_the_boundaries(org):
    """Exactly 1.5 × standard days (21 for a 14-day stage) is not stalled, 22 is; 30 days without
    activity is not, 31 is; a close date of today is not passed, yesterday is; one push is not enough."""
    from kadence.accounts.services import account_create

    account = account_create(org.rita, name="边界客户", industry_id=org.industry.pk, region_id=org.north.pk)
    at = {
        "in_stage_21": new_deal(org, org.rita, account, "a", in_stage=21, created=25),
        "in_stage_22": new_deal(org, org.rita, account, "b", in_stage=22, created=25),
        "quiet_30": new_deal(org, org.rita, account, "c", in_stage=1, created=90),
        "quiet_31": new_deal(org, org.rita, account, "d", in_stage=1, created=90),
        "close_today": new_deal(org, org.rita, account, "e", in_stage=1, created=5, close_in=0),
        "close_yesterday": new_deal(org, org.rita, account, "f", in_stage=1, created=5, close_in=-1),
        "new_30": new_deal(org, org.rita, account, "g", in_stage=1, created=30),
        "e_mail_only": new_deal(org, org.rita, account, "h", in_stage=1, created=90),
        "pushed_once": new_deal(org, org.rita, account, "i", in_stage=1, created=5),
    }
    log_activity(at["quiet_30"], 30)
    log_activity(at["quiet_31"], 31)
    log_activity(at["e_mail_only"], 1, kind=Activity.Kind.EMAIL)  # not customer-side
    log_activity(at["e_mail_only"], 2, done=False)  # planned, not done
    push_close_date(org.rita, at["pushed_once"], 1)
    for deal in at.values():
        if deal.name in "acegi":
            log_activity(deal, 1)
    stalled = {row.opp.name for row in stalled_report(org.rita, page_size=50).page.items}
    assert stalled == {"b", "d", "f", "h"}
    for key, deal in at.items():
        assert bool(deal_stall_reasons(deal.pk)) == (deal.name in stalled), key


def test_a_rep_sees_their_own_a_manager_the_team_a_director_the_region(org, deals):
    assert ids(stalled_report(org.rita)) == {deals.rita.pk}
    assert ids(stalled_report(org.tom)) == {deals.tom.pk}
    assert ids(stalled_report(org.mona)) == {deals.rita.pk, deals.tom.pk}
    assert ids(stalled_report(org.mona, owner_id=org.rita.pk)) == {deals.rita.pk}
    assert ids(stalled_report(org.dora)) == {deals.rita.pk, deals.tom.pk, deals.nick.pk}
    assert ids(stalled_report(org.dora, unit_id=org.n2.pk)) == {deals.nick.pk}
    assert ids(stalled_report(org.sven)) == {deals.sara.pk}
    with pytest.raises(NotFound):
        stalled_report(org.dora, unit_id=org.s1.pk)
    with pytest.raises(NotFound):
        stalled_report(org.mona, owner_id=org.sara.pk)
    with pytest.raises(NotFound):
        stalled_report(org.rita, owner_id=org.tom.pk)


def test_a_deal_team_member_does_not_bring_the_deal_into_their_report(org, deals):
    opportunity_team_add(org.rita, deals.rita.pk, user_id=org.sara.pk, role_id=DealRole.objects.first().pk)
    assert ids(stalled_report(org.sara)) == {deals.sara.pk}


def test_filter_by_reason_keeps_the_counts_of_the_whole_scope(org, deals):
    report = stalled_report(org.ada, reason=NO_ACTIVITY)
    assert ids(report) == {deals.nick.pk} and report.page.count == 1 and report.counts["total"] == 4
    assert stalled_report(org.ada, reason="bogus").reason is None


def test_pages_past_the_end_give_the_last_page(org, deals):
    report = stalled_report(org.ada, page=9, page_size=3)
    assert (report.page.page, report.page.pages, len(report.page.items)) == (2, 2, 1)


# --- outcomes ----------------------------------------------------------------------------------


def test_a_dated_next_step_is_recorded_done_and_holds_off_no_activity(org, deals):
    nick = deals.nick
    Opportunity.objects.filter(pk=nick.pk).update(expected_close_date=today() - timedelta(days=2))
    when = today() + timedelta(days=7)
    action = stall_act(
        org.dora,
        nick.pk,
        "next_step",
        next_step="Call the CIO",
        next_step_on=when,
        activity_kind="call_out",
        note="budget frozen",
        version=opp_version(nick.pk),
    )
    assert action.outcome == "next_step" and action.acted_by == org.dora
    assert [r["code"] for r in action.reasons] == [NO_ACTIVITY, CLOSE_PASSED]
    assert action.reasons[0]["value"] == 40 and action.reasons[0]["never"] is True
    nick.refresh_from_db()
    assert nick.next_step == f"{when.isoformat()}: Call the CIO"
    planned = Activity.objects.get(opportunity=nick)
    assert (planned.done, planned.date, planned.kind, planned.owner) == (False, when, "call_out", org.dora)
    assert AuditEntry.objects.filter(entity_id=nick.pk, field="stall_action", new_value="next_step").exists()
    # Still stalled (close date passed), no longer for lack of activity; the list shows the action.
    row = next(r for r in stalled_report(org.dora).page.items if r.opp.pk == nick.pk)
    assert codes(row) == (CLOSE_PASSED,) and row.last_action == action and row.next_step_on == when
    # The day after the next step, without activity, it counts again.
    assert NO_ACTIVITY in [r.code for r in deal_stall_reasons(nick.pk, as_of=when + timedelta(days=1))]
    assert NO_ACTIVITY not in [r.code for r in deal_stall_reasons(nick.pk, as_of=when)]


def test_a_downgrade_moves_the_deal_back_and_is_recorded(org, deals, no_gates):
    rita = deals.rita
    opportunity_move_stage(
        org.rita,
        rita.pk,
        stage_id=Stage.objects.get(template=rita.template, order=3).pk,
        version=opp_version(rita.pk),
    )
    Opportunity.objects.filter(pk=rita.pk).update(stage_entered_at=noon(60))
    first = Stage.objects.get(template=rita.template, order=1)
    action = stall_act(
        org.rita, rita.pk, "downgrade", stage_id=first.pk, note="no budget yet", version=opp_version(rita.pk)
    )
    assert action.outcome == "downgrade" and action.reasons[0]["code"] == STAGE_TIME
    rita.refresh_from_db()
    assert rita.stage == first and rita.status == "open"
    last = StageChange.objects.filter(opportunity=rita).latest("changed_at", "id")
    assert last.kind == StageChange.Kind.MOVED_BACK and last.reason == "no budget yet"
    assert action.opportunity.stage == first


def test_close_lost_closes_the_deal_and_is_recorded(org, deals):
    reason = LossReason.objects.first()
    action = stall_act(
        org.mona, deals.tom.pk, "close_lost", loss_reason_id=reason.pk, version=opp_version(deals.tom.pk)
    )
    deals.tom.refresh_from_db()
    assert (deals.tom.status, deals.tom.loss_reason) == ("lost", reason)
    assert action.outcome == "close_lost" and [r["code"] for r in action.reasons] == [CLOSE_PASSED]
    assert deals.tom.pk not in ids(stalled_report(org.mona))


def test_a_failing_action_records_nothing(org, deals, no_gates):
    rita = deals.rita
    later = Stage.objects.get(template=rita.template, order=3)
    with pytest.raises(ValidationFailed) as later_stage:
        stall_act(org.rita, rita.pk, "downgrade", stage_id=later.pk, version=opp_version(rita.pk))
    assert later_stage.value.code == "not_earlier"
    # The pipeline refuses after the action row was written: the transaction takes it back.
    with pytest.raises(ValidationFailed):
        stall_act(org.rita, rita.pk, "close_lost", loss_reason_id=None, version=opp_version(rita.pk))
    with pytest.raises(Conflict):
        stall_act(
            org.rita,
            rita.pk,
            "close_lost",
            loss_reason_id=LossReason.objects.first().pk,
            version=rita.version + 5,
        )
    for bad_day in (today(), today() + timedelta(days=31), None):
        with pytest.raises(ValidationFailed):
            stall_act(
                org.rita,
                rita.pk,
                "next_step",
                next_step="call",
                next_step_on=bad_day,
                version=opp_version(rita.pk),
            )
    with pytest.raises(ValidationFailed):
        stall_act(
            org.rita,
            rita.pk,
            "next_step",
            next_step="  ",
            next_step_on=today() + timedelta(days=3),
            version=opp_version(rita.pk),
        )
    with pytest.raises(ValidationFailed):
        stall_act(org.rita, rita.pk, "give_up", version=opp_version(rita.pk))
    rita.refresh_from_db()
    assert not StallAction.objects.exists()
    assert not AuditEntry.objects.filter(field="stall_action").exists()
    assert (rita.status, rita.stage.order) == ("open", 1) and not Activity.objects.filter(done=False).exists()


def test_only_a_stalled_open_deal_takes_an_outcome(org, deals):
    with pytest.raises(ValidationFailed) as healthy:
        stall_act(
            org.rita,
            deals.healthy.pk,
            "close_lost",
            loss_reason_id=LossReason.objects.first().pk,
            version=opp_version(deals.healthy.pk),
        )
    assert healthy.value.code == "not_stalled"
    stall_act(
        org.mona,
        deals.tom.pk,
        "close_lost",
        loss_reason_id=LossReason.objects.first().pk,
        version=opp_version(deals.tom.pk),
    )
    with pytest.raises(ValidationFailed) as closed:
        stall_act(
            org.mona,
            deals.tom.pk,
            "close_lost",
            loss_reason_id=LossReason.objects.first().pk,
            version=opp_version(deals.tom.pk),
        )
    assert closed.value.code == "closed"


def test_who_may_act_whoever_may_write_the_deal(org, deals):
    when = today() + timedelta(days=3)
    opportunity_team_add(org.rita, deals.rita.pk, user_id=org.nick.pk, role_id=DealRole.objects.first().pk)
    with pytest.raises(PermissionDenied):  # on the deal team: sees it, may not change it
        stall_act(
            org.nick,
            deals.rita.pk,
            "next_step",
            next_step="call",
            next_step_on=when,
            version=opp_version(deals.rita.pk),
        )
    with pytest.raises(NotFound):  # a teammate who is not on it
        stall_act(
            org.tom,
            deals.rita.pk,
            "next_step",
            next_step="call",
            next_step_on=when,
            version=opp_version(deals.rita.pk),
        )
    with pytest.raises(NotFound):  # director of another region
        stall_act(
            org.sven,
            deals.rita.pk,
            "next_step",
            next_step="call",
            next_step_on=when,
            version=opp_version(deals.rita.pk),
        )
    assert not StallAction.objects.exists()
    stall_act(
        org.mona,
        deals.rita.pk,
        "next_step",
        next_step="call",
        next_step_on=when,
        version=opp_version(deals.rita.pk),
    )
    stall_act(
        org.rita,
        deals.rita.pk,
        "next_step",
        next_step="visit",
        next_step_on=when,
        version=opp_version(deals.rita.pk),
    )
    assert StallAction.objects.count() == 2


# --- API -----------------------------------------------------------------------------------------


def test_api_lists_stalled_deals_with_counts_and_reasons(client, org, deals, token_for):
    response = client.get("/api/reports/stalled?page_size=2", **token_for(org.dora))
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {
        "total": 3,
        "stage_time": 1,
        "no_activity": 1,
        "close_passed": 1,
        "close_pushed": 0,
    }
    assert (body["count"], body["pages"], body["page_size"], len(body["items"])) == (3, 2, 2, 2)
    assert body["scope"]["kind"] == "all" and body["policy"] == {
        "factor": "1.5",
        "no_activity_days": 30,
        "close_pushes": 2,
    }
    first = body["items"][0]
    assert first["opportunity"]["id"] == deals.nick.pk and first["owner"]["username"] == "nick"
    assert first["reasons"] == [
        {
            "code": "no_activity",
            "label": "No customer activity",
            "text": "No customer activity since it was created 40 days ago",
            "value": 40,
            "threshold": "30",
            "standard_days": None,
            "since": (today() - timedelta(days=9)).isoformat(),
            "never": True,
        }
    ]
    assert (
        first["days_stalled"] == 10 and first["last_action"] is None and first["stage"]["standard_days"] == 14
    )
    rita = client.get(
        f"/api/reports/stalled?reason=stage_time&owner_id={org.rita.pk}", **token_for(org.mona)
    ).json()
    assert [i["opportunity"]["id"] for i in rita["items"]] == [deals.rita.pk]
    assert rita["items"][0]["reasons"][0]["text"] == "30 days in stage, standard 14"


def test_api_refuses_scopes_out_of_reach_and_bad_filters(client, org, deals, token_for):
    assert client.get(f"/api/reports/stalled?unit_id={org.s1.pk}", **token_for(org.dora)).status_code == 404
    assert client.get(f"/api/reports/stalled?owner_id={org.tom.pk}", **token_for(org.rita)).status_code == 404
    assert client.get("/api/reports/stalled?reason=bogus", **token_for(org.dora)).status_code == 422
    assert client.get("/api/reports/stalled").status_code == 401


def test_api_records_an_outcome(client, org, deals, token_for):
    url = f"/api/opportunities/{deals.tom.pk}/stall-action"
    when = (today() + timedelta(days=5)).isoformat()
    response = client.post(
        url,
        {
            "outcome": "next_step",
            "next_step": "Site visit",
            "next_step_on": when,
            "activity_kind": "visit",
            "version": deals.tom.version,
        },
        content_type="application/json",
        **token_for(org.tom),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["outcome"] == "next_step"
        and body["next_step_on"] == when
        and body["acted_by"]["username"] == "tom"
    )
    assert (
        body["reasons"][0]["code"] == "close_passed"
        and body["opportunity"]["version"] == deals.tom.version + 1
    )
    assert body["opportunity_next_step"] == f"{when}: Site visit"
    stale = client.post(
        url,
        {
            "outcome": "close_lost",
            "loss_reason_id": LossReason.objects.first().pk,
            "version": deals.tom.version,
        },
        content_type="application/json",
        **token_for(org.tom),
    )
    assert stale.status_code == 409
    healthy = client.post(
        f"/api/opportunities/{deals.healthy.pk}/stall-action",
        {
            "outcome": "close_lost",
            "loss_reason_id": LossReason.objects.first().pk,
            "version": deals.healthy.version,
        },
        content_type="application/json",
        **token_for(org.rita),
    )
    assert healthy.status_code == 422 and healthy.json()["code"] == "not_stalled"
    hidden = client.post(
        url,
        {"outcome": "close_lost", "loss_reason_id": 1, "version": 1},
        content_type="application/json",
        **token_for(org.sara),
    )
    assert hidden.status_code == 404
    unknown = client.post(
        url, {"outcome": "close_lost", "extra": 1}, content_type="application/json", **token_for(org.tom)
    )
    assert unknown.status_code == 422
    missing = client.post(
        url,
        {"outcome": "close_lost", "loss_reason_id": LossReason.objects.first().pk},
        content_type="application/json",
        **token_for(org.tom),
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["body", "version"]
    assert StallAction.objects.count() == 1


# --- page and export -----------------------------------------------------------------------------


def test_the_page_shows_counts_rows_reasons_and_outcome_forms(client, org, deals):
    client.force_login(org.dora)
    response = client.get(reverse("stalled_deals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="stalled-count-total"' in html and 'data-testid="stalled-unit"' in html
    assert html.count('data-testid="stalled-row"') == 3
    assert (
        "30 days in stage, standard 14" in html and "Close date passed 3 days ago" in html and "1.5 ×" in html
    )
    assert f'data-testid="stall-act-{deals.rita.pk}"' in html and 'name="loss_reason_id"' in html
    unit_select = html.split('data-testid="stalled-unit"')[1].split("</select>")[0]
    assert f'value="{org.n2.pk}"' in unit_select and f'value="{org.s1.pk}"' not in unit_select  # out of reach
    filtered = client.get(reverse("stalled_deals"), {"reason": "no_activity"}).content.decode()
    assert filtered.count('data-testid="stalled-row"') == 1
    client.force_login(org.rita)
    mine = client.get(reverse("stalled_deals")).content.decode()
    assert mine.count('data-testid="stalled-row"') == 1 and 'data-testid="stalled-unit"' not in mine
    assert client.get(reverse("stalled_deals"), {"unit_id": org.n1.pk}).status_code == 404


def test_the_page_records_an_outcome_and_returns_to_the_list(client, org, deals):
    client.force_login(org.mona)
    when = today() + timedelta(days=4)
    response = client.post(
        reverse("stalled_deal_act", args=[deals.rita.pk]),
        {
            "outcome": "next_step",
            "next_step": "Demo for IT",
            "next_step_on": when.isoformat(),
            "activity_kind": "demo",
            "version": deals.rita.version,
            "reason": "stage_time",
            "page": "1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("stalled_deals") + "?reason=stage_time&page=1"
    assert StallAction.objects.get().next_step_on == when
    html = client.get(response["Location"]).content.decode()
    assert "Demo for IT" in html  # the last action is shown on the row (still too long in stage)
    failed = client.post(
        reverse("stalled_deal_act", args=[deals.tom.pk]),
        {
            "outcome": "downgrade",
            "version": deals.tom.version,
            "stage_id": Stage.objects.get(template=deals.tom.template, order=4).pk,
        },
    )
    assert failed.status_code == 303 and failed["Location"] == reverse("stalled_deals")  # post-redirect-get
    failed = client.get(failed["Location"])
    assert failed.status_code == 422 and 'data-testid="stall-error"' in failed.content.decode()
    assert client.get(reverse("stalled_deals")).status_code == 200  # shown once
    assert StallAction.objects.count() == 1
    assert (
        client.post(
            reverse("stalled_deal_act", args=[deals.sara.pk]),
            {"outcome": "close_lost", "loss_reason_id": 1, "version": 1},
        ).status_code
        == 404
    )


def test_the_page_reads_a_fixed_number_of_queries(client, org, deals, django_assert_max_num_queries):
    client.force_login(org.mona)
    stall_act(
        org.mona,
        deals.rita.pk,
        "next_step",
        next_step="call",
        next_step_on=today() + timedelta(days=2),
        version=opp_version(deals.rita.pk),
    )
    with django_assert_max_num_queries(14) as few:
        assert client.get(reverse("stalled_deals")).status_code == 200
    for n in range(8):
        new_deal(org, org.rita, org.account, f"stalled {n}", in_stage=40 + n, created=50)
    stall_act(
        org.rita,
        Opportunity.objects.get(name="stalled 0").pk,
        "next_step",
        next_step="call",
        next_step_on=today() + timedelta(days=2),
        version=opp_version(Opportunity.objects.get(name="stalled 0").pk),
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("stalled_deals"))
    assert response.content.decode().count('data-testid="stalled-row"') == 10


def test_the_export_holds_every_stalled_deal_with_formulas_neutralised(client, org, deals):
    Opportunity.objects.filter(pk=deals.nick.pk).update(name='=HYPERLINK("http://evil","x")')
    client.force_login(org.dora)
    response = client.get(reverse("stalled_deals"), {"format": "xlsx", "page_size": 1})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Opportunity" and len(rows) == 4
    assert rows[1][0] == '\'=HYPERLINK("http://evil","x")'
    assert rows[1][13] == "No customer activity since it was created 40 days ago"
    report, lines = stalled_export(org.rita)
    assert [row.opp.pk for row in lines] == [deals.rita.pk] and report.counts["total"] == 1
    client.force_login(org.rita)
    assert client.get(reverse("stalled_deals"), {"format": "xlsx", "unit_id": org.s1.pk}).status_code == 404
