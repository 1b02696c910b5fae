"""The KPI and leaderboard pages and API (issue 14 §4, §5): what each persona sees, the definitions on
screen, the exports, the score button, bad input and the number of queries."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.performance.kpi import services
from kadence.performance.kpi.models import KpiDefinition, KpiManualInput, Scorecard
from tests.performance.kpi_world import IN_MONTH, build

pytestmark = pytest.mark.django_db
DAY = IN_MONTH.isoformat()


@pytest.fixture
def scored(org):
    build(org)
    services.kpi_input_set(
        org.mona,
        seller_id=org.rita.pk,
        definition_id=org.satisfaction.pk,
        period="month",
        day=IN_MONTH,
        value="90",
    )
    services.scorecards_compute(org.ada, period="month", day=IN_MONTH)
    return org


def test_a_rep_sees_their_own_card_and_how_it_was_computed(client, scored, django_assert_max_num_queries):
    client.force_login(scored.rita)
    url = reverse("performance_kpi_card")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(12):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="kpi-card"' in html
    assert "成交 90000.00 ÷ 目标 100000.00 × 100" in html  # the pages follow the language (zh-Hans here)
    assert 'data-kpi="revenue"' in html and 'data-testid="kpi-history"' in html
    assert client.get(url, {"day": DAY, "owner_id": scored.tom.pk}).status_code == 404
    assert client.get(url, {"period": "week"}).status_code == 422
    export = client.get(url, {"day": DAY, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    revenue = next(r for r in rows if r[1] == 35)  # the revenue KPI's weight
    assert revenue[4] == 90 and revenue[6] == 90
    assert client.get(url, {"day": "2026-01-05"}).content.decode().count('data-testid="kpi-none"') == 1


def test_a_manager_sees_the_team_and_scores_it(client, scored, django_assert_max_num_queries):
    client.force_login(scored.mona)
    url = reverse("performance_kpi_team")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(12):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert f'data-rep="{scored.rita.pk}"' in html and f'data-rep="{scored.sara.pk}"' not in html
    assert 'data-testid="kpi-score"' in html and 'data-chart="kpi-grade-figure"' in html
    card = client.get(reverse("performance_kpi_card"), {"day": DAY, "owner_id": scored.rita.pk})
    assert card.status_code == 200 and "Rita 的考核表" in card.content.decode()
    response = client.post(reverse("performance_kpi_score"), {"period": "month", "day": DAY})
    assert response.status_code == 302
    assert Scorecard.objects.get(user=scored.rita, period_kind="month").version == 2
    csv = client.get(url, {"day": DAY, "format": "csv"})
    assert csv.status_code == 200 and zipfile.is_zipfile(io.BytesIO(csv.content))
    client.force_login(scored.rita)
    assert client.post(reverse("performance_kpi_score"), {"period": "month", "day": DAY}).status_code == 403
    assert 'data-testid="kpi-score"' not in client.get(url, {"day": DAY}).content.decode()


def test_the_ranking_definitions_and_inputs_pages(client, scored):
    services.scorecards_compute(scored.ada, period="quarter", day=IN_MONTH)
    client.force_login(scored.dora)
    ranking = client.get(reverse("performance_kpi_ranking"), {"year": 2026})
    assert ranking.status_code == 200 and f'data-rep="{scored.nick.pk}"' in ranking.content.decode()
    assert client.get(reverse("performance_kpi_ranking"), {"year": 2026, "format": "xlsx"}).status_code == 200
    assert client.get(reverse("performance_kpi_ranking"), {"year": "x"}).status_code == 422
    definitions = client.get(reverse("performance_kpi_definitions")).content.decode()
    assert 'data-kpi="rep-revenue"' in definitions and 'data-testid="kpi-metric-definitions"' in definitions
    client.force_login(scored.mona)
    inputs = client.get(reverse("performance_kpi_inputs"), {"day": DAY}).content.decode()
    assert 'data-testid="kpi-input-form"' in inputs and "90.00" in inputs
    posted = client.post(
        reverse("performance_kpi_inputs"),
        {
            "period": "month",
            "day": DAY,
            "seller_id": scored.tom.pk,
            "definition_id": scored.satisfaction.pk,
            "value": "80",
        },
    )
    assert posted.status_code == 302
    # a figure already there is changed from its row, whose form carries the version read
    existing = KpiManualInput.objects.get(user=scored.tom, definition=scored.satisfaction)
    page = client.get(reverse("performance_kpi_inputs"), {"day": DAY}).content.decode()
    assert 'data-testid="kpi-input-change"' in page and f'name="version" value="{existing.version}"' in page
    change = {
        "period": "month",
        "day": DAY,
        "seller_id": scored.tom.pk,
        "definition_id": scored.satisfaction.pk,
        "value": "85",
        "version": existing.version,
    }
    assert client.post(reverse("performance_kpi_inputs"), change).status_code == 302
    existing.refresh_from_db()
    assert existing.value == Decimal("85") and existing.version == change["version"] + 1
    stale = client.post(reverse("performance_kpi_inputs"), {**change, "value": "10"}, follow=True)
    existing.refresh_from_db()
    assert existing.value == Decimal("85")
    assert [m.level_tag for m in stale.context["messages"]][-1] == "error"
    hub = client.get(reverse("performance_hub")).content.decode()
    assert 'data-part="kpi"' in hub


def test_the_leaderboard(client, scored, django_assert_max_num_queries):
    client.force_login(scored.dora)
    url = reverse("performance_leaderboard")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(22):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="lb-definitions"' in html
    assert f'data-rep="{scored.rita.pk}"' in html and f'data-rep="{scored.sara.pk}"' not in html
    rita = html.split(f'data-rep="{scored.rita.pk}"')[1].split("</tr>")[0]
    assert 'data-column="attainment">90%<' in rita and 'data-column="growth">50%<' in rita
    assert 'data-column="forecast_accuracy">88.9%<' in rita
    assert html.index(f'data-rep="{scored.rita.pk}"') < html.index(f'data-rep="{scored.tom.pk}"')
    book = load_workbook(io.BytesIO(client.get(url, {"day": DAY, "format": "xlsx"}).content))
    assert len(book.sheetnames) == 3
    assert client.get(url, {"period": "day"}).status_code == 422


def test_the_api(client, scored, token_for, django_assert_max_num_queries):
    rita, mona, ada = token_for(scored.rita), token_for(scored.mona), token_for(scored.ada)
    with django_assert_max_num_queries(10):
        card = client.get("/api/performance/kpi/scorecard", {"day": DAY}, **rita).json()["scorecard"]
    revenue = next(line for line in card["lines"] if line["code"] == "revenue")
    assert (
        revenue["score"] == "90.00"
        and revenue["inputs"]["target"] == "100000.00"
        and "90000.00 ÷" in revenue["how"]
    )
    assert (
        client.get("/api/performance/kpi/scorecard", {"owner_id": scored.tom.pk}, **rita).status_code == 404
    )
    assert client.get("/api/performance/kpi/scorecard", {"period": "year"}, **rita).status_code == 422
    team = client.get("/api/performance/kpi/scorecards", {"day": DAY}, **mona).json()
    assert {c["seller_id"] for c in team["cards"]} == {scored.rita.pk, scored.tom.pk}
    assert client.get("/api/performance/kpi/ranking", {"year": 2026}, **mona).status_code == 200
    assert (
        client.post(
            "/api/performance/kpi/score", {"day": DAY}, content_type="application/json", **rita
        ).status_code
        == 403
    )
    assert client.post(
        "/api/performance/kpi/score", {"day": DAY}, content_type="application/json", **mona
    ).json() == {"scored": 2}
    payload = {"seller_id": scored.tom.pk, "definition_id": scored.satisfaction.pk, "day": DAY, "value": "85"}
    assert (
        client.post(
            "/api/performance/kpi/inputs", payload, content_type="application/json", **mona
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/api/performance/kpi/inputs", payload, content_type="application/json", **mona
        ).status_code
        == 409
    )
    definitions = client.get("/api/performance/kpi/definitions", **rita).json()
    assert len(definitions["grades"]) == 5 and any(d["code"] == "revenue" for d in definitions["items"])
    revenue_id = KpiDefinition.objects.get(role="rep", code="revenue").pk
    patch = {"version": 1, "weight": "40"}
    url = f"/api/performance/kpi/definitions/{revenue_id}"
    assert client.patch(url, patch, content_type="application/json", **mona).status_code == 403
    assert client.patch(url, patch, content_type="application/json", **ada).json()["version"] == 2
    assert client.patch(url, patch, content_type="application/json", **ada).status_code == 409
    new = {
        "role": "rep",
        "code": "response",
        "name_zh": "响应时间",
        "name_en": "Response time",
        "metric": "manual",
        "weight": "5",
        "target": "24",
    }
    assert (
        client.post(
            "/api/performance/kpi/definitions", new, content_type="application/json", **ada
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/performance/kpi/definitions", new, content_type="application/json", **ada
        ).status_code
        == 409
    )
    board = client.get("/api/performance/leaderboard", {"day": DAY}, **mona).json()
    assert [c["key"] for c in board["columns"]] == [
        "attainment",
        "growth",
        "win_rate",
        "velocity",
        "forecast_accuracy",
    ]
    row = next(r for r in board["reps"] if r["user_id"] == scored.rita.pk)
    assert row["values"]["attainment"] == "90.00"
