"""Every error under /api/ is JSON {"detail", "code"}: from an API handler, from ninja (a method the
path does not take), from Django before ninja runs (a body it cannot parse, a bad Host header, a
failure in a middleware), and an unexpected exception (500, logged, without internals)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

import kadence.core.api as core_api


@pytest.fixture
def raw_client() -> Client:
    """A client that returns 500 answers instead of re-raising the exception behind them."""
    return Client(raise_request_exception=False)


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code and body["detail"], body
    return body


def test_a_method_the_path_does_not_take_answers_json_405(org, token_for, raw_client):
    response = raw_client.put("/api/users", data="{}", content_type="application/json", **token_for(org.rita))
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_multipart_body_without_boundary_answers_json_422(org, token_for, raw_client):
    response = raw_client.post(
        f"/api/opportunities/{org.opp.pk}/evidence",
        data=b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--x--\r\n',
        content_type="multipart/form-data",
        **token_for(org.rita),
    )
    body = assert_json_error(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body"]


def test_an_unexpected_error_answers_json_500_without_internals_and_is_logged(
    org, token_for, raw_client, monkeypatch, caplog
):
    def broken(user):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(core_api, "visible_units", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = raw_client.get("/api/teams", **token_for(org.rita))
    body = assert_json_error(response, 500, "server_error")
    assert "hunter2" not in response.content.decode() and "RuntimeError" not in str(body)
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert logged and logged[0].getMessage() == "Internal Server Error: /api/teams"


def test_the_test_client_still_raises_the_exception_behind_a_500(org, token_for, monkeypatch):
    """Handled as JSON, the exception is still signalled the way Django signals its own 500s."""

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(core_api, "visible_units", broken)
    with pytest.raises(RuntimeError, match="boom"):
        Client().get("/api/teams", **token_for(org.rita))


def test_a_request_django_refuses_before_ninja_answers_json_400(org, token_for, raw_client):
    response = raw_client.get("/api/users", HTTP_HOST="evil.example", **token_for(org.rita))
    assert_json_error(response, 400, "bad_request")


class ExplodingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RuntimeError("middleware failure")


def test_a_failure_in_a_middleware_answers_json_500_under_api_only(org, token_for, raw_client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ExplodingMiddleware"]
    assert_json_error(raw_client.get("/api/users", **token_for(org.rita)), 500, "server_error")
    page = raw_client.get("/login/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_json_errors_pass_unchanged(org, raw_client):
    response = raw_client.get("/api/users")
    body = assert_json_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="kadence"' and set(body) == {"detail", "code"}


def test_pages_keep_their_html_errors(org, raw_client):
    response = raw_client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
