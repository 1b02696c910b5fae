"""C139 and bid / no-bid over the API: shapes, 201 on save, 422 with field errors and nothing saved,
404 for a deal you cannot see, 403 for a viewer who may not contribute, and the query count of reads."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kadence.accounts.models import Contact
from kadence.deals.models import BidAssessment, C139Answer, C139Assessment
from kadence.pipeline.models import DealRole, Opportunity
from kadence.pipeline.services import opportunity_team_add


class Api:
    def __init__(self, token_for) -> None:
        self.client = Client()
        self.token_for = token_for
        self.headers: dict[int, dict[str, str]] = {}

    def _auth(self, user) -> dict[str, str]:
        if user.pk not in self.headers:
            self.headers[user.pk] = self.token_for(user)
        return self.headers[user.pk]

    def get(self, path, user, expect=200, **params):
        response = self.client.get(path, params, **self._auth(user))
        assert response.status_code == expect, (response.status_code, response.content[:1500])
        return response.json()

    def post(self, path, user, body, expect=201, raw=None):
        data = raw if raw is not None else json.dumps(body)
        response = self.client.post(path, data=data, content_type="application/json", **self._auth(user))
        assert response.status_code == expect, (response.status_code, response.content[:1500])
        return response.json()


@pytest.fixture
def api(token_for) -> Api:
    return Api(token_for)


@pytest.fixture
def coach(org):
    return Contact.objects.create(account=org.account, name="李工", buying_roles=["coach"])


def c139_url(opp) -> str:
    return f"/api/opportunities/{opp.pk}/c139"


def bid_url(opp) -> str:
    return f"/api/opportunities/{opp.pk}/bid"


def body(clear: int, first: int, win: str = "unknown", **extra) -> dict:
    answers = {f"C{i}": {"status": "confirmed" if i <= clear else "unknown"} for i in range(1, 10)}
    answers.update({f"F{i}": {"status": "confirmed" if i <= first else "unknown"} for i in range(1, 4)})
    answers["W1"] = {"status": win}
    for item, fields in extra.items():
        answers[item] = {**answers[item], **fields}
    return {"answers": answers}


BID = {
    "buyer_type": "government",
    "real_opportunity": 1,
    "can_compete": 1,
    "can_win": 1,
    "worth_winning": 0,
    "meets_minimum_spec": True,
    "outcome": "pursue",
}


def test_items_are_the_13_questions(api, org):
    items = api.get("/api/c139-items", org.rita)
    assert [i["code"] for i in items] == [f"C{i}" for i in range(1, 10)] + ["F1", "F2", "F3", "W1"]
    assert [i["tier"] for i in items].count("clear") == 9 and items[-1]["tier"] == "win"
    assert items[2]["name_zh"] == "客户的组织结构／主要成员共鸣点" and items[2]["name_en"].startswith(
        "Org structure"
    )


def test_c139_before_any_assessment(api, org):
    got = api.get(c139_url(org.opp), org.rita)
    assert got == {"rule": "8C1F0W", "latest": None, "history": [], "history_count": 0}


def test_c139_post_returns_201_with_answers_and_get_shows_latest_and_history(api, org, coach):
    when = (timezone.localdate() - timedelta(days=1)).isoformat()
    first = api.post(c139_url(org.opp), org.rita, body(9, 0))
    assert first["result"] == "9C0F0W" and first["meets_rule"] is False
    assert first["band"] == {"code": "developing", "low": "25.00", "high": "50.00", "label": "25–50%"}
    saved = api.post(
        c139_url(org.opp),
        org.rita,
        {
            **body(8, 1, C3={"confirmed_with_id": coach.pk, "confirmed_on": when, "note": "组织图"}),
            "note": "复核",
        },
    )
    assert saved["result"] == "8C1F0W" and saved["meets_rule"] is True and saved["note"] == "复核"
    assert saved["band"]["code"] == "rule_met" and saved["band"]["label"] == "≥ 60%"
    assert saved["assessed_by"]["username"] == "rita"
    assert [a["item"] for a in saved["answers"]][:3] == ["C1", "C2", "C3"] and len(saved["answers"]) == 13
    c3 = saved["answers"][2]
    assert c3 == {
        "item": "C3",
        "tier": "clear",
        "status": "confirmed",
        "confirmed_with": {"id": coach.pk, "name": "李工"},
        "confirmed_on": when,
        "note": "组织图",
    }
    got = api.get(c139_url(org.opp), org.mona)
    assert got["latest"]["id"] == saved["id"] and got["history_count"] == 2
    assert [h["result"] for h in got["history"]] == ["8C1F0W", "9C0F0W"] and "answers" not in got["history"][
        0
    ]
    assert [h["result"] for h in api.get(c139_url(org.opp), org.rita, limit=1)["history"]] == ["8C1F0W"]
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert opp.c139_result == "8C1F0W"


def test_w1_bands_through_the_api(api, org):
    assert api.post(c139_url(org.opp), org.rita, body(9, 3, "negative"))["band"]["label"] == "≤ 10%"
    assert api.post(c139_url(org.opp), org.rita, body(0, 0, "confirmed"))["band"]["label"] == "≥ 90%"


@pytest.mark.parametrize(
    "payload",
    [
        {"answers": {"C10": {"status": "confirmed"}}},
        {"answers": {"C1": {"status": "for"}}},
        {"answers": {"C1": {"status": "confirmed", "confirmed_on": "2999-01-01"}}},
        {"answers": {"C1": {"status": "confirmed", "confirmed_on": "not a date"}}},
        {"answers": {"C1": {"status": "confirmed", "confirmed_with_id": 0}}},
        {"answers": {"C1": {"status": "confirmed", "confirmed_with_id": 10**30}}},
        {"answers": {"C1": {"status": "confirmed", "confirmed_with_id": 987654}}},
        {"answers": {"C1": {"status": "confirmed", "colour": "red"}}},
        {"answers": {"C1": {"note": "x" * 501}}},
        {"answers": ["C1"]},
        {"answers": {}, "extra": 1},
        {"answers": {}, "note": "a\x00b"},
    ],
)
def test_c139_invalid_input_is_422_and_nothing_saved(api, org, payload):
    got = api.post(c139_url(org.opp), org.rita, payload, expect=422)
    assert got["code"] == "validation_failed" and got["detail"]
    assert got.get("errors")
    assert not C139Assessment.objects.exists() and not C139Answer.objects.exists()


def test_c139_unknown_item_is_named(api, org):
    got = api.post(c139_url(org.opp), org.rita, {"answers": {"W2": {"status": "confirmed"}}}, expect=422)
    assert "W2" in got["detail"] and "W2" in got["errors"]["answers"][0]


def test_c139_contact_of_another_account_is_422(api, org):
    other = Contact.objects.create(account=org.sara_account, name="王经理")
    got = api.post(c139_url(org.opp), org.rita, body(8, 1, C1={"confirmed_with_id": other.pk}), expect=422)
    assert "answers.C1.confirmed_with_id" in got["errors"]


def test_not_json_is_422(api, org):
    api.post(c139_url(org.opp), org.rita, None, expect=422, raw="{not json")
    api.post(bid_url(org.opp), org.rita, None, expect=422, raw="[1, 2")


def test_bid_post_and_get(api, org):
    first = api.post(bid_url(org.opp), org.rita, BID)
    assert (first["score"], first["suggested_outcome"], first["outcome"]) == (3, "pursue", "pursue")
    assert (
        first["buyer_type"] == "government"
        and first["meets_minimum_spec"] is True
        and first["overdue"] is False
    )
    second = api.post(bid_url(org.opp), org.rita, {**BID, "can_win": 0, "outcome": "qualify"})
    assert second["suggested_outcome"] == "qualify"
    assert second["qualify_by"] == (timezone.localdate() + timedelta(days=14)).isoformat()
    got = api.get(bid_url(org.opp), org.mona)
    assert got["latest"]["id"] == second["id"] and got["history_count"] == 2
    assert [h["outcome"] for h in got["history"]] == ["qualify", "pursue"]
    assert got["rules"] == {
        "pursue_min_score": 3,
        "abandon_max_score": -1,
        "abandon_min_signs": 2,
        "qualify_days": 14,
    }


def test_bid_before_any_decision(api, org):
    got = api.get(bid_url(org.opp), org.rita)
    assert got["latest"] is None and got["history"] == [] and got["history_count"] == 0


def test_bid_overdue_is_reported(api, org):
    api.post(bid_url(org.opp), org.rita, {**BID, "can_win": 0, "outcome": "qualify"})
    BidAssessment.objects.update(qualify_by=timezone.localdate() - timedelta(days=1))
    assert api.get(bid_url(org.opp), org.rita)["latest"]["overdue"] is True


def test_bid_decision_against_suggestion_needs_a_note(api, org):
    got = api.post(bid_url(org.opp), org.rita, {**BID, "can_win": -1}, expect=422)
    assert got["code"] == "note_required" and "note" in got["errors"]
    assert not BidAssessment.objects.exists()
    saved = api.post(bid_url(org.opp), org.rita, {**BID, "can_win": -1, "note": "客户高层明确支持"})
    assert (saved["suggested_outcome"], saved["outcome"]) == ("abandon", "pursue")


@pytest.mark.parametrize(
    "changes",
    [
        {"real_opportunity": 2},
        {"can_win": "-3"},
        {"worth_winning": None},
        {"buyer_type": "alien"},
        {"outcome": "maybe"},
        {"outcome": "qualify", "can_win": 0, "qualify_by": "2000-01-01"},
        {"outcome": "qualify", "can_win": 0, "qualify_by": "soon"},
        {"unknown_field": 1},
        {"note": "x" * 10001},
    ],
)
def test_bid_invalid_input_is_422_and_nothing_saved(api, org, changes):
    got = api.post(bid_url(org.opp), org.rita, {**BID, **changes}, expect=422)
    assert got["code"] == "validation_failed" and got["detail"]
    assert not BidAssessment.objects.exists()


def test_bid_missing_answers_are_422(api, org):
    payload = dict(BID)
    del payload["can_compete"]
    api.post(bid_url(org.opp), org.rita, payload, expect=422)
    assert not BidAssessment.objects.exists()


# --- who -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rita", "team_member", "mona", "dora"])
def test_who_may_assess(api, org, name):
    user = getattr(org, name) if name != "team_member" else org.tom
    if name == "team_member":
        opportunity_team_add(
            org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.get(code="presales").pk
        )
    assert api.post(c139_url(org.opp), user, body(8, 1))["assessed_by"]["username"] == user.username
    assert api.post(bid_url(org.opp), user, BID)["assessed_by"]["username"] == user.username
    assert api.get(c139_url(org.opp), user)["history_count"] == 1


@pytest.mark.parametrize("name", ["tom", "nick", "sara", "sven"])
def test_invisible_deal_is_404(api, org, name):
    user = getattr(org, name)
    for url in (c139_url(org.opp), bid_url(org.opp)):
        assert api.get(url, user, expect=404)["code"] == "not_found"
    api.post(c139_url(org.opp), user, body(8, 1), expect=404)
    api.post(bid_url(org.opp), user, BID, expect=404)
    api.get("/api/opportunities/999999/c139", org.ada, expect=404)
    assert not C139Assessment.objects.exists() and not BidAssessment.objects.exists()


def test_reads_use_a_fixed_number_of_queries(api, org, coach, django_assert_max_num_queries):
    for clear in range(2, 9):
        api.post(c139_url(org.opp), org.rita, body(clear, 1, C1={"confirmed_with_id": coach.pk}))
        api.post(bid_url(org.opp), org.rita, BID)
    api.get(c139_url(org.opp), org.mona)  # token lookup warmed
    with django_assert_max_num_queries(8):
        got = api.get(c139_url(org.opp), org.mona)
    assert got["history_count"] == 7 and got["latest"]["answers"][0]["confirmed_with"]["name"] == "李工"
    with django_assert_max_num_queries(6):
        assert len(api.get(bid_url(org.opp), org.mona)["history"]) == 7
