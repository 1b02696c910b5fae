"""The home page per role: what each persona sees and that the query count stays flat."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kadence.activities.services import activity_create
from kadence.pipeline import services
from tests.versions import opp_version

from .conftest import stages_of


def test_rep_sees_own_deals_totals_and_due_activities(org, login):
    activity_create(
        org.rita,
        opportunity_id=org.opp.pk,
        kind="visit",
        subject="拜访信息中心主任",
        date=date.today(),
        done=False,
    )
    response = login(org.rita).get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert org.opp.name in body and org.sara_opp.name not in body
    assert response.context["is_seller"] is True
    assert response.context["totals"]["count"] == 1
    assert [a.subject for a in response.context["due"]] == ["拜访信息中心主任"]
    assert "by_team" not in response.context


@pytest.mark.parametrize(
    "persona, teams, sees_sara",
    [
        ("mona", {"north-1"}, False),
        ("dora", {"north-1"}, False),
        ("sven", {"south-1"}, True),
        ("ada", {"north-1", "south-1"}, True),
    ],
)
def test_leaders_see_their_scope_by_team(org, login, persona, teams, sees_sara):
    response = login(getattr(org, persona)).get(reverse("home"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["is_seller"] is False
    codes = {row["label"] for row in ctx["by_team"]}
    names = {"north-1": {"北一", "north-1"}, "south-1": {"南一", "south-1"}}
    assert all(codes & names[t] for t in teams) and len(codes) == len(teams)
    assert (org.sara_opp.name in response.content.decode()) is sees_sara
    assert any(c.opportunity_id == org.opp.pk for c in ctx["recent_changes"]) is (persona != "sven")


def test_leader_sees_deals_closing_this_month_and_recent_moves(org, login, make_opps, no_gates):
    today = date.today()
    closing = make_opps(1, name="本月签约项目", close=today)[0]
    services.opportunity_move_stage(
        org.rita,
        org.opp.pk,
        stage_id=stages_of(org.opp)[1].pk,
        reason="首次会面",
        version=opp_version(org.opp.pk),
    )
    ctx = login(org.mona).get(reverse("home")).context
    assert closing in ctx["month_deals"]
    assert ctx["month_totals"]["count"] == 1
    assert (
        ctx["recent_changes"][0].opportunity_id == org.opp.pk and ctx["recent_changes"][0].kind == "advanced"
    )


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["rita", "mona", "ada"])
def test_home_query_count_does_not_grow_with_data(
    org, login, make_opps, persona, django_assert_max_num_queries
):
    client = login(getattr(org, persona))
    make_opps(1, close=date.today())  # a deal in the quarter: the time-aware model reads its inputs
    make_opps(1, owner=org.sara, account=org.sara_account, close=date.today())
    _queries(client)  # the time-aware model's inputs are cached until the history grows: warm them
    before = _queries(client)
    make_opps(15)
    make_opps(10, owner=org.sara, account=org.sara_account)
    _queries(client)
    # 20 for the page itself, 20 for the quota-position slot (kadence.performance.wiring): the scope's
    # sellers and targets, its deals by owner × team and the time-aware model's inputs; up to 10 for the
    # attainment strip (kadence.performance.dashboard: units, sellers, won per month, targets)
    with django_assert_max_num_queries(50):
        after = _queries(client)
    assert after == before
