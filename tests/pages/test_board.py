"""The pipeline board: columns and visibility, paging per column, moving a card (htmx and plain
POST) with every kind of error shown in place, and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kadence.pipeline import services
from kadence.pipeline.models import DealRole, Opportunity, StageChange

from .conftest import stages_of

URL = "/pipeline/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def card_ids(response) -> set[int]:
    return {o.pk for col in response.context["columns"] for o in col.page.items}


def move(client, opp, stage, *, version=None, htmx=True, reason="", board_query=""):
    data = {
        "stage_id": stage.pk,
        "version": opp.version if version is None else version,
        "origin": "board",
        "reason": reason,
        "board_query": board_query,
    }
    extra = {**HTMX, "HTTP_HX_TARGET": "board"} if htmx else {}
    return client.post(reverse("opportunity_move", args=[opp.pk]), data, **extra)


def test_url_names():
    assert reverse("pipeline_board") == URL
    assert reverse("opportunity_move", args=[7]) == "/opportunities/7/move/"


def test_board_columns_and_visibility(org, login):
    response = login(org.rita).get(URL)
    assert response.status_code == 200
    columns = response.context["columns"]
    assert [c.stage for c in columns] == [s for s in stages_of(org.opp) if not s.is_won]
    assert card_ids(response) == {org.opp.pk}
    first = columns[0]
    assert (first.count, first.amount) == (1, org.opp.amount)
    body = response.content.decode()
    assert org.sara_opp.name not in body
    assert f'data-testid="move-{org.opp.pk}"' in body and f'data-testid="move-stage-{org.opp.pk}"' in body
    assert 'name="stage_id"' in body


def test_filters_by_owner_and_team(org, login, make_opps):
    make_opps(2, owner=org.tom, by=org.mona)
    client = login(org.mona)
    assert card_ids(client.get(URL, {"owner": org.rita.pk})) == {org.opp.pk}
    assert len(card_ids(client.get(URL, {"team": org.n1.pk}))) == 3
    assert card_ids(login(org.ada).get(URL, {"team": org.s1.pk})) == {org.sara_opp.pk}


def test_column_paging_and_column_fragment(org, login, make_opps):
    make_opps(12)
    stage = org.opp.stage
    client = login(org.rita)
    first = client.get(URL)
    column = first.context["columns"][0]
    assert column.count == 13 and len(column.page.items) == 10
    assert f"col_{stage.pk}=2" in first.content.decode()
    second = client.get(URL, {f"col_{stage.pk}": 2})
    assert len(second.context["columns"][0].page.items) == 3
    fragment = client.get(URL, {f"col_{stage.pk}": 2}, HTTP_HX_TARGET=f"col-{stage.pk}", **HTMX)
    body = fragment.content.decode()
    assert "<html" not in body and body.count('class="opp-card') == 3 and f'id="col-{stage.pk}"' in body
    board = client.get(URL, HTTP_HX_TARGET="board", **HTMX).content.decode()
    assert board.lstrip().startswith('<div id="board"')


def test_move_with_htmx_rerenders_the_board_and_leaves_history(org, login, no_gates):
    target = stages_of(org.opp)[2]
    response = move(login(org.rita), org.opp, target, reason="立项通知已收到")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board"') and "<html" not in body
    opp = Opportunity.objects.get(pk=org.opp.pk)
    assert opp.stage == target and opp.version == 2
    row = StageChange.objects.filter(opportunity=opp).latest("id")
    assert (row.kind, row.to_stage, row.changed_by, row.reason) == (
        "advanced",
        target,
        org.rita,
        "立项通知已收到",
    )
    assert opp.pk in {o.pk for o in response.context["columns"][2].page.items}


def test_move_without_javascript_redirects_back_to_the_board(org, login, no_gates):
    target = stages_of(org.opp)[1]
    response = move(login(org.rita), org.opp, target, htmx=False, board_query=f"owner={org.rita.pk}")
    assert response.status_code == 302 and response.url == f"{URL}?owner={org.rita.pk}"
    assert StageChange.objects.filter(opportunity=org.opp, kind="advanced", to_stage=target).exists()


def test_stale_move_is_a_conflict_shown_on_the_card(org, login, no_gates):
    s = stages_of(org.opp)
    services.opportunity_update(org.mona, org.opp.pk, version=1, amount="1300000")
    response = move(login(org.rita), org.opp, s[1], version=1)
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#card-{org.opp.pk}" and response["HX-Reswap"] == "outerHTML"
    body = response.content.decode()
    assert (
        'data-code="conflict"' in body and 'name="version" value="2"' in body
    )  # retry uses the fresh version
    assert Opportunity.objects.get(pk=org.opp.pk).stage == s[0]


def test_gate_not_met_lists_what_is_missing(org, login):
    s = stages_of(org.opp)
    response = move(login(org.rita), org.opp, s[1])
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-code="gate_not_met"' in body and (
        "First meeting held (minutes)" in body or "首次会面已举行（会面纪要）" in body
    )
    assert not StageChange.objects.filter(opportunity=org.opp, kind="advanced").exists()


def test_same_stage_is_a_validation_error_in_place(org, login):
    response = move(login(org.rita), org.opp, org.opp.stage)
    assert response.status_code == 422 and response["HX-Retarget"] == f"#card-{org.opp.pk}"


def test_read_only_team_member_gets_no_move_form_and_a_403(org, login):
    services.opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.first().pk
    )
    client = login(org.tom)
    board = client.get(URL)
    assert card_ids(board) == {org.opp.pk}
    assert f'data-testid="move-{org.opp.pk}"' not in board.content.decode()
    response = move(client, org.opp, stages_of(org.opp)[1])
    assert response.status_code == 403 and 'data-code="permission_denied"' in response.content.decode()


def test_invisible_opportunity_cannot_be_moved(org, login):
    response = move(login(org.rita), org.sara_opp, stages_of(org.sara_opp)[1], htmx=False)
    assert response.status_code == 404
    assert Opportunity.objects.get(pk=org.sara_opp.pk).version == 1


def test_move_is_post_only_and_csrf_protected(org, client):
    client.force_login(org.rita)
    url = reverse("opportunity_move", args=[org.opp.pk])
    assert client.get(url).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.rita)
    assert strict.post(url, {"stage_id": stages_of(org.opp)[1].pk, "version": 1}).status_code == 403
    assert Opportunity.objects.get(pk=org.opp.pk).version == 1


def _count(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["rita", "ada"])
def test_board_query_count_does_not_grow_with_rows(
    org, login, make_opps, persona, django_assert_max_num_queries
):
    # one card query per non-empty column (bounded by the stages), never per card
    client = login(getattr(org, persona))
    s = stages_of(org.opp)
    make_opps(1, stage_id=s[3].pk)
    before = _count(client)
    make_opps(15)
    make_opps(15, stage_id=s[3].pk)
    with django_assert_max_num_queries(30):
        after = _count(client)
    assert after == before
