"""The forecast API: shapes, status codes and personas."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from kadence.planning.models import ForecastSnapshot
from tests.planning.test_forecast import IN_Q2, NEXT_Q2, TODAY, deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(org):
    from kadence.pipeline.models import Opportunity

    Opportunity.objects.filter(pk__in=[org.opp.pk, org.sara_opp.pk]).update(forecast_category="omitted")
    deal(org, org.rita, "100000", category="commit", probability="90")
    deal(org, org.tom, "30000", category="best_case", probability="50")
    deal(org, org.nick, "60000", category="pipeline", probability="10")
    return org


def get(client, token_for, user, url, **params):
    return client.get(url, params, **token_for(user))


def post(client, token_for, user, url, body):
    return client.post(url, body, content_type="application/json", **token_for(user))


def test_forecast_shape_and_scope(client, token_for, book, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = get(client, token_for, book.mona, "/api/forecast", period_start=IN_Q2.isoformat())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "scope",
        "period",
        "as_of",
        "probabilities_used",
        "categories",
        "totals",
        "call",
        "booked_to_date",
        "buckets",
        "sellers",
        "teams",
        "regions",
        "can_submit",
    }
    assert body["probabilities_used"] == "configured"
    assert body["period"] == {
        "kind": "quarter",
        "start": NEXT_Q2.isoformat(),
        "end": date(NEXT_Q2.year, 6, 30).isoformat(),
        "label": f"{NEXT_Q2.year}-Q2",
    }
    assert [c["category"] for c in body["categories"]] == [
        "booked",
        "commit",
        "best_case",
        "next_quarter",
        "pipeline",
    ]
    assert body["categories"][1] == {
        "category": "commit",
        "count": 1,
        "amount": "100000.00",
        "weighted": "90000.00",
    }
    assert body["totals"]["weighted"] == "105000.00" and body["call"] == "100000.00"
    assert [b["bucket"] for b in body["buckets"]] == ["0-3", "3-6", "6-9", "9-12"]
    assert {s["user"]["username"] for s in body["sellers"]} == {"rita", "tom"}
    seller = next(s for s in body["sellers"] if s["user"]["username"] == "rita")
    assert seller["categories"]["commit"] == "100000.00" and seller["submission"] is None
    assert seller["forecast_of_record"] is None and seller["call"] == "100000.00" and not seller["can_adjust"]
    assert [t["unit"]["code"] for t in body["teams"]] == ["north-1"] and body["regions"] == []
    rep = get(client, token_for, book.rita, "/api/forecast", period_start=IN_Q2.isoformat()).json()
    assert [s["user"]["username"] for s in rep["sellers"]] == ["rita"] and rep["can_submit"]
    assert get(client, token_for, book.rita, "/api/forecast", owner_id=book.tom.pk).status_code == 404
    assert get(client, token_for, book.mona, "/api/forecast", unit_id=book.s1.pk).status_code == 404
    assert get(client, token_for, book.mona, "/api/forecast", period_kind="week").status_code == 422
    assert get(client, token_for, book.mona, "/api/forecast", period_start="0001-01-01").status_code == 422
    director = get(client, token_for, book.dora, "/api/forecast", period_start=IN_Q2.isoformat()).json()
    assert [r["unit"]["code"] for r in director["regions"]] == ["north"]
    assert director["regions"][0]["categories"]["pipeline"] == "60000.00"


def test_submit_adjust_and_list(client, token_for, book):
    response = post(
        client, token_for, book.rita, "/api/forecast/submissions", {"period_start": IN_Q2.isoformat()}
    )
    assert response.status_code == 201
    sub = response.json()
    assert (
        sub["kind"] == "submission"
        and sub["forecast"] == "100000.00"
        and sub["period_start"] == NEXT_Q2.isoformat()
    )
    assert len(sub["deals"]) == 1 and sub["deals"][0]["amount"] == "100000.00"
    assert sub["user"]["username"] == "rita" and sub["unit"]["code"] == "north-1"
    url = f"/api/forecast/submissions/{sub['id']}/adjust"
    assert post(client, token_for, book.mona, url, {"forecast": "80000", "reason": ""}).status_code == 422
    assert post(client, token_for, book.mona, url, {"forecast": "80000"}).status_code == 422
    assert post(client, token_for, book.rita, url, {"forecast": "1", "reason": "me"}).status_code == 403
    assert post(client, token_for, book.tom, url, {"forecast": "1", "reason": "x"}).status_code == 404
    assert post(client, token_for, book.sam, url, {"forecast": "1", "reason": "x"}).status_code == 404
    adjusted = post(client, token_for, book.mona, url, {"forecast": "80000", "reason": "slipping"})
    assert adjusted.status_code == 201
    assert adjusted.json()["kind"] == "adjustment" and adjusted.json()["adjusts_id"] == sub["id"]
    assert adjusted.json()["submitted_by"]["username"] == "mona"
    assert (
        post(
            client,
            token_for,
            book.mona,
            "/api/forecast/submissions/999999/adjust",
            {"forecast": "1", "reason": "x"},
        ).status_code
        == 404
    )

    listed = get(
        client, token_for, book.dora, "/api/forecast/submissions", period_start=IN_Q2.isoformat()
    ).json()
    assert listed["count"] == 2 and [i["kind"] for i in listed["items"]] == ["adjustment", "submission"]
    assert "deals" not in listed["items"][0]
    assert (
        get(client, token_for, book.sven, "/api/forecast/submissions", period_start=IN_Q2.isoformat()).json()[
            "count"
        ]
        == 0
    )
    assert (
        get(client, token_for, book.tom, "/api/forecast/submissions", period_start=IN_Q2.isoformat()).json()[
            "count"
        ]
        == 0
    )
    report = get(client, token_for, book.mona, "/api/forecast", period_start=IN_Q2.isoformat()).json()
    rita = next(s for s in report["sellers"] if s["user"]["username"] == "rita")
    assert rita["submission"]["forecast"] == "100000.00" and rita["adjustment"]["reason"] == "slipping"
    assert rita["forecast_of_record"] == "80000.00" and rita["can_adjust"]

    bad = post(
        client,
        token_for,
        book.rita,
        "/api/forecast/submissions",
        {"period_start": "2000-01-01", "forecast": "5"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "period_over"
    assert (
        post(client, token_for, book.rita, "/api/forecast/submissions", {"forecast": "x"}).status_code == 422
    )
    assert post(client, token_for, book.rita, "/api/forecast/submissions", {"surprise": 1}).status_code == 422


def test_orders_get_and_post(client, token_for, book):
    monday = TODAY() - timedelta(days=TODAY().weekday())
    weeks = [monday + timedelta(weeks=n) for n in range(1, 5)]
    response = post(
        client,
        token_for,
        book.rita,
        "/api/forecast/orders",
        {
            "weeks": [
                {"week_start": weeks[0].isoformat(), "amount": "100"},
                {"week_start": weeks[2].isoformat(), "amount": "30.5"},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["made_on"] == monday.isoformat() and body["can_enter"]
    assert [w["amount"] for w in body["mine"]] == ["100.00", None, "30.50", None]
    assert len(body["accuracy"]) == 8 and [lead["lead_weeks"] for lead in body["by_lead"]] == [1, 2, 3, 4]
    wrong = post(
        client,
        token_for,
        book.rita,
        "/api/forecast/orders",
        {"weeks": [{"week_start": monday.isoformat(), "amount": "1"}]},
    )
    assert wrong.status_code == 422
    team = get(client, token_for, book.mona, "/api/forecast/orders").json()
    assert team["upcoming"][0]["amount"] == "100.00" and team["sellers"][0]["user"]["username"] == "rita"
    assert not team["can_enter"]
    assert get(client, token_for, book.rita, "/api/forecast/orders", unit_id=book.n1.pk).status_code == 404


def test_accuracy_shape(client, token_for, book):
    ForecastSnapshot.objects.create(
        source="scheduled",
        taken_on=date(2025, 1, 1),
        user=book.rita,
        period_kind="quarter",
        period_start=date(2025, 1, 1),
        forecast=D("110"),
    )
    deal(book, book.rita, "100", status="won", closed_on=date(2025, 2, 1))
    response = get(client, token_for, book.rita, "/api/forecast/accuracy", as_of="2025-04-10", periods=2)
    assert response.status_code == 200
    body = response.json()
    assert [p["label"] for p in body["periods"]] == ["2024-Q4", "2025-Q1"]
    assert body["total"]["points"][1] == {
        "period_start": "2025-01-01",
        "forecast": "110.00",
        "actual": "100.00",
        "error_pct": "10.0",
    }
    assert body["total"]["summary"] == {
        "periods": 2,
        "scored": 1,
        "bias_pct": "10.0",
        "mape_pct": "10.0",
        "bias_amount": "10.00",
    }
    assert body["sellers"][0]["user_id"] == book.rita.pk and body["teams"] == []
    assert get(client, token_for, book.rita, "/api/forecast/accuracy", periods=99).status_code == 422
    assert (
        get(client, token_for, book.sara, "/api/forecast/accuracy", owner_id=book.rita.pk).status_code == 404
    )
