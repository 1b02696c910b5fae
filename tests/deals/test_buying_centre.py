"""The buying centre of a deal (METHODOLOGY §4): services, the selector (last contact in SQL, query
count), the API and the page, with the personas of conftest: rita owns the deal, tom is put on its
deal team, mona manages north-1, dora directs north, nick (north-2) and sven (south) are outsiders."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.activities.services import activity_create
from kadence.core.errors import Conflict, NotFound, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.deals.models import BuyingCentreMember, ControlPolicy
from kadence.deals.selectors import buying_centre as selectors
from kadence.deals.services import buying_centre as services
from kadence.pipeline import services as pipeline
from kadence.pipeline.models import DealRole, ExitCriterion, Opportunity, Stage
from tests.versions import opp_version

TODAY = timezone.localdate  # called in each test: a run may cross midnight


@pytest.fixture
def bc(org):
    """Four contacts at rita's account (their records carry roles, attitude, influence) and tom on
    the deal team."""
    acct = org.account
    org.wang = Contact.objects.create(
        account=acct,
        name="王总",
        title="总经理",
        buying_roles=["economic"],
        attitude="support",
        influence="high",
    )
    org.li = Contact.objects.create(
        account=acct, name="李工", title="信息中心主任", buying_roles=["technical"]
    )
    org.zhao = Contact.objects.create(
        account=acct, name="赵处", buying_roles=["user_buyer"], attitude="oppose", influence="high"
    )
    org.chen = Contact.objects.create(
        account=acct, name="陈经理", buying_roles=["coach"], attitude="support", influence="low"
    )
    org.sara_contact = Contact.objects.create(account=org.sara_account, name="王经理")
    pipeline.opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    return org


def audit_lines(opp):
    return list(
        AuditEntry.objects.filter(entity="pipeline.opportunity", entity_id=opp.pk, field="buying_centre")
        .order_by("id")
        .values_list("old_value", "new_value")
    )


# --- services ----------------------------------------------------------------------------------


def test_add_copies_roles_attitude_influence_from_the_contact_and_audits(bc):
    member = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.wang.pk)
    assert (member.roles, member.attitude, member.influence, member.is_key) == (
        ["economic"],
        "support",
        "high",
        False,
    )
    assert member.added_by == bc.rita and member.version == 1
    assert audit_lines(bc.opp) == [("", "王总: economic; support; high")]


def test_add_with_explicit_values_overrides_the_contact(bc):
    last = TODAY() - timedelta(days=3)
    member = services.buying_centre_add(
        bc.rita,
        bc.opp.pk,
        contact_id=bc.li.pk,
        roles=["technical", "coach", "coach"],
        attitude="support",
        influence="high",
        is_key=True,
        last_contact_on=last,
        note="  懂行  ",
    )
    assert (member.roles, member.attitude, member.influence, member.is_key) == (
        ["technical", "coach"],
        "support",
        "high",
        True,
    )
    assert (member.last_contact_on, member.note) == (last, "懂行")


def test_add_refuses_other_accounts_invisible_contacts_duplicates_and_bad_values(bc):
    other = Contact.objects.create(account=pipeline_account(bc), name="外人")
    with pytest.raises(ValidationFailed) as exc:
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=other.pk)
    assert "contact_id" in exc.value.errors
    with pytest.raises(NotFound):
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.sara_contact.pk)
    services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.wang.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.wang.pk)
    assert exc.value.code == "already_member"
    with pytest.raises(ValidationFailed) as exc:
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.li.pk, roles=["boss"])
    assert "roles" in exc.value.errors
    with pytest.raises(ValidationFailed):
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.li.pk, attitude="hostile")
    with pytest.raises(ValidationFailed) as exc:
        services.buying_centre_add(
            bc.rita, bc.opp.pk, contact_id=bc.li.pk, last_contact_on=TODAY() + timedelta(days=1)
        )
    assert "last_contact_on" in exc.value.errors
    assert BuyingCentreMember.objects.filter(opportunity=bc.opp).count() == 1


def pipeline_account(org):
    """Another account of rita's (she sees its contacts, but they are not the deal's)."""
    from kadence.accounts.services import account_create

    return account_create(org.rita, name="江苏移动", industry_id=org.industry.pk, region_id=org.north.pk)


def test_update_with_version_and_stale_version_conflicts(bc):
    member = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.zhao.pk)
    updated = services.buying_centre_update(
        bc.tom, bc.opp.pk, member.pk, version=1, attitude="neutral", last_contact_on=TODAY(), is_key=True
    )
    assert (updated.attitude, updated.is_key, updated.version) == ("neutral", True, 2)
    with pytest.raises(Conflict):
        services.buying_centre_update(bc.rita, bc.opp.pk, member.pk, version=1, attitude="support")
    with pytest.raises(ValidationFailed):
        services.buying_centre_update(
            bc.rita, bc.opp.pk, member.pk, version=2, last_contact_on=TODAY() + timedelta(1)
        )
    with pytest.raises(ValidationFailed):
        services.buying_centre_update(bc.rita, bc.opp.pk, member.pk, version=2, contact_id=bc.li.pk)
    member.refresh_from_db()
    assert (member.attitude, member.version) == ("neutral", 2)
    assert audit_lines(bc.opp)[-1] == (
        "赵处: user_buyer; oppose; high",
        f"赵处: user_buyer; neutral; high; key; {TODAY().isoformat()}",
    )


def test_remove_and_members_of_other_deals_are_not_found(bc):
    member = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.chen.pk)
    sara_member = services.buying_centre_add(bc.sara, bc.sara_opp.pk, contact_id=bc.sara_contact.pk)
    with pytest.raises(NotFound):
        services.buying_centre_remove(bc.rita, bc.opp.pk, sara_member.pk)
    with pytest.raises(NotFound):
        services.buying_centre_update(bc.rita, bc.opp.pk, sara_member.pk, version=1, note="x")
    services.buying_centre_remove(bc.rita, bc.opp.pk, member.pk)
    assert not BuyingCentreMember.objects.filter(pk=member.pk).exists()
    assert Contact.objects.filter(pk=bc.chen.pk).exists()
    assert audit_lines(bc.opp)[-1] == ("陈经理: coach; support; low", "")


@pytest.mark.parametrize("name", ["rita", "tom", "mona", "dora", "ada"])
def test_writers_deal_team_and_managers_in_scope_may_change_it(bc, name):
    user = getattr(bc, name)
    member = services.buying_centre_add(user, bc.opp.pk, contact_id=bc.li.pk)
    services.buying_centre_update(user, bc.opp.pk, member.pk, version=1, influence="low")
    services.buying_centre_remove(user, bc.opp.pk, member.pk)


@pytest.mark.parametrize("name", ["nick", "sara", "sam", "sven"])
def test_outsiders_get_not_found(bc, name):
    user = getattr(bc, name)
    member = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.li.pk)
    with pytest.raises(NotFound):
        selectors.buying_centre(user, bc.opp.pk, TODAY())
    with pytest.raises(NotFound):
        services.buying_centre_add(user, bc.opp.pk, contact_id=bc.wang.pk)
    with pytest.raises(NotFound):
        services.buying_centre_update(user, bc.opp.pk, member.pk, version=1, note="x")
    with pytest.raises(NotFound):
        services.buying_centre_remove(user, bc.opp.pk, member.pk)


def test_closed_deals_may_still_be_corrected(bc):
    from kadence.pipeline.models import LossReason

    pipeline.opportunity_close_lost(
        bc.rita, bc.opp.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(bc.opp.pk)
    )
    member = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.zhao.pk)
    services.buying_centre_update(bc.rita, bc.opp.pk, member.pk, version=1, note="他投了反对票")
    assert Opportunity.objects.get(pk=bc.opp.pk).status == Opportunity.Status.LOST


def test_changes_recheck_the_gates_a_coach_requirement_lifts_the_level(bc, no_gates):
    stages = list(Stage.objects.filter(template=bc.opp.template).order_by("order"))
    pipeline.opportunity_move_stage(bc.rita, bc.opp.pk, stage_id=stages[2].pk, version=opp_version(bc.opp.pk))
    assert Opportunity.objects.get(pk=bc.opp.pk).level.code == "C"
    ExitCriterion.objects.create(
        stage=stages[0],
        order=9,
        code="coach_known",
        kind="assessment",
        config={"assessment": "buying_centre", "roles": ["coach"]},
        name_zh="找到教练",
        name_en="Coach found",
    )
    services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.li.pk)
    assert Opportunity.objects.get(pk=bc.opp.pk).level.code == "I"  # the first gate is not met any more
    coach = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.chen.pk)
    assert Opportunity.objects.get(pk=bc.opp.pk).level.code == "C"
    services.buying_centre_update(bc.rita, bc.opp.pk, coach.pk, version=1, attitude="oppose")
    assert Opportunity.objects.get(pk=bc.opp.pk).level.code == "I"
    services.buying_centre_update(bc.rita, bc.opp.pk, coach.pk, version=2, attitude="neutral")
    services.buying_centre_remove(bc.rita, bc.opp.pk, coach.pk)
    assert Opportunity.objects.get(pk=bc.opp.pk).level.code == "I"


# --- selector ----------------------------------------------------------------------------------


def log(org, contact, days_ago, *, done=True, opp=None):
    return activity_create(
        org.rita,
        account_id=org.account.pk,
        opportunity_id=opp.pk if opp else None,
        kind="visit",
        subject="拜访",
        date=TODAY() - timedelta(days=days_ago),
        done=done,
        contact_ids=[contact.pk],
    )


def test_last_contact_is_the_later_of_typed_and_done_activities_on_any_deal(bc):
    other_opp = pipeline.opportunity_create(
        bc.rita,
        account_id=bc.account.pk,
        name="二期",
        amount="1",
        expected_close_date=TODAY() + timedelta(days=30),
    )
    wang = services.buying_centre_add(
        bc.rita, bc.opp.pk, contact_id=bc.wang.pk, last_contact_on=TODAY() - timedelta(days=40)
    )
    li = services.buying_centre_add(
        bc.rita, bc.opp.pk, contact_id=bc.li.pk, last_contact_on=TODAY() - timedelta(days=2)
    )
    zhao = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.zhao.pk)
    chen = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.chen.pk)
    log(bc, bc.wang, 5, opp=other_opp)  # done, on another deal: counts
    log(bc, bc.wang, 9)
    log(bc, bc.wang, 1, done=False)  # planned: does not count
    log(bc, bc.li, 20)  # older than the typed date
    log(bc, bc.chen, 45)
    view = selectors.buying_centre(bc.rita, bc.opp.pk, TODAY())
    rows = {r.member.pk: r for r in view.members}
    assert (rows[wang.pk].last_contact, rows[wang.pk].days_since, rows[wang.pk].stale) == (
        TODAY() - timedelta(days=5),
        5,
        False,
    )
    assert (rows[li.pk].last_contact, rows[li.pk].days_since) == (TODAY() - timedelta(days=2), 2)
    assert (rows[zhao.pk].last_contact, rows[zhao.pk].days_since, rows[zhao.pk].stale) == (None, None, True)
    assert (rows[chen.pk].last_contact, rows[chen.pk].days_since, rows[chen.pk].stale) == (
        TODAY() - timedelta(days=45),
        45,
        True,
    )
    # as of an earlier day, later activities are not seen yet
    past = selectors.buying_centre(bc.rita, bc.opp.pk, TODAY() - timedelta(days=7))
    assert {r.member.pk: r.last_contact for r in past.members}[wang.pk] == TODAY() - timedelta(days=9)


def test_coverage_and_red_flags_follow_the_policy(bc):
    for contact in (bc.wang, bc.li, bc.zhao, bc.chen):
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=contact.pk)
    log(bc, bc.wang, 3)
    view = selectors.buying_centre(bc.rita, bc.opp.pk, TODAY())
    assert (view.coverage.covered_count, view.coverage.required_count, view.coverage.percent) == (3, 4, 75)
    assert [(r.code, r.covered) for r in view.roles] == [
        ("economic", True),
        ("technical", True),
        ("user_buyer", False),
        ("coach", True),
    ]
    zhao = BuyingCentreMember.objects.get(opportunity=bc.opp, contact=bc.zhao)
    assert [(f.code, f.flag.member_id) for f in view.red_flags] == [
        ("high_influence_opponent", zhao.pk),
        ("key_contact_never_met", zhao.pk),
    ]
    assert "赵处" in view.red_flags[0].message
    policy = ControlPolicy.current()
    policy.required_buying_roles = ["economic", "coach"]
    policy.contact_stale_days = 2
    policy.save()
    view = selectors.buying_centre(bc.rita, bc.opp.pk, TODAY())
    assert view.coverage.percent == 100
    assert [f.code for f in view.red_flags] == [
        "high_influence_opponent",
        "key_contact_stale",
        "key_contact_never_met",
    ]
    grid = dict(view.grid())
    assert [r.contact.name for r in dict(grid["high"])["support"]] == ["王总"]
    assert [r.contact.name for r in dict(grid["high"])["oppose"]] == ["赵处"]


def test_selector_reads_in_a_fixed_number_of_queries(bc):
    services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.wang.pk)
    log(bc, bc.wang, 3)
    user = type(bc.rita).objects.get(pk=bc.mona.pk)  # a fresh manager: the scope is not cached yet
    with CaptureQueriesContext(connection) as one:
        selectors.buying_centre(user, bc.opp.pk, TODAY())
    for contact in (bc.li, bc.zhao, bc.chen):
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=contact.pk)
        log(bc, contact, 4)
    user = type(bc.rita).objects.get(pk=bc.mona.pk)
    with CaptureQueriesContext(connection) as four:
        view = selectors.buying_centre(user, bc.opp.pk, TODAY())
    assert len(view.members) == 4 and all(r.last_contact for r in view.members)
    # the manager's scope (2), the deal, the policy, the members with contacts and last contact
    assert len(one) == len(four) == 5


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
        return response.json() if response.status_code != 204 else None


@pytest.fixture
def api(token_for):
    return Api(token_for)


def url(opp, member_id=None):
    return f"/api/opportunities/{opp.pk}/buying-centre" + (f"/{member_id}" if member_id else "")


def test_api_get_post_patch_delete(bc, api):
    body = api("get", url(bc.opp), bc.rita)
    assert body["members"] == [] and body["coverage"] == {
        "required": 4,
        "covered": 0,
        "ratio": 0.0,
        "percent": 0,
    }
    assert [f["code"] for f in body["red_flags"]] == ["no_economic_buyer", "no_coach"]
    created = api("post", url(bc.opp), bc.tom, {"contact_id": bc.wang.pk, "is_key": True}, expect=201)
    assert created["contact"] == {"id": bc.wang.pk, "name": "王总", "title": "总经理"}
    assert [r["code"] for r in created["roles"]] == ["economic"] and created["roles"][0]["label"]
    assert (created["attitude"], created["influence"], created["is_key"], created["version"]) == (
        "support",
        "high",
        True,
        1,
    )
    assert (created["last_contact"], created["stale"], created["is_key_contact"]) == (None, True, True)
    changed = api(
        "patch",
        url(bc.opp, created["id"]),
        bc.rita,
        {"version": 1, "roles": ["economic", "decision_maker"], "last_contact_on": TODAY().isoformat()},
    )
    assert changed["version"] == 2 and changed["days_since_contact"] == 0 and changed["stale"] is False
    stale = api("patch", url(bc.opp, created["id"]), bc.rita, {"version": 1, "note": "x"}, expect=409)
    assert stale["code"] == "conflict" and stale["current_version"] == 2
    cleared = api("patch", url(bc.opp, created["id"]), bc.rita, {"version": 2, "last_contact_on": None})
    assert cleared["last_contact_on"] is None
    body = api("get", url(bc.opp), bc.mona)
    assert body["coverage"]["covered"] == 1 and body["members"][0]["id"] == created["id"]
    assert [(r["code"], r["covered"]) for r in body["required_roles"]] == [
        ("economic", True),
        ("technical", False),
        ("user_buyer", False),
        ("coach", False),
    ]
    api("delete", url(bc.opp, created["id"]), bc.dora, expect=204)
    assert api("get", url(bc.opp), bc.rita)["members"] == []


def test_api_bad_input_answers_4xx(bc, api):
    assert (
        api("post", url(bc.opp), bc.rita, {"contact_id": bc.wang.pk, "roles": ["boss"]}, expect=422)["code"]
        == "validation_failed"
    )
    assert api("post", url(bc.opp), bc.rita, {"contact_id": bc.wang.pk, "extra": 1}, expect=422)
    assert (
        api("post", url(bc.opp), bc.rita, {"contact_id": bc.sara_contact.pk}, expect=404)["code"]
        == "not_found"
    )
    future = (TODAY() + timedelta(days=1)).isoformat()
    assert api(
        "post", url(bc.opp), bc.rita, {"contact_id": bc.wang.pk, "last_contact_on": future}, expect=422
    )
    created = api("post", url(bc.opp), bc.rita, {"contact_id": bc.wang.pk}, expect=201)
    assert (
        api("post", url(bc.opp), bc.rita, {"contact_id": bc.wang.pk}, expect=422)["code"] == "already_member"
    )
    assert api("patch", url(bc.opp, created["id"]), bc.rita, {"note": "no version"}, expect=422)
    assert api("patch", url(bc.opp, created["id"]), bc.rita, {"version": 1, "attitude": None}, expect=422)
    assert api("patch", url(bc.opp, 2**63 - 1), bc.rita, {"version": 1}, expect=404)
    assert api("delete", url(bc.sara_opp, created["id"]), bc.sara, expect=404)


def test_api_permissions(bc, api):
    created = api("post", url(bc.opp), bc.rita, {"contact_id": bc.wang.pk}, expect=201)
    for user in (bc.nick, bc.sven, bc.sam):
        api("get", url(bc.opp), user, expect=404)
        api("post", url(bc.opp), user, {"contact_id": bc.li.pk}, expect=404)
        api("patch", url(bc.opp, created["id"]), user, {"version": 1, "note": "x"}, expect=404)
        api("delete", url(bc.opp, created["id"]), user, expect=404)


# --- page --------------------------------------------------------------------------------------


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def page_url(opp, action="", member_id=None):
    if not action:
        return reverse("deal_buying_centre", args=[opp.pk])
    if action == "add":
        return reverse("deal_buying_centre_add", args=[opp.pk])
    return reverse(f"deal_buying_centre_{action}", args=[opp.pk, member_id])


def test_page_shows_the_map_coverage_flags_and_the_add_form(bc, browser):
    wang = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.wang.pk, last_contact_on=TODAY())
    zhao = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.zhao.pk)
    browser.force_login(bc.tom)
    response = browser.get(page_url(bc.opp))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/static/deals/deals.css"' in html
    assert f'data-testid="bc-card-{wang.pk}"' in html and f'data-testid="bc-card-{zhao.pk}"' in html
    high_oppose = html.split('data-testid="bc-cell-high-oppose"')[1].split('data-testid="bc-cell-medium')[0]
    assert "赵处" in high_oppose and "王总" not in high_oppose
    assert "1 of 4 required roles covered" in html and "25 %" in html
    assert 'data-testid="bc-role-economic"' in html and 'class="unmet" data-testid="bc-role-coach"' in html
    assert 'data-testid="bc-flag-no_coach"' in html and "赵处 has high influence and opposes us." in html
    assert f'class="small bc-last bad" data-testid="bc-last-{zhao.pk}"' in html  # never met: in red
    assert f'class="small bc-last" data-testid="bc-last-{wang.pk}"' in html
    add_form = html.split('data-testid="bc-add-form"')[1].split("</form>")[0]
    assert (
        "李工" in add_form and "陈经理" in add_form and "王总" not in add_form
    )  # only those not on the deal
    assert "王经理" not in html  # another region's contact


def test_page_add_edit_remove_round_trip(bc, browser):
    browser.force_login(bc.rita)
    response = browser.post(
        page_url(bc.opp, "add"),
        {
            "contact_id": bc.chen.pk,
            "roles": ["coach", "influencer"],
            "attitude": "",
            "influence": "",
            "is_key": "on",
            "last_contact_on": (TODAY() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"] == page_url(bc.opp)
    member = BuyingCentreMember.objects.get(opportunity=bc.opp, contact=bc.chen)
    assert (member.roles, member.attitude, member.influence, member.is_key) == (
        ["coach", "influencer"],
        "support",
        "low",
        True,
    )
    prefix = f"m{member.pk}"
    response = browser.post(
        page_url(bc.opp, "edit", member.pk),
        {
            f"{prefix}-version": 1,
            f"{prefix}-roles": ["coach"],
            f"{prefix}-attitude": "neutral",
            f"{prefix}-influence": "medium",
            f"{prefix}-note": "可靠",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.roles, member.attitude, member.influence, member.is_key, member.note, member.version) == (
        ["coach"],
        "neutral",
        "medium",
        False,
        "可靠",
        2,
    )
    followed = browser.get(page_url(bc.opp)).content.decode()
    assert "Buying centre updated." in followed
    response = browser.post(page_url(bc.opp, "remove", member.pk))
    assert response.status_code == 302 and not BuyingCentreMember.objects.filter(pk=member.pk).exists()


def test_page_errors_come_back_in_place(bc, browser):
    member = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.li.pk)
    browser.force_login(bc.rita)
    prefix = f"m{member.pk}"
    stale = browser.post(
        page_url(bc.opp, "edit", member.pk),
        {f"{prefix}-version": 7, f"{prefix}-attitude": "support", f"{prefix}-influence": "low"},
        follow=True,
    )
    assert stale.status_code == 409 and 'data-code="conflict"' in stale.content.decode()
    assert stale.redirect_chain == [(page_url(bc.opp), 303)]  # post-redirect-get
    shown = stale.content.decode().split(f'name="{prefix}-version"')[1][:40]
    assert 'value="1"' in shown  # the form shown again is based on the member as it is now
    future = browser.post(
        page_url(bc.opp, "edit", member.pk),
        {
            f"{prefix}-version": 1,
            f"{prefix}-attitude": "support",
            f"{prefix}-influence": "low",
            f"{prefix}-last_contact_on": (TODAY() + timedelta(days=3)).isoformat(),
        },
        follow=True,
    )
    html = future.content.decode()
    assert future.status_code == 422 and "Use today or an earlier date." in html
    assert '<details class="bc-edit" open>' in html
    duplicate = browser.post(page_url(bc.opp, "add"), {"contact_id": bc.li.pk}, follow=True)
    assert (
        duplicate.status_code == 422
        and "already in this deal&#x27;s buying centre" in duplicate.content.decode()
    )
    missing = browser.post(page_url(bc.opp, "add"), {}, follow=True)
    assert missing.status_code == 422
    member.refresh_from_db()
    assert member.version == 1


def test_page_visibility(bc, browser):
    member = services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.li.pk)
    browser.force_login(bc.nick)
    assert browser.get(page_url(bc.opp)).status_code == 404
    assert browser.post(page_url(bc.opp, "add"), {"contact_id": bc.wang.pk}).status_code == 404
    assert browser.post(page_url(bc.opp, "remove", member.pk)).status_code == 404
    browser.force_login(bc.dora)
    assert browser.get(page_url(bc.opp)).status_code == 200


def test_page_query_count_does_not_grow_with_members(bc, browser, django_assert_max_num_queries):
    services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=bc.wang.pk)
    browser.force_login(bc.rita)
    with CaptureQueriesContext(connection) as one:
        assert browser.get(page_url(bc.opp)).status_code == 200
    for contact in (bc.li, bc.zhao, bc.chen):
        services.buying_centre_add(bc.rita, bc.opp.pk, contact_id=contact.pk)
    with django_assert_max_num_queries(len(one)):
        assert browser.get(page_url(bc.opp)).status_code == 200
