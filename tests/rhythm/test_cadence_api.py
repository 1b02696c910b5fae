"""The cadence and debriefs over the API: create and list reviews, list items with filters, record
follow-ups and judgements (409 on a stale version, 403/404 for others), debriefs and their monthly
counts; bad input answers 4xx with detail and code, never a 500."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kadence.pipeline.models import LossReason, Opportunity
from kadence.rhythm.cadence.models import CadenceItem


@pytest.fixture
def call(token_for):
    client = Client()

    def do(method, path, user, body=None, **params):
        headers = token_for(user) if user is not None else {}
        if method == "get":
            return client.get(path, params, **headers)
        return getattr(client, method)(path, json.dumps(body), content_type="application/json", **headers)

    return do


def _review(call, user, **body):
    answer = call("post", "/api/rhythm/cadence/reviews", user, {"work_done": "Met the CIO", **body})
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_create_and_list_a_review(org, call):
    review = _review(call, org.mona, opportunity_id=org.opp.pk, progress="Tender in March")
    today = timezone.localdate()
    due = {item["kind"]: item["due_on"] for item in review["items"]}
    assert due == {
        "follow_up": (today + timedelta(days=15)).isoformat(),
        "judgement": (today + timedelta(days=30)).isoformat(),
    }
    assert review["rep"]["id"] == org.rita.pk and review["opportunity"]["id"] == org.opp.pk
    listed = call("get", "/api/rhythm/cadence/reviews", org.rita, opportunity_id=org.opp.pk).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == review["id"]
    assert call("get", "/api/rhythm/cadence/reviews", org.sam).json()["count"] == 0
    items = call("get", "/api/rhythm/cadence/items", org.rita, state="open").json()
    assert items["count"] == 2 and items["items"][0]["kind"] == "follow_up"
    assert items["items"][0]["subject_name"] == org.opp.name
    assert call("get", "/api/rhythm/cadence/items", org.rita, state="overdue").json()["count"] == 0
    summary = call("get", "/api/rhythm/cadence/summary", org.mona).json()
    assert summary["open"] == 2 and summary["items"][0]["rep_id"] == org.rita.pk


def test_record_a_follow_up_and_a_close_lost_judgement(org, call):
    review = _review(call, org.rita, opportunity_id=org.opp.pk)
    items = {item["kind"]: item for item in review["items"]}
    follow_up, judgement = items["follow_up"], items["judgement"]
    url = f"/api/rhythm/cadence/items/{follow_up['id']}/follow-up"
    stale = call("post", url, org.rita, {"note": "x", "version": 2})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    done = call("post", url, org.rita, {"note": "Called the CIO", "version": 1})
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["version"] == 2
    again = call("post", url, org.rita, {"note": "x", "version": 2})
    assert again.status_code == 409 and again.json()["code"] == "not_open"
    url = f"/api/rhythm/cadence/items/{judgement['id']}/judgement"
    assert call("post", url, org.tom, {"outcome": "stop", "version": 1}).status_code == 404
    missing = call("post", url, org.mona, {"outcome": "stop", "version": 1})
    assert missing.status_code == 422 and "loss_reason_id" in missing.json()["errors"]
    reason = LossReason.objects.first()
    stop = call(
        "post",
        url,
        org.mona,
        {"outcome": "stop", "loss_reason_id": reason.pk, "note": "No intent", "version": 1},
    )
    assert stop.status_code == 200 and stop.json()["outcome"] == "stop"
    assert Opportunity.objects.get(pk=org.opp.pk).status == "lost"


def test_continue_over_the_api(org, call):
    review = _review(call, org.rita, account_id=org.account.pk)
    judgement = next(i for i in review["items"] if i["kind"] == "judgement")
    url = f"/api/rhythm/cadence/items/{judgement['id']}/judgement"
    bad = call("post", url, org.rita, {"outcome": "continue", "version": 1})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"next_step", "next_step_on"}
    when = (timezone.localdate() + timedelta(days=4)).isoformat()
    ok = call(
        "post",
        url,
        org.rita,
        {"outcome": "continue", "next_step": "Site visit", "next_step_on": when, "version": 1},
    )
    assert ok.status_code == 200 and ok.json()["next_step_on"] == when


def test_who_may_review(org, call):
    assert (
        call(
            "post", "/api/rhythm/cadence/reviews", org.tom, {"opportunity_id": org.opp.pk, "work_done": "x"}
        ).status_code
        == 404
    )
    assert (
        call(
            "post", "/api/rhythm/cadence/reviews", org.sam, {"account_id": org.account.pk, "work_done": "x"}
        ).status_code
        == 404
    )
    assert (
        call(
            "post", "/api/rhythm/cadence/reviews", None, {"account_id": org.account.pk, "work_done": "x"}
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"work_done": "x"},
        {"opportunity_id": 1, "account_id": 1, "work_done": "x"},
        {"opportunity_id": 10**12, "work_done": "x"},
        {"opportunity_id": "abc", "work_done": "x"},
        {"account_id": 999999, "work_done": "x"},
        {"opportunity_id": 1, "work_done": "x", "reviewed_on": "2999-01-01"},
        {"opportunity_id": 1, "work_done": "x", "reviewed_on": "not a date"},
        {"opportunity_id": 1, "work_done": "\x00"},
        {"opportunity_id": 1, "work_done": "x", "unknown": 1},
        [],
    ],
)
def test_bad_review_input_is_4xx(org, call, body):
    body = json.loads(json.dumps(body).replace('"opportunity_id": 1,', f'"opportunity_id": {org.opp.pk},'))
    answer = call("post", "/api/rhythm/cadence/reviews", org.rita, body)
    assert 400 <= answer.status_code < 500, answer.content
    assert {"detail", "code"} <= set(answer.json())


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"outcome": "maybe", "version": 1},
        {"outcome": "continue", "version": 0},
        {"outcome": "continue", "version": "x"},
        {"outcome": "continue", "next_step": "x", "next_step_on": "1900-01-01", "version": 1},
        {"outcome": "stop", "loss_reason_id": 10**6, "version": 1},
        {"outcome": "downgrade", "version": 1, "activity_kind": "fax"},
    ],
)
def test_bad_judgement_input_is_4xx(org, call, body):
    review = _review(call, org.rita, opportunity_id=org.opp.pk)
    judgement = next(i for i in review["items"] if i["kind"] == "judgement")
    answer = call("post", f"/api/rhythm/cadence/items/{judgement['id']}/judgement", org.rita, body)
    assert 400 <= answer.status_code < 500, answer.content
    assert CadenceItem.objects.get(pk=judgement["id"]).status == "open"
    for path in ("/api/rhythm/cadence/items/0/judgement", "/api/rhythm/cadence/items/999999/follow-up"):
        assert call("post", path, org.rita, {"note": "x", "outcome": "stop", "version": 1}).status_code in (
            404,
            422,
        )


@pytest.mark.parametrize(
    "params",
    [{"state": "soon"}, {"rep_id": "x"}, {"page": 0}, {"page_size": 10**6}, {"kind": "x"}, {"review_id": -1}],
)
def test_bad_list_parameters_are_422(org, call, params):
    assert call("get", "/api/rhythm/cadence/items", org.rita, **params).status_code == 422


def test_debriefs_over_the_api(org, call):
    today = timezone.localdate()
    body = {
        "kind": "ride_along",
        "held_on": today.isoformat(),
        "rep_id": org.rita.pk,
        "opportunity_id": org.opp.pk,
        "customer_situation": "Budget approved",
        "rep_ability": "Good questions, weak on pricing",
        "coaching": "Price with value",
        "findings": "Needs a demo",
        "actions": "Demo by Friday",
    }
    assert call("post", "/api/rhythm/debriefs", org.rita, body).status_code == 403  # a rep records none
    assert call("post", "/api/rhythm/debriefs", org.sam, body).status_code == 403  # rita is not in his units
    created = call("post", "/api/rhythm/debriefs", org.mona, body)
    assert created.status_code == 201, created.content
    debrief = created.json()
    assert debrief["account"]["id"] == org.account.pk and debrief["manager"]["id"] == org.mona.pk
    assert call("get", f"/api/rhythm/debriefs/{debrief['id']}", org.rita).status_code == 200
    assert call("get", f"/api/rhythm/debriefs/{debrief['id']}", org.tom).status_code == 404
    assert call("get", f"/api/rhythm/debriefs/{debrief['id']}", org.sam).status_code == 404
    assert call("get", f"/api/rhythm/debriefs/{debrief['id']}", org.dora).status_code == 200
    patch = call(
        "patch", f"/api/rhythm/debriefs/{debrief['id']}", org.mona, {"findings": "Demo booked", "version": 1}
    )
    assert patch.status_code == 200 and patch.json()["version"] == 2
    stale = call("patch", f"/api/rhythm/debriefs/{debrief['id']}", org.mona, {"findings": "x", "version": 1})
    assert stale.status_code == 409
    assert (
        call(
            "patch", f"/api/rhythm/debriefs/{debrief['id']}", org.rita, {"findings": "x", "version": 2}
        ).status_code
        == 403
    )
    counts = call("get", "/api/rhythm/debriefs/counts", org.dora, year=today.year).json()
    assert counts == [
        {
            "manager_id": org.mona.pk,
            "manager": "Mona",
            "month": date(today.year, today.month, 1).isoformat(),
            "debriefs": 0,
            "ride_alongs": 1,
        }
    ]
    assert call("get", "/api/rhythm/debriefs/counts", org.dora, year="x").status_code == 422
    assert call("get", "/api/rhythm/debriefs", org.rita).json()["count"] == 1
    assert call("get", "/api/rhythm/debriefs", org.tom).json()["count"] == 0
    assert (
        call("post", "/api/rhythm/debriefs", org.mona, {**body, "held_on": "2999-01-01"}).status_code == 422
    )
    assert call("post", "/api/rhythm/debriefs", org.mona, {**body, "rep_id": org.mona.pk}).status_code == 403
