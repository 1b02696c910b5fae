"""The forecast pages: /forecast/ (report, submit, adjust, export), /forecast/orders/, /forecast/accuracy/."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
from openpyxl import load_workbook

from kadence.planning.models import ForecastSnapshot, ForecastSubmission, OrderForecast
from tests.planning.test_forecast import IN_Q2, NEXT_Q2, TODAY, deal
from tests.prg import refused_post

pytestmark = pytest.mark.django_db
Q2 = f"?period_kind=quarter&period_start={NEXT_Q2.isoformat()}"


@pytest.fixture
def book(org):
    from kadence.pipeline.models import Opportunity

    Opportunity.objects.filter(pk__in=[org.opp.pk, org.sara_opp.pk]).update(forecast_category="omitted")
    deal(org, org.rita, "100000", category="commit", probability="90")
    deal(org, org.tom, "30000", category="best_case", probability="50")
    deal(org, org.nick, "60000", category="pipeline", probability="10")
    return org


def test_rep_page_shows_own_figures_and_submits(client, book):
    client.force_login(book.rita)
    page = client.get("/forecast/" + Q2)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="forecast-submit"' in html and f'data-testid="seller-{book.rita.pk}"' in html
    assert f'data-testid="seller-{book.tom.pk}"' not in html and 'data-testid="scope-unit"' not in html
    assert 'data-chart="forecast-category-chart"' in html and "plotly.min.js" in html
    chart = json.loads(json.dumps(page.context["category_chart"]))  # serialisable as the page embeds it
    assert chart["layout"]["barmode"] == "stack" and len(chart["data"]) == 5
    response = client.post(
        "/forecast/submit/" + Q2,
        {"period_kind": "quarter", "period_start": NEXT_Q2.isoformat(), "forecast": "", "reason": "on track"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/forecast/?")
    sub = ForecastSubmission.objects.get(user=book.rita)
    assert sub.forecast == D("100000") and sub.reason == "on track"
    bad = refused_post(
        client,
        "/forecast/submit/" + Q2,
        {"period_kind": "quarter", "period_start": NEXT_Q2.isoformat(), "forecast": "-3", "reason": "重报"},
        status=422,
        page="/forecast/" + Q2,
    )  # post-redirect-get, back to the page it was on
    html = bad.content.decode()
    assert "alert-error" in html and 'value="-3"' in html and 'value="重报"' in html  # shown as it was typed
    assert client.get(f"/forecast/?owner_id={book.tom.pk}").status_code == 404
    assert client.get("/forecast/?unit_id=abc").status_code == 404
    assert client.get("/forecast/?period_start=31-12-2025").status_code == 422


def test_manager_adjusts_from_the_page(client, book, django_assert_max_num_queries):
    from kadence.planning.services.forecast import forecast_submit

    sub = forecast_submit(book.rita, period_start=NEXT_Q2)
    client.force_login(book.mona)
    with django_assert_max_num_queries(17):  # +1: the bell's unread count (rhythm.notify)
        html = client.get("/forecast/" + Q2).content.decode()
    assert (
        f'data-testid="adjust-{book.rita.pk}"' in html and f'data-testid="seller-{book.nick.pk}"' not in html
    )
    assert 'data-testid="forecast-submit"' not in html and 'data-testid="forecast-teams"' in html
    url = f"/forecast/submissions/{sub.pk}/adjust/" + Q2
    missing = refused_post(
        client, url, {"forecast": "90123", "reason": ""}, status=422, page="/forecast/" + Q2
    )
    assert ForecastSubmission.objects.filter(kind="adjustment").count() == 0
    html = missing.content.decode()
    row = html.split(f'data-testid="adjust-{book.rita.pk}"')[1].split("</details>")[0]
    assert row.startswith(" open>") and 'value="90123"' in row  # that row's form, open, as it was typed
    done = client.post(url, {"forecast": "90000", "reason": "slips"})
    assert done.status_code == 302
    assert ForecastSubmission.objects.get(kind="adjustment").forecast == D("90000")
    client.force_login(book.rita)
    assert client.post(url, {"forecast": "1", "reason": "mine"}).status_code == 403
    client.force_login(book.sam)
    assert client.post(url, {"forecast": "1", "reason": "x"}).status_code == 404
    client.force_login(book.dora)
    html = client.get("/forecast/" + Q2).content.decode()
    assert (
        'data-testid="forecast-regions"' in html and "slips" in html
    )  # submission and adjustment both shown


def test_export_is_xlsx_and_neutralises_formulas(client, book):
    book.rita.display_name = '=HYPERLINK("http://x")'
    book.rita.save()
    client.force_login(book.mona)
    response = client.get("/forecast/" + Q2 + "&format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheets = load_workbook(BytesIO(response.content))
    assert len(sheets.sheetnames) == 4
    sellers = list(sheets.worksheets[2].iter_rows(values_only=True))
    names = [row[0] for row in sellers[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    rita = next(row for row in sellers if row[0].startswith("'="))
    assert rita[3] == 100000  # commit, a number


def test_orders_page_saves_and_scopes(client, book):
    monday = TODAY() - timedelta(days=TODAY().weekday())
    week = monday + timedelta(weeks=1)
    client.force_login(book.rita)
    page = client.get("/forecast/orders/")
    assert page.status_code == 200 and 'data-testid="orders-form"' in page.content.decode()
    response = client.post("/forecast/orders/save/", {f"week_{week.isoformat()}": "1234"})
    assert response.status_code == 302
    assert OrderForecast.objects.get(user=book.rita, made_on=monday, week_start=week).amount == D("1234")
    later = week + timedelta(weeks=1)
    bad = refused_post(
        client,
        "/forecast/orders/save/",
        {f"week_{monday.isoformat()}": "1", f"week_{later.isoformat()}": "5678"},
        status=422,
        page="/forecast/orders/",
    )
    assert "alert-error" in bad.content.decode() and 'value="5678"' in bad.content.decode()
    assert not OrderForecast.objects.filter(week_start=later).exists()
    client.force_login(book.mona)
    html = client.get("/forecast/orders/").content.decode()
    assert "1,234" in html and 'data-testid="orders-form"' not in html
    client.force_login(book.sam)
    assert "1,234" not in client.get("/forecast/orders/").content.decode()


def test_accuracy_page(client, book, django_assert_max_num_queries):
    start = date(TODAY().year, ((TODAY().month - 1) // 3) * 3 + 1, 1)
    previous = date(start.year - 1, 10, 1) if start.month == 1 else date(start.year, start.month - 3, 1)
    ForecastSnapshot.objects.create(
        source="scheduled",
        taken_on=previous,
        user=book.rita,
        period_kind="quarter",
        period_start=previous,
        forecast=D("110"),
    )
    deal(book, book.rita, "100", status="won", closed_on=previous + timedelta(days=10))
    client.force_login(book.rita)
    with django_assert_max_num_queries(12):
        page = client.get("/forecast/accuracy/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-chart="forecast-accuracy-chart"' in html and 'data-testid="kpi-bias"' in html
    assert "10%" in html
    chart = page.context["chart"]
    assert [t["type"] for t in chart["data"]] == ["scatter"] * 3 and chart["data"][2]["yaxis"] == "y2"
    assert chart["data"][2]["y"][-1] == 10.0
    client.force_login(book.sara)
    assert client.get(f"/forecast/accuracy/?owner_id={book.rita.pk}").status_code == 404


def test_pages_need_login_and_post(client, book):
    assert client.get("/forecast/").status_code == 302
    client.force_login(book.rita)
    assert client.get("/forecast/submit/").status_code == 405
    assert client.get(f"/forecast/?period_start={IN_Q2.isoformat()}&period_kind=decade").status_code == 422


def test_sellers_are_shown_a_page_at_a_time(client, book, monkeypatch):
    """A company's thousands of sellers: the forecast and accuracy pages render one page of them
    (SELLERS_PER_PAGE, here 2) with a pager; the export keeps them all."""
    from kadence.insights.views import forecast as views

    monkeypatch.setattr(views, "SELLERS_PER_PAGE", 2)
    client.force_login(book.ada)
    first = client.get("/forecast/" + Q2)
    everyone = [row.user.pk for row in first.context["report"].sellers]
    assert len(everyone) > 2 and first.context["sellers_page"].count == len(everyone)
    html = first.content.decode()
    assert [pk for pk in everyone if f'data-testid="seller-{pk}"' in html] == everyone[:2]
    assert "sellers_page=2" in html
    second = client.get("/forecast/" + Q2 + "&sellers_page=2").content.decode()
    assert [pk for pk in everyone if f'data-testid="seller-{pk}"' in second] == everyone[2:4]
    export = client.get("/forecast/" + Q2 + "&format=xlsx")
    assert export.status_code == 200

    accuracy = client.get("/forecast/accuracy/")
    lines = [line.user.pk for line in accuracy.context["report"].sellers]
    shown = [pk for pk in lines if f'data-testid="accuracy-sellers-u{pk}"' in accuracy.content.decode()]
    assert len(lines) > 2 and shown == lines[:2] and "sellers_page=2" in accuracy.content.decode()
