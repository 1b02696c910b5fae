"""Authentication: bearer tokens for clients, the session (with CSRF) for the browser; the schema
and the docs page."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

from kadence.core.models import ApiToken


def test_no_token_is_401_json(api, org):
    body = api.get("/api/opportunities", None, expect=401)
    assert body["code"] == "not_authenticated" and body["detail"]
    assert api.last["WWW-Authenticate"].startswith("Bearer")
    body = api.post("/api/opportunities", None, {"name": "x"}, expect=401)
    assert body["code"] == "not_authenticated"


def test_wrong_or_revoked_token_is_refused(org):
    client = Client()
    assert client.get("/api/users/me", HTTP_AUTHORIZATION="Bearer kd_nonsense").status_code == 401
    assert client.get("/api/users/me", HTTP_AUTHORIZATION="Basic cml0YTpwdw==").status_code == 401
    assert client.get("/api/users/me", HTTP_AUTHORIZATION="Bearer " + "x" * 5000).status_code == 401
    row, token = ApiToken.issue(org.rita, "cli")
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/users/me", **header).json()["username"] == "rita"
    row.revoked = True
    row.save()
    response = client.get("/api/users/me", **header)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_token_of_a_deactivated_user_is_refused(org):
    _row, token = ApiToken.issue(org.tom)
    org.tom.is_active = False
    org.tom.save()
    assert Client().get("/api/users/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(org, django_assert_num_queries):
    row, token = ApiToken.issue(org.rita)
    client = Client()
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.get("/api/teams", **header)
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    with django_assert_num_queries(2):  # the token lookup and the list; no write
        client.get("/api/teams", **header)
    row.refresh_from_db()
    assert row.last_used_at == first
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/teams", **header)
    row.refresh_from_db()
    assert row.last_used_at > first - timedelta(seconds=1) and row.last_used_at <= timezone.now()


def test_session_auth_reads_and_needs_csrf_to_write(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rita)
    me = client.get("/api/users/me")
    assert me.status_code == 200 and me.json()["username"] == "rita"
    body = {"name": "新客户", "industry_id": org.industry.pk, "region_id": org.north.pk}
    refused = client.post("/api/accounts", json.dumps(body), content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert not org.Account.objects.filter(name="新客户").exists()
    secret = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    accepted = client.post(
        "/api/accounts", json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["owner"]["username"] == "rita"


def test_no_session_and_no_token_is_401_not_a_csrf_error(org):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/accounts", "{}", content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_bearer_token_needs_no_csrf(api, org):
    api.client = Client(enforce_csrf_checks=True)
    body = {"name": "新客户", "industry_id": org.industry.pk, "region_id": org.north.pk}
    api.post("/api/accounts", org.rita, body, expect=201)


def test_me_and_the_language_of_the_user(api, org):
    org.rita.language = "en"
    org.rita.save()
    me = api.get("/api/users/me", org.rita)
    assert me["role"] == "rep" and me["org_unit"]["code"] == "north-1" and me["language"] == "en"
    teams = api.get("/api/teams", org.rita)
    north = next(t for t in teams if t["code"] == "north")
    assert north["name"] == "north" and north["name_zh"] == "华北" and north["kind"] == "region"
    zh = api.get("/api/teams", org.tom)  # tom follows the default language (zh-hans)
    assert next(t for t in zh if t["code"] == "north")["name"] == "华北"


def test_unknown_api_path_is_a_json_404(api, org):
    body = api.get("/api/nothing-here", org.rita, expect=404)
    assert body == {"detail": body["detail"], "code": "not_found"}
    assert api.get("/api/opportunities/", None, expect=404)["code"] == "not_found"


def test_openapi_and_docs_load(org):
    client = Client()
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in (
        "/api/accounts",
        "/api/accounts/{account_id}",
        "/api/contacts",
        "/api/opportunities",
        "/api/opportunities/{opp_id}",
        "/api/opportunities/{opp_id}/move",
        "/api/opportunities/{opp_id}/history",
        "/api/opportunities/{opp_id}/audit",
        "/api/opportunities/{opp_id}/close-won",
        "/api/opportunities/{opp_id}/close-lost",
        "/api/opportunities/{opp_id}/reopen",
        "/api/opportunities/{opp_id}/reassign",
        "/api/opportunities/{opp_id}/team",
        "/api/activities",
        "/api/users",
        "/api/users/me",
        "/api/teams",
        "/api/templates",
        "/api/levels",
        "/api/product-lines",
        "/api/competitors",
        "/api/loss-reasons",
        "/api/deal-roles",
        "/api/industries",
    ):
        assert path in paths, path
    assert set(paths["/api/opportunities/{opp_id}"]) == {"get", "patch"}
    assert paths["/api/opportunities"]["get"]["description"]
    assert "ApiTokenAuth" in schema["components"]["securitySchemes"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content
