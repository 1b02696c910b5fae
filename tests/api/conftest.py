"""API test helpers: a JSON client that speaks as a persona (with a bearer token), and a few more
records on top of the shared `org` personas so that every level of the tree owns something."""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from kadence.core.models import User


class Api:
    """`api.get("/api/opportunities", as_=org.rita, status=1)` and so on: one bearer token per
    persona, JSON bodies, the decoded JSON back (and the status, checked when `expect` is given)."""

    def __init__(self, token_for) -> None:
        self.client = Client()
        self._token_for = token_for
        self._headers: dict[int, dict[str, str]] = {}
        self.last = None

    def headers(self, user: User | None) -> dict[str, str]:
        if user is None:
            return {}
        if user.pk not in self._headers:
            self._headers[user.pk] = self._token_for(user)
        return self._headers[user.pk]

    def call(
        self,
        method: str,
        path: str,
        as_: User | None,
        body: Any = None,
        *,
        expect: int | None = None,
        raw: str | None = None,
        **params: Any,
    ):
        kwargs: dict[str, Any] = dict(self.headers(as_))
        if method == "get":
            response = self.client.get(path, params, **kwargs)
        else:
            data = raw if raw is not None else (json.dumps(body) if body is not None else "")
            response = getattr(self.client, method)(
                path, data=data, content_type="application/json", **kwargs
            )
        self.last = response
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.content[:2000])
        if response.status_code == 204:
            return None
        return response.json()

    def get(self, path: str, as_: User | None, *, expect: int | None = 200, **params: Any):
        return self.call("get", path, as_, expect=expect, **params)

    def post(
        self,
        path: str,
        as_: User | None,
        body: Any = None,
        *,
        expect: int | None = None,
        raw: str | None = None,
    ):
        return self.call("post", path, as_, body, expect=expect, raw=raw)

    def patch(
        self,
        path: str,
        as_: User | None,
        body: Any = None,
        *,
        expect: int | None = None,
        raw: str | None = None,
    ):
        return self.call("patch", path, as_, body, expect=expect, raw=raw)

    def delete(self, path: str, as_: User | None, *, expect: int | None = None):
        return self.call("delete", path, as_, expect=expect)


@pytest.fixture
def api(token_for) -> Api:
    return Api(token_for)


@pytest.fixture
def world(org) -> SimpleNamespace:
    """`org` plus an account and an opportunity for tom (north-1) and for nick (north-2), a product
    line and two competitors."""
    from kadence.accounts.services import account_create
    from kadence.pipeline.models import Competitor, ProductLine
    from kadence.pipeline.services import opportunity_create

    close = date.today() + timedelta(days=45)
    org.tom_account = account_create(
        org.tom, name="北京地铁", industry_id=org.industry.pk, region_id=org.north.pk
    )
    org.tom_opp = opportunity_create(
        org.tom, account_id=org.tom_account.pk, name="信号系统", amount="800000", expected_close_date=close
    )
    org.nick_account = account_create(
        org.nick, name="天津港", industry_id=org.industry.pk, region_id=org.north.pk
    )
    org.nick_opp = opportunity_create(
        org.nick, account_id=org.nick_account.pk, name="码头调度", amount="450000", expected_close_date=close
    )
    org.product_line = ProductLine.objects.create(code="scada", name_zh="监控系统", name_en="SCADA")
    org.rival = Competitor.objects.create(name="Siemens")
    org.rival2 = Competitor.objects.create(name="ABB")
    return org


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The personas get passwords; hashing them slowly adds nothing to API tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
