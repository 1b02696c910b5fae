"""Helpers for the account and activity page tests (personas come from the root conftest's `org`)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def login(db):
    """login(user) → a test client signed in as `user`."""

    def make(user, language: str | None = None) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def on_deal_team(org):
    """Put tom (rita's teammate) on rita's deal team: he then sees its account and activities but
    may change neither."""
    from kadence.pipeline.models import DealRole
    from kadence.pipeline.services import opportunity_team_add

    opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.order_by("order").first().pk
    )
    return org
