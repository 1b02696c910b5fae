"""The weekly plan API (/api/rhythm/plans…) and the visit log API (/api/rhythm/visits): every action,
who may do what, stale versions (409), bad input 4xx (never 500)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kadence.activities.models import Activity
from kadence.rhythm.plans.models import PlanItem, VisitAttachment
from tests.rhythm.plans_helpers import contact, next_monday, this_monday

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _open(client, headers, week=None):
    body = {"week_start": week.isoformat()} if week else {}
    return client.post("/api/rhythm/plans", body, content_type=JSON, **headers)


def test_the_plan_round_trip(client, token_for, org):
    rita = token_for(org.rita)
    r = _open(client, rita)
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["week_start"] == next_monday().isoformat() and plan["status"] == "draft"
    assert _open(client, rita).status_code == 200
    c = contact(org.account)
    item = {
        "version": plan["version"],
        "kind": "visit",
        "day": next_monday().isoformat(),
        "account_id": org.account.pk,
        "contact_ids": [c.pk],
        "opportunity_id": org.opp.pk,
        "goal": "确认技术方案",
    }
    r = client.post(f"/api/rhythm/plans/{plan['id']}/items", item, content_type=JSON, **rita)
    assert r.status_code == 201, r.content
    plan = r.json()
    row = plan["items"][0]
    assert row["contacts"][0]["id"] == c.pk and row["status"] == "missed" and plan["planned"] == 1
    # a stale plan version
    r = client.post(f"/api/rhythm/plans/{plan['id']}/items", item, content_type=JSON, **rita)
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = client.patch(
        f"/api/rhythm/plans/{plan['id']}/items/{row['id']}",
        {"version": row["version"], "goal": "新目标", "opportunity_id": None},
        content_type=JSON,
        **rita,
    )
    assert r.status_code == 200, r.content
    assert r.json()["items"][0]["goal"] == "新目标" and r.json()["items"][0]["opportunity"] is None
    r = client.post(
        f"/api/rhythm/plans/{plan['id']}/submit", {"version": r.json()["version"]}, content_type=JSON, **rita
    )
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    # the manager lists, reads and comments
    mona = token_for(org.mona)
    listed = client.get(f"/api/rhythm/plans?week={next_monday().isoformat()}", **mona).json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]] and listed["items"][0]["item_count"] == 1
    r = client.post(f"/api/rhythm/plans/{plan['id']}/comments", {"text": "好"}, content_type=JSON, **mona)
    assert r.status_code == 201 and r.json()["author"]["id"] == org.mona.pk
    assert client.get(f"/api/rhythm/plans/{plan['id']}", **rita).json()["comments"][0]["text"] == "好"
    # remove, with the version in the query
    item_version = PlanItem.objects.get(pk=row["id"]).version
    assert (
        client.delete(f"/api/rhythm/plans/{plan['id']}/items/{row['id']}?version=99", **rita).status_code
        == 409
    )
    assert (
        client.delete(
            f"/api/rhythm/plans/{plan['id']}/items/{row['id']}?version={item_version}", **rita
        ).status_code
        == 204
    )


def test_who_sees_and_acts(client, token_for, org):
    plan = _open(client, token_for(org.rita)).json()
    url = f"/api/rhythm/plans/{plan['id']}"
    for user, status in [
        (org.tom, 404),
        (org.sam, 404),
        (org.sven, 404),
        (org.mona, 200),
        (org.dora, 200),
        (org.ada, 200),
    ]:
        assert client.get(url, **token_for(user)).status_code == status, user.username
    body = {"version": plan["version"], "day": next_monday().isoformat(), "account_id": org.account.pk}
    assert client.post(f"{url}/items", body, content_type=JSON, **token_for(org.mona)).status_code == 403
    r = client.post(f"{url}/comments", {"text": "x"}, content_type=JSON, **token_for(org.rita))
    assert r.status_code == 403
    assert client.get("/api/rhythm/plans", **token_for(org.tom)).json()["count"] == 0
    assert client.get(url).status_code == 401


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"week_start": "2026-13-01"}),
        ("", {"week_start": "tuesday"}),
        ("", {"unknown": 1}),
        ("/{id}/items", {"version": 1}),
        ("/{id}/items", {"version": "x", "day": "2026-01-01", "account_id": 1}),
        ("/{id}/items", {"version": 1, "day": "2026-01-01", "account_id": 0}),
        ("/{id}/items", {"version": 1, "day": "{mon}", "account_id": 99999999}),
        ("/{id}/items", {"version": 1, "day": "{mon}", "account_id": "{account}", "kind": "fax"}),
        ("/{id}/items", {"version": 1, "day": "{mon}", "account_id": "{account}", "contact_ids": [0]}),
        ("/{id}/items", {"version": 1, "day": "{mon}", "account_id": "{account}", "goal": "\x00"}),
        ("/{id}/submit", {}),
        ("/{id}/comments", {"text": ""}),
        ("/{id}/comments", {"text": "x" * 2001}),
        ("/999999/submit", {"version": 1}),
    ],
)
def test_bad_input_answers_4xx(client, token_for, org, path, body):
    rita = token_for(org.rita)
    plan = _open(client, rita).json()
    text = {
        k: (v.replace("{mon}", next_monday().isoformat()) if isinstance(v, str) else v)
        for k, v in body.items()
    }
    if text.get("account_id") == "{account}":
        text["account_id"] = org.account.pk
    r = client.post(
        "/api/rhythm/plans" + path.replace("{id}", str(plan["id"])), text, content_type=JSON, **rita
    )
    assert 400 <= r.status_code < 500, r.content
    assert "code" in r.json() or "detail" in r.json()


@pytest.mark.parametrize("query", ["week=x", "owner_id=0", "page=0", "page_size=100000", "week=2026-02-30"])
def test_bad_list_queries_answer_422(client, token_for, org, query):
    assert client.get(f"/api/rhythm/plans?{query}", **token_for(org.rita)).status_code == 422


def test_log_a_visit_with_a_photo(client, token_for, org, settings):
    rita = token_for(org.rita)
    plan = _open(client, rita, this_monday()).json()
    client.post(
        f"/api/rhythm/plans/{plan['id']}/items",
        {"version": plan["version"], "day": this_monday().isoformat(), "account_id": org.account.pk},
        content_type=JSON,
        **rita,
    )
    c = contact(org.account)
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff" + b"0" * 100, content_type="image/jpeg")
    r = client.post(
        "/api/rhythm/visits",
        {
            "account_id": org.account.pk,
            "contact_ids": [c.pk],
            "opportunity_id": org.opp.pk,
            "result": "advanced",
            "outcome": "客户同意技术交流",
            "next_step": "发方案",
            "next_step_date": (this_monday() + timedelta(days=8)).isoformat(),
            "date": this_monday().isoformat(),
            "file": photo,
        },
        **rita,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    activity = Activity.objects.get(pk=body["activity"]["id"])
    assert activity.done and activity.result == "advanced" and activity.is_effective
    assert list(activity.contacts.all()) == [c] and activity.opportunity_id == org.opp.pk
    assert body["plan_item_id"] == PlanItem.objects.get(plan_id=plan["id"]).pk
    assert PlanItem.objects.get(plan_id=plan["id"]).fulfilled_by_id == activity.pk
    attachment = VisitAttachment.objects.get(activity=activity)
    assert attachment.size == 103 and body["attachments"][0]["url"]
    files = client.get(f"/api/rhythm/visits/{activity.pk}/attachments", **rita).json()
    assert files[0]["name"] == "现场.jpg"
    assert (
        client.get(f"/api/rhythm/visits/{activity.pk}/attachments", **token_for(org.sara)).status_code == 404
    )
    # the manager downloads it from the page; a stranger does not
    client.force_login(org.mona)
    assert client.get(files[0]["url"]).status_code == 200
    client.force_login(org.sara)
    assert client.get(files[0]["url"]).status_code == 404


@pytest.mark.parametrize(
    ("name", "size", "code"),
    [("big.jpg", 2048, "file_too_large"), ("virus.exe", 10, "file_type"), ("noext", 10, "file_type")],
)
def test_a_file_too_large_or_of_a_wrong_type_is_refused(client, token_for, org, settings, name, size, code):
    settings.KADENCE_VISIT_FILE_MAX_BYTES = 1024
    r = client.post(
        "/api/rhythm/visits",
        {"account_id": org.account.pk, "file": SimpleUploadedFile(name, b"x" * size)},
        **token_for(org.rita),
    )
    assert r.status_code == 422 and r.json()["code"] == code
    assert not Activity.objects.filter(owner=org.rita).exists()
    assert not VisitAttachment.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"account_id": "x"},
        {"account_id": "{sara}"},
        {"account_id": "{account}", "result": "great"},
        {"account_id": "{account}", "kind": "fax"},
        {"account_id": "{account}", "contact_ids": "{sara_contact}"},
        {"account_id": "{account}", "opportunity_id": "{sara_opp}"},
        {"account_id": "{account}", "date": "2999-01-01"},
        {"account_id": "{account}", "next_step_date": "2000-01-01"},
    ],
)
def test_visit_bad_input_answers_4xx(client, token_for, org, body):
    values = {
        "{sara}": org.sara_account.pk,
        "{account}": org.account.pk,
        "{sara_opp}": org.sara_opp.pk,
        "{sara_contact}": contact(org.sara_account).pk,
    }
    data = {k: values.get(v, v) for k, v in body.items()}
    r = client.post("/api/rhythm/visits", data, **token_for(org.rita))
    assert 400 <= r.status_code < 500, r.content
    assert not Activity.objects.filter(owner=org.rita).exists()
