"""V值 and the quota position every day (issue 14 §3): per seller and unit, on known data (rita's
quarter of tests/rhythm/pack_data: 1 000 000 target, 400 000 won, 350 000 open closing in the quarter,
V = 0.58); visibility; the page, the API, the exports, the home page's slot; query counts."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.domain.periods import period_containing
from kadence.performance.position.selectors import position_report
from kadence.pipeline import services
from kadence.planning.models import Target
from tests.rhythm.pack_data import rita_week

pytestmark = pytest.mark.django_db
D = Decimal


def test_rita_is_flagged_and_the_pack_agrees(org, no_gates):
    data = rita_week(org)
    report = position_report(org.mona)
    rita = next(r for r in report.rows if r.id == org.rita.pk)
    p = rita.position
    assert (p.quota, p.booked, p.remaining_quota, p.remaining_opportunity) == (
        D("1000000"),
        D("400000"),
        D("600000"),
        D("350000"),
    )
    assert p.v == D("0.58") and p.below_one and rita.status == "below_one"
    assert rita.days_left == (data.quarter.end - data.today).days
    assert rita.run_rate is not None and rita.run_rate.per_day * rita.days_left == pytest.approx(
        600000, abs=1
    )
    assert report.source in ("time_aware", "weighted")
    assert D(0) <= rita.expected <= D("350000")
    assert report.flagged == 1
    # sorted by V: the flagged seller first, the sellers without a quota last
    assert report.rows[0].id == org.rita.pk and all(r.status == "no_quota" for r in report.rows[1:])
    # the 1x1 pack shows the same figures (one rule)
    from kadence.rhythm.pack.builtin import quota_context

    pack = quota_context(org.rita, data.week, org.mona)
    assert (pack["v"], pack["remaining_opportunity"], pack["days_left"]) == (
        p.v,
        p.remaining_opportunity,
        rita.days_left,
    )


def test_region_total_and_team_rows(org, no_gates):
    data = rita_week(org)
    quarter = data.quarter
    Target.objects.create(unit=org.n1, period_kind="quarter", period_start=quarter.start, amount=D("2000000"))
    Target.objects.create(
        unit=org.north, period_kind="quarter", period_start=quarter.start, amount=D("3000000")
    )
    report = position_report(org.dora, unit_id=org.north.pk)
    total = report.total.position
    assert (
        total.quota == D("3000000") and total.booked == D("400000") and total.remaining_quota == D("2600000")
    )
    units = {r.id: r for r in report.units}
    assert set(units) == {org.n1.pk, org.n2.pk}
    n1 = units[org.n1.pk].position
    assert n1.quota == D("2000000") and n1.booked == D("400000") and n1.remaining_opportunity == D("350000")
    assert n1.v == D("0.22") and n1.below_one
    assert units[org.n2.pk].position.quota is None and units[org.n2.pk].status == "no_quota"
    assert {r.id for r in report.rows} == {org.rita.pk, org.tom.pk, org.nick.pk}


def test_visibility(org, no_gates):
    from kadence.core.errors import NotFound

    rita_week(org)
    own = position_report(org.rita)
    assert own.scope.owner == org.rita and [r.id for r in own.rows] == [org.rita.pk]
    with pytest.raises(NotFound):
        position_report(org.rita, owner_id=org.tom.pk)
    with pytest.raises(NotFound):
        position_report(org.mona, unit_id=org.south.pk)
    with pytest.raises(NotFound):
        position_report(org.sven, owner_id=org.rita.pk)
    assert {r.id for r in position_report(org.sam).rows} == {org.sara.pk}


def test_quota_made_is_not_flagged(org, no_gates):
    data = rita_week(org)
    Target.objects.filter(user=org.rita).update(amount=D("300000"))
    rita = next(r for r in position_report(org.mona).rows if r.id == org.rita.pk)
    assert rita.status == "met" and rita.position.v is None and rita.run_rate is None
    assert data.quarter.contains(data.today)


def _more_sellers(org, n):
    """n more reps in north-1, each with a won and an open deal this quarter and a target."""
    from datetime import date

    from kadence.accounts.services import account_create
    from kadence.core.models import User
    from tests.versions import opp_version

    quarter = period_containing("quarter", date.today())
    for i in range(n):
        rep = User.objects.create_user(f"extra{i}", password="x", role=User.Role.REP, org_unit=org.n1)
        account = account_create(rep, name=f"客户{i}", industry_id=org.industry.pk, region_id=org.north.pk)
        deal = services.opportunity_create(
            rep, account_id=account.pk, name=f"w{i}", amount="1000", expected_close_date=date.today()
        )
        services.opportunity_close_won(rep, deal.pk, version=opp_version(deal.pk))
        services.opportunity_create(
            rep, account_id=account.pk, name=f"o{i}", amount="2000", expected_close_date=date.today()
        )
        Target.objects.create(user=rep, period_kind="quarter", period_start=quarter.start, amount=D("5000"))


def _count(django_assert_max_num_queries, user, **kw):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        position_report(user, **kw)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_sellers(org, no_gates, django_assert_max_num_queries):
    rita_week(org)
    position_report(org.mona)  # warm the caches of the time-aware model's inputs
    few = _count(django_assert_max_num_queries, org.mona)
    _more_sellers(org, 6)
    position_report(org.mona)
    many = _count(django_assert_max_num_queries, org.mona)
    assert many == few
    with django_assert_max_num_queries(25):
        position_report(org.mona)


def test_api(client, org, no_gates, token_for):
    rita_week(org)
    res = client.get("/api/performance/position", {"unit_id": org.n1.pk}, **token_for(org.mona))
    assert res.status_code == 200, res.content
    body = res.json()
    rita = next(r for r in body["reps"] if r["id"] == org.rita.pk)
    assert rita["v"] == "0.58" and rita["status"] == "below_one" and rita["remaining_quota"] == "600000.00"
    assert body["flagged"] == 1 and body["source"] in ("time_aware", "weighted") and body["source_text"]
    assert (
        client.get("/api/performance/position", {"unit_id": org.s1.pk}, **token_for(org.mona)).status_code
        == 404
    )
    assert client.get("/api/performance/position", {"sort": "bad"}, **token_for(org.mona)).status_code == 422
    assert (
        client.get("/api/performance/position", {"period_kind": "week"}, **token_for(org.mona)).status_code
        == 422
    )
    assert client.get("/api/performance/position").status_code == 401
    own = client.get("/api/performance/position", **token_for(org.rita)).json()
    assert own["total"]["v"] == "0.58" and [r["id"] for r in own["reps"]] == [org.rita.pk]


def test_page_and_exports(client, org, no_gates, django_assert_max_num_queries):
    rita_week(org)
    client.force_login(org.mona)
    url = reverse("performance_position")
    position_report(org.mona)  # warm the caches
    with django_assert_max_num_queries(40):
        res = client.get(url)
    assert res.status_code == 200
    html = res.content.decode()
    assert f'data-rep="{org.rita.pk}" data-status="below_one"' in html
    drill = client.get(url, {"owner_id": org.rita.pk})
    assert drill.status_code == 200 and 'data-testid="position-flag"' in drill.content.decode()
    xlsx = client.get(url, {"format": "xlsx"})
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    rita_row = next(r for r in rows if r[0] == org.rita.label)
    assert D(str(rita_row[8])) == D("0.58")
    csv = client.get(url, {"format": "csv"})
    assert csv.status_code == 200
    content = b"".join(csv.streaming_content) if csv.streaming else csv.content
    if content[:2] == b"PK":
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        assert len(names) == 3
    assert client.get(url, {"unit_id": org.s1.pk}).status_code == 404
    assert client.get(url, {"sort": "nope"}).status_code == 422


def test_home_page_shows_the_position(client, org, no_gates):
    rita_week(org)
    client.force_login(org.rita)
    html = client.get("/").content.decode()
    assert 'data-testid="home-position"' in html and 'data-status="below_one"' in html
    client.force_login(org.mona)
    html = client.get("/").content.decode()
    assert 'data-testid="home-position-flagged"' in html
