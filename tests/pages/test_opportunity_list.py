"""The opportunity list: visibility, filters, sorting, pagination, the htmx fragment, query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kadence.pipeline import services
from kadence.pipeline.models import LossReason, Opportunity, ProductLine
from tests.versions import opp_version

from .conftest import stages_of

URL = "/opportunities/"


def names(response) -> list[str]:
    return [o.name for o in response.context["page"].items]


def test_url_name():
    assert reverse("opportunity_list") == URL


def test_rep_sees_only_what_is_visible(org, login):
    response = login(org.rita).get(URL)
    assert response.status_code == 200
    assert names(response) == [org.opp.name]
    assert org.sara_opp.name not in response.content.decode()
    assert response.context["totals"]["count"] == 1


def test_admin_and_director_scope(org, login):
    assert set(names(login(org.ada).get(URL))) == {org.opp.name, org.sara_opp.name}
    assert names(login(org.sven).get(URL)) == [org.sara_opp.name]


def test_filters(org, login, make_opps, no_gates):
    today = date.today()
    s = stages_of(org.opp)
    a, b, c = make_opps(3)
    services.opportunity_update(org.rita, a.pk, version=1, name="智能电表项目", amount="888000")
    services.opportunity_move_stage(org.rita, b.pk, stage_id=s[2].pk, version=1)
    services.opportunity_close_lost(
        org.rita, c.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(c.pk)
    )
    line = ProductLine.objects.create(code="meter", name_zh="电表", name_en="Meters")
    services.opportunity_update(org.rita, a.pk, version=2, product_line_ids=[line.pk])
    client = login(org.mona)
    assert names(client.get(URL, {"q": "智能电表"})) == ["智能电表项目"]
    assert len(names(client.get(URL, {"q": org.account.name[:4]}))) == 4
    assert sorted(names(client.get(URL, {"status": "lost"}))) == [c.name]
    assert names(client.get(URL, {"stage": s[2].pk})) == [b.name]
    assert names(client.get(URL, {"level": Opportunity.objects.get(pk=b.pk).level_id})) == [b.name]
    assert names(client.get(URL, {"product_line": line.pk})) == ["智能电表项目"]
    assert names(client.get(URL, {"forecast_category": "omitted"})) == [c.name]
    assert set(names(client.get(URL, {"team": org.n1.pk}))) == {org.opp.name, "智能电表项目", b.name, c.name}
    assert names(client.get(URL, {"team": org.s1.pk})) == []  # not in mona's scope: nothing leaks
    assert names(client.get(URL, {"owner": org.tom.pk})) == []
    window = {
        "close_from": (today + timedelta(days=89)).isoformat(),
        "close_to": (today + timedelta(days=91)).isoformat(),
    }
    assert names(client.get(URL, window)) == [org.opp.name]


def test_bad_filter_values_are_ignored_not_errors(org, login):
    response = login(org.rita).get(
        URL, {"stage": "abc", "close_from": "not-a-date", "owner": "999999", "sort": "evil"}
    )
    assert response.status_code == 200
    assert names(response) == [org.opp.name]


def test_sort_links_and_order(org, login, make_opps):
    make_opps(3)
    client = login(org.rita)
    ascending = client.get(URL, {"sort": "amount"})
    amounts = [o.amount for o in ascending.context["page"].items]
    assert amounts == sorted(amounts)
    descending = client.get(URL, {"sort": "-amount"})
    assert [o.amount for o in descending.context["page"].items] == sorted(amounts, reverse=True)
    body = ascending.content.decode()
    assert "?sort=-amount" in body  # clicking the sorted column again reverses it
    assert 'data-sort="ascending"' in body


def test_pagination(org, login, make_opps):
    make_opps(30)
    client = login(org.rita)
    first = client.get(URL, {"sort": "name"})
    assert len(first.context["page"].items) == 25 and first.context["page"].pages == 2
    assert "page=2" in first.content.decode()
    second = client.get(URL, {"sort": "name", "page": 2})
    assert len(second.context["page"].items) == 6
    assert set(names(first)).isdisjoint(names(second))
    bigger = client.get(URL, {"size": 50})
    assert len(bigger.context["page"].items) == 31
    assert client.get(URL, {"page": 99}).context["page"].page == 2  # clamped, not an error


def test_htmx_request_gets_the_table_fragment(org, login):
    client = login(org.rita)
    response = client.get(URL, {"q": "变电站"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="opp-table")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="opp-table"' in body and org.opp.name in body
    assert 'hx-swap-oob="true"' in body  # sort and size kept in the filter form
    assert "HX-Request" in response["Vary"]
    full = client.get(
        URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true", HTTP_HX_TARGET="opp-table"
    )
    assert "<html" in full.content.decode()


def test_filter_form_works_without_javascript(org, login):
    body = login(org.rita).get(URL).content.decode()
    assert 'method="get"' in body and 'hx-get="/opportunities/"' in body and 'hx-push-url="true"' in body


def _count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["rita", "mona", "ada"])
def test_query_count_does_not_grow_with_rows(org, login, make_opps, persona, django_assert_max_num_queries):
    client = login(getattr(org, persona))
    params = {"status": "open", "sort": "-amount"}
    before = _count_queries(client, params)
    make_opps(40)
    with django_assert_max_num_queries(20):
        after = _count_queries(client, params)
    assert after == before
