"""Helpers for page tests: sign-in as a persona, make more opportunities, skip when a page of
another app is not there yet."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from kadence.pipeline import services
from kadence.pipeline.models import Stage


@pytest.fixture
def client():
    """A browser that asks for English, so that assertions on messages hold once the Chinese
    catalogue ships (the default language is zh-hans). Language tests set their own header."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


@pytest.fixture
def make_opps(org):
    """make_opps(n, owner=org.rita, account=org.account, by=None, **fields) → n new opportunities
    (created by `by` for `owner` when given, e.g. a manager opening deals for a rep)."""

    def make(n, owner=None, account=None, by=None, **fields):
        owner = owner or org.rita
        account = account or org.account
        return [
            services.opportunity_create(
                by or owner,
                account_id=account.pk,
                owner_id=owner.pk,
                name=fields.get("name", f"Deal {i:03d}"),
                amount=fields.get("amount", 100000 + i * 1000),
                expected_close_date=fields.get("close", date.today() + timedelta(days=30 + i)),
                stage_id=fields.get("stage_id"),
            )
            for i in range(n)
        ]

    return make


def stages_of(opp) -> list[Stage]:
    return list(Stage.objects.filter(template_id=opp.template_id).order_by("order"))


def needs_url(name: str, *args) -> None:
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"URL {name!r} is not there yet (another app's page)")
