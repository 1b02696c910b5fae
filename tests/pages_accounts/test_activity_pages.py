"""Activity pages: log from an account or an opportunity, edit, mark done, who may change what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from kadence.accounts.services import contact_create
from kadence.activities.models import Activity
from kadence.activities.services import activity_create
from tests.prg import refused_post

pytestmark = pytest.mark.django_db


def activity_data(**changes) -> dict:
    data = {
        "kind": "visit",
        "subject": "拜访信息中心主任",
        "date": date.today().isoformat(),
        "done": "on",
        "result": "found",
        "outcome": "确认了需求",
        "next_step": "发方案",
        "next_step_date": "",
    }
    data.update(changes)
    return data


def test_create_from_an_opportunity_preselects_its_account(org, login):
    contact = contact_create(org.rita, account_id=org.account.pk, name="周主任")
    contact_create(org.sara, account_id=org.sara_account.pk, name="别家的人")
    client = login(org.rita)
    page = client.get(reverse("activity_create"), {"opportunity": org.opp.pk})
    assert page.status_code == 200
    assert "国网江苏电力" in page.text
    assert f'name="account" value="{org.account.pk}"' in page.text
    assert f'<option value="{org.opp.pk}" selected>' in page.text
    assert "周主任" in page.text and "别家的人" not in page.text  # only this account's contacts

    response = client.post(
        reverse("activity_create") + f"?opportunity={org.opp.pk}",
        activity_data(account=org.account.pk, opportunity=org.opp.pk, contacts=[contact.pk]),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("opportunity_detail", args=[org.opp.pk])
    activity = Activity.objects.get(subject="拜访信息中心主任")
    assert (activity.account_id, activity.opportunity_id, activity.owner) == (
        org.account.pk,
        org.opp.pk,
        org.rita,
    )
    assert activity.is_effective and activity.done
    assert list(activity.contacts.all()) == [contact]


def test_create_from_an_account_and_without_one(org, login):
    client = login(org.rita)
    chooser = client.get(reverse("activity_create"))
    assert chooser.status_code == 200
    assert f"?account={org.account.pk}" in chooser.text and "广东移动" not in chooser.text
    response = client.post(
        reverse("activity_create") + f"?account={org.account.pk}",
        activity_data(account=org.account.pk, done="", kind="call_out", subject="约时间"),
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_detail", args=[org.account.pk]))
    activity = Activity.objects.get(subject="约时间")
    assert activity.opportunity is None and not activity.done


def test_invisible_account_or_opportunity_is_404(org, login):
    client = login(org.rita)
    assert client.get(reverse("activity_create"), {"account": org.sara_account.pk}).status_code == 404
    assert client.get(reverse("activity_create"), {"opportunity": org.sara_opp.pk}).status_code == 404
    response = client.post(reverse("activity_create"), activity_data(account=org.sara_account.pk))
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_service_errors_show_next_to_the_fields(org, login):
    today = date.today()
    response = refused_post(
        login(org.rita),
        reverse("activity_create"),
        activity_data(account=org.account.pk, next_step_date=(today - timedelta(days=3)).isoformat()),
        status=422,
        page=reverse("activity_create") + f"?account={org.account.pk}",  # the page of that account
    )
    assert 'value="拜访信息中心主任"' in response.text  # the input is kept
    field = response.text.split('id="id_next_step_date"')[1].split("</div>")[0]
    assert "errorlist" in field
    assert not Activity.objects.exists()


def test_rep_cannot_edit_another_reps_activity(on_deal_team, login):
    org = on_deal_team
    activity = activity_create(org.rita, opportunity_id=org.opp.pk, kind="meeting", subject="技术交流")
    tom = login(org.tom)  # on the deal team: sees the activity, may not change it
    listing = tom.get(reverse("activity_list")).text
    assert "技术交流" in listing and reverse("activity_edit", args=[activity.pk]) not in listing
    assert tom.get(reverse("activity_edit", args=[activity.pk])).status_code == 403
    response = tom.post(
        reverse("activity_edit", args=[activity.pk]), activity_data(subject="改了", version=activity.version)
    )
    assert response.status_code == 403
    assert tom.post(reverse("activity_done", args=[activity.pk]), {"version": 1}).status_code == 403
    assert login(org.nick).get(reverse("activity_edit", args=[activity.pk])).status_code == 404
    activity.refresh_from_db()
    assert activity.subject == "技术交流" and activity.version == 1


def test_owner_edits_and_stale_edit_conflicts(org, login):
    from kadence.activities.services import activity_update

    activity = activity_create(org.rita, account_id=org.account.pk, kind="visit", subject="初访")
    client = login(org.rita)
    page = client.get(reverse("activity_edit", args=[activity.pk]))
    assert page.status_code == 200 and 'name="version" value="1"' in page.text
    response = client.post(
        reverse("activity_edit", args=[activity.pk]), activity_data(subject="初访（已见面）", version=1)
    )
    assert response.status_code == 302
    activity_update(org.mona, activity.pk, version=2, outcome="经理补充")
    stale = refused_post(
        client,
        reverse("activity_edit", args=[activity.pk]),
        activity_data(subject="再改", version=2),
        status=409,
    )
    assert 'data-code="conflict"' in stale.text and "经理补充" in stale.text and 'value="再改"' in stale.text
    activity.refresh_from_db()
    assert (activity.subject, activity.outcome, activity.version) == ("初访（已见面）", "经理补充", 3)


def test_mark_done_with_htmx_and_without(org, login):
    planned = activity_create(
        org.rita,
        account_id=org.account.pk,
        kind="demo",
        subject="演示",
        done=False,
        date=date.today() + timedelta(days=2),
    )
    client = login(org.rita)
    listing = client.get(reverse("activity_list"), {"done": "0"}).text
    assert reverse("activity_done", args=[planned.pk]) in listing
    assert (
        client.get(reverse("activity_done", args=[planned.pk])).status_code == 405
    )  # no state change over GET

    response = client.post(
        reverse("activity_done", args=[planned.pk]), {"version": 1}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "<html" not in response.text and "ac-done" in response.text
    planned.refresh_from_db()
    assert planned.done and planned.version == 2

    other = activity_create(org.rita, account_id=org.account.pk, kind="visit", subject="回访", done=False)
    stale = client.post(reverse("activity_done", args=[other.pk]), {"version": 7}, HTTP_HX_REQUEST="true")
    assert stale.status_code == 409 and "alert" in stale.text
    other.refresh_from_db()
    assert not other.done

    back = reverse("account_detail", args=[org.account.pk])
    plain = client.post(reverse("activity_done", args=[other.pk]), {"version": 1, "next": back})
    assert plain.status_code == 302 and plain["Location"] == back
    evil = client.post(
        reverse("activity_done", args=[other.pk]), {"version": 2, "next": "https://evil.example/"}
    )
    assert evil["Location"] == reverse("activity_list")


def test_list_filters(org, login):
    today = date.today()
    activity_create(
        org.rita, account_id=org.account.pk, kind="visit", subject="老拜访", date=today - timedelta(days=40)
    )
    activity_create(org.rita, account_id=org.account.pk, kind="call_out", subject="新电话", date=today)
    activity_create(org.sara, account_id=org.sara_account.pk, kind="visit", subject="南方拜访", date=today)
    client = login(org.rita)
    everything = client.get(reverse("activity_list")).text
    assert "老拜访" in everything and "新电话" in everything and "南方拜访" not in everything
    visits = client.get(reverse("activity_list"), {"kind": "visit"}).text
    assert "老拜访" in visits and "新电话" not in visits
    recent = client.get(reverse("activity_list"), {"date_from": (today - timedelta(days=7)).isoformat()}).text
    assert "新电话" in recent and "老拜访" not in recent
    partial = client.get(
        reverse("activity_list"),
        {"owner": org.rita.pk, "done": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="activity-results",
    )
    assert "<html" not in partial.text and "新电话" in partial.text
    assert client.get(reverse("activity_list"), {"date_from": "garbage", "kind": "?"}).status_code == 200
    assert "南方拜访" in login(org.sven).get(reverse("activity_list")).text


def test_form_keeps_only_a_safe_next(org, login):
    client = login(org.rita)
    page = client.get(reverse("activity_create"), {"account": org.account.pk, "next": "javascript:alert(1)"})
    assert page.status_code == 200 and "javascript:" not in page.text
    back = reverse("account_detail", args=[org.account.pk])
    page = client.get(reverse("activity_create"), {"account": org.account.pk, "next": back})
    assert f'name="next" value="{back}"' in page.text


def test_overdue_planned_activity_is_flagged_on_the_account_page(org, login):
    activity_create(
        org.rita,
        account_id=org.account.pk,
        kind="visit",
        subject="逾期拜访",
        done=False,
        date=date.today() - timedelta(days=3),
    )
    page = login(org.rita).get(reverse("account_detail", args=[org.account.pk])).text
    assert 'class="ac-overdue"' in page and "逾期拜访" in page


def test_mark_done_without_js_refused_goes_back_with_a_message(org, login):
    """A missing version (a hand-made post) is refused by a redirect back with the message, not a
    page rendered at the POST address."""
    planned = activity_create(
        org.rita,
        account_id=org.account.pk,
        kind="demo",
        subject="演示",
        done=False,
        date=date.today() + timedelta(days=2),
    )
    client = login(org.rita, "en")
    response = client.post(reverse("activity_done", args=[planned.pk]), {"next": reverse("activity_list")})
    assert response.status_code == 302 and response["Location"] == reverse("activity_list")
    listing = client.get(response["Location"])
    assert "msg-error" in listing.text and "version" in listing.text.lower()
    planned.refresh_from_db()
    assert not planned.done


def test_a_refused_activity_from_an_opportunity_comes_back_to_that_opportunitys_form(org, login):
    client = login(org.rita)
    url = reverse("activity_create") + f"?opportunity={org.opp.pk}"
    shown = refused_post(
        client, url, activity_data(account=org.account.pk, opportunity=org.opp.pk, subject=""), status=422
    )
    assert shown.context["form"].errors["subject"] and f'<option value="{org.opp.pk}" selected>' in shown.text
    assert not Activity.objects.exists()
