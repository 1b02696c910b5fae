"""The activity-quota and effort API (issue 13 §1, §8): attainment by scope, bad input 422, another team
404, the quota configuration (an admin's writes: 403 for others, 409 duplicate / stale)."""

from __future__ import annotations

import pytest
from django.test import Client

from kadence.core.models import AuditEntry
from kadence.rhythm.quotas.models import ActivityQuota
from tests.rhythm.quotas_world import MONDAY, build

pytestmark = pytest.mark.django_db
ATTAINMENT = "/api/rhythm/quotas/attainment"
CONFIG = "/api/rhythm/quotas/config"


@pytest.fixture
def call(token_for):
    client = Client()

    def go(method, path, user, body=None, **params):
        headers = token_for(user)
        if method == "get":
            return client.get(path, params, **headers)
        return getattr(client, method)(path, data=body, content_type="application/json", **headers)

    return go


def test_attainment_by_scope(org, call):
    build(org)
    answer = call("get", ATTAINMENT, org.mona, period="week", day=MONDAY.isoformat())
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["label"] == "2026-W49" and body["working_days"] == 5
    assert {r["name"] for r in body["reps"]} == {"Rita", "Tom", "Ivy"}
    rita = next(r for r in body["reps"] if r["name"] == "Rita")
    visits = next(c for c in rita["cells"] if c["metric"] == "effective_visits")
    assert visits == {"metric": "effective_visits", "actual": 3, "quota": "12.0", "gap": "9.0", "pct": "25.0"}
    assert [m["key"] for m in body["metrics"]][0] == "effective_visits" and body["metrics"][0]["definition"]
    assert len(body["trend"]) == 8 and body["regions"] == []
    assert (
        call("get", ATTAINMENT, org.dora, day=MONDAY.isoformat(), weeks=2).json()["regions"][0]["reps"] == 4
    )
    own = call("get", ATTAINMENT, org.rita, day=MONDAY.isoformat()).json()
    assert [r["name"] for r in own["reps"]] == ["Rita"]


@pytest.mark.parametrize(
    ("user", "params", "status"),
    [
        ("rita", {"period": "year"}, 422),
        ("rita", {"day": "2026-13-01"}, 422),
        ("rita", {"weeks": 0}, 422),
        ("rita", {"owner_id": "tom"}, 404),
        ("mona", {"owner_id": "sara"}, 404),
        ("mona", {"unit_id": "s1"}, 404),
        ("sam", {"unit_id": "n1"}, 404),
    ],
)
def test_attainment_refuses_bad_input_and_other_teams(org, call, user, params, status):
    params = {k: getattr(org, v).pk if k.endswith("_id") else v for k, v in params.items()}
    answer = call("get", ATTAINMENT, getattr(org, user), **params)
    assert answer.status_code == status, answer.content
    assert answer.json()["code"]


def test_the_quota_configuration_is_an_admins(org, call):
    listed = call("get", CONFIG, org.rita).json()
    assert {(q["role"], q["metric"]) for q in listed["items"]} == {
        ("rep", "effective_visits"),
        ("rep", "important_visits"),
        ("rep", "new_customers"),
    }
    assert len(call("get", CONFIG, org.ada).json()["items"]) == 5
    body = {"metric": "effective_visits", "per": "week", "amount": 10, "user_id": org.rita.pk}
    assert call("post", CONFIG, org.rita, body).status_code == 403
    assert call("post", CONFIG, org.mona, body).status_code == 403
    created = call("post", CONFIG, org.ada, body)
    assert created.status_code == 201, created.content
    quota = created.json()
    assert quota["user_id"] == org.rita.pk and quota["role"] == "" and quota["version"] == 1
    again = call("post", CONFIG, org.ada, body)
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert call("post", CONFIG, org.ada, {**body, "role": "rep"}).status_code == 422  # both
    assert call("post", CONFIG, org.ada, {**body, "metric": "naps"}).status_code == 422
    assert call("post", CONFIG, org.ada, {**body, "user_id": 999999}).status_code == 404
    path = f"{CONFIG}/{quota['id']}"
    changed = call("patch", path, org.ada, {"version": 1, "amount": 9})
    assert changed.status_code == 200 and changed.json()["amount"] == 9 and changed.json()["version"] == 2
    assert call("patch", path, org.ada, {"version": 1, "amount": 8}).status_code == 409
    assert call("patch", path, org.rita, {"version": 2, "amount": 20}).status_code == 403
    assert (
        AuditEntry.objects.filter(
            entity="rhythm.activityquota", entity_id=quota["id"], field="amount"
        ).count()
        == 2
    )
    assert call("delete", path + "?version=1", org.ada).status_code == 409
    assert call("delete", path + "?version=2", org.ada).status_code == 204
    assert not ActivityQuota.objects.filter(pk=quota["id"]).exists()
    assert call("patch", path, org.ada, {"version": 2, "amount": 8}).status_code == 404


def test_effort_api(org, call):
    build(org)
    body = call("get", "/api/rhythm/effort", org.mona, day=MONDAY.isoformat()).json()
    assert [c["key"] for c in body["columns"]] == [
        "activities",
        "effective_visits",
        "attainment",
        "plans_kept",  # from the weekly plans (kadence.rhythm.wiring)
        "cadence_on_time",  # from the 1-15-30 cadence
    ]
    assert body["sort"] == "attainment" and all(c["definition"] for c in body["columns"])
    rows = {r["name"]: r["values"] for r in body["reps"]}
    assert rows["Rita"]["activities"] == 5 and rows["Rita"]["effective_visits"] == 3
    # rita: min(25, 100), min(150, 100), min(250, 100) → 75.0
    assert rows["Rita"]["attainment"] == "75.0"
    (team,) = body["teams"]
    assert team["values"]["activities"] == 5 + 2 + 3 and team["reps"] == 3
    assert call("get", "/api/rhythm/effort", org.rita, period="year").status_code == 422
    assert [
        r["name"] for r in call("get", "/api/rhythm/effort", org.rita, day=MONDAY.isoformat()).json()["reps"]
    ] == ["Rita"]


def test_a_quota_amount_is_a_number_not_a_flag(client, org, token_for):
    """Found by the API fuzzing: `"amount": false` was read as 0 and stored."""
    body = {"metric": "new_customers", "per": "day", "amount": False, "user_id": org.rita.pk}
    answer = client.post(
        "/api/rhythm/quotas/config", body, content_type="application/json", **token_for(org.ada)
    )
    assert answer.status_code == 422
