"""The director's dashboard (issue 14 §8) on a small known world (built through the services):

this quarter, won today: rita 400 000, tom 100 000 (north-1), nick 50 000 (north-2), sara 200 000
(south-1); rita has an open commit deal of 300 000 closing today. Quarter targets: rita 1 000 000,
tom 500 000, nick 250 000; north-1 1 500 000, north-2 250 000, north 2 000 000, south 1 000 000,
south-1 1 000 000, the company 3 000 000. The fixture's own deals are moved to next year.

Exact attainment per persona and level, the trend's cumulative arithmetic, the distributions, the
anomalies (z-score, IQR, coverage drop), visibility, the API, the page in both languages, the export,
the home page strips, and query counts that do not grow with the data."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kadence.core.errors import NotFound, ValidationFailed
from kadence.domain.periods import period_containing
from kadence.performance.dashboard.models import DashboardPolicy
from kadence.performance.dashboard.selectors import (
    attainment_strip,
    dashboard_report,
    scope_targets,
    trend_points,
)
from kadence.performance.kpi.models import Scorecard
from kadence.pipeline import services
from kadence.planning.models import ForecastSnapshot, Target
from kadence.planning.selectors.targets import target_for
from tests.versions import opp_version

pytestmark = pytest.mark.django_db
D = Decimal


def _won(user, account, amount: str, name: str) -> None:
    deal = services.opportunity_create(
        user, account_id=account.pk, name=name, amount=amount, expected_close_date=timezone.localdate()
    )
    services.opportunity_close_won(user, deal.pk, version=opp_version(deal.pk))


def world(org) -> SimpleNamespace:
    from kadence.accounts.services import account_create

    today = timezone.localdate()
    quarter = period_containing("quarter", today)
    far = today + timedelta(days=400)
    for user, opp in ((org.rita, org.opp), (org.sara, org.sara_opp)):
        services.opportunity_update(user, opp.pk, version=opp_version(opp.pk), expected_close_date=far)
    tom_account = account_create(org.tom, name="华能", industry_id=org.industry.pk, region_id=org.north.pk)
    nick_account = account_create(org.nick, name="大唐", industry_id=org.industry.pk, region_id=org.north.pk)
    _won(org.rita, org.account, "400000", "配网终端")
    _won(org.tom, tom_account, "100000", "升压站")
    _won(org.nick, nick_account, "50000", "风场")
    _won(org.sara, org.sara_account, "200000", "基站")
    open_deal = services.opportunity_create(
        org.rita, account_id=org.account.pk, name="调度系统", amount="300000", expected_close_date=today
    )
    services.opportunity_update(
        org.rita, open_deal.pk, version=opp_version(open_deal.pk), forecast_category="commit"
    )
    targets = {
        ("user", org.rita): "1000000",
        ("user", org.tom): "500000",
        ("user", org.nick): "250000",
        ("unit", org.n1): "1500000",
        ("unit", org.n2): "250000",
        ("unit", org.north): "2000000",
        ("unit", org.south): "1000000",
        ("unit", org.s1): "1000000",
        ("unit", org.company): "3000000",
    }
    for (kind, who), amount in targets.items():
        Target.objects.create(
            period_kind="quarter", period_start=quarter.start, amount=D(amount), **{kind: who}
        )
    return SimpleNamespace(today=today, quarter=quarter, open_deal=open_deal)


def rates(report) -> dict[str, Decimal | None]:
    return {r.label: r.quarter.rate for r in report.rows}


# --- selectors: exact figures per persona ------------------------------------------------------------


def test_admin_sees_the_regions(org, no_gates):
    w = world(org)
    report = dashboard_report(org.ada)
    assert report.level == "units" and report.period == w.quarter
    assert rates(report) == {org.north.name: D("0.28"), org.south.name: D("0.20")}
    north = report.rows[0]
    assert (north.quarter.target, north.quarter.booked, north.quarter.gap) == (
        D("2000000"),
        D("550000"),
        D("1450000"),
    )
    total = report.total.quarter
    assert (total.target, total.booked, total.rate) == (D("3000000"), D("750000"), D("0.25"))
    # month and year: booked the same (everything was won today), no target of those periods
    assert report.total.month.booked == report.total.year.booked == D("750000")
    assert report.total.month.target is None and report.total.month.rate is None


def test_director_sees_their_teams(org, no_gates):
    world(org)
    report = dashboard_report(org.dora)
    assert rates(report) == {org.n1.name: D("0.33"), org.n2.name: D("0.20")}
    assert (report.total.quarter.target, report.total.quarter.booked) == (D("2000000"), D("550000"))
    drilled = dashboard_report(org.dora, unit_id=org.n1.pk)
    assert drilled.level == "sellers"
    assert rates(drilled) == {org.rita.label: D("0.40"), org.tom.label: D("0.20")}


def test_manager_and_rep(org, no_gates):
    world(org)
    team = dashboard_report(org.mona)
    assert team.level == "sellers" and rates(team) == {org.rita.label: D("0.40"), org.tom.label: D("0.20")}
    own = dashboard_report(org.rita)
    assert own.level == "none" and own.rows == [] and own.total.quarter.rate == D("0.40")


def test_visibility(org, no_gates):
    world(org)
    with pytest.raises(NotFound):
        dashboard_report(org.rita, owner_id=org.tom.pk)
    with pytest.raises(NotFound):
        dashboard_report(org.rita, unit_id=org.n1.pk)
    with pytest.raises(NotFound):
        dashboard_report(org.dora, unit_id=org.south.pk)
    with pytest.raises(NotFound):
        dashboard_report(org.mona, owner_id=org.nick.pk)
    assert dashboard_report(org.sven).total.quarter.booked == D("200000")
    assert dashboard_report(org.ada, unit_id=org.s1.pk).total.quarter.booked == D("200000")
    with pytest.raises(ValidationFailed):
        dashboard_report(org.ada, basis="hope")
    with pytest.raises(ValidationFailed):
        dashboard_report(org.ada, period_kind="week")


def test_trend_forecast_bases(org, no_gates):
    w = world(org)
    current = period_containing("month", w.today).start
    by_basis = {}
    for basis in ("weighted", "commit", "best_case"):
        report = dashboard_report(org.mona, basis=basis)
        point = next(p for p in report.trend if p.month == current)
        assert point.booked == D("500000") and point.cum_booked == D("500000")
        by_basis[basis] = point.forecast
        assert len(report.trend) == 12
    assert by_basis["commit"] == by_basis["best_case"] == D("300000")
    assert D(0) < by_basis["weighted"] < D("300000")


def test_trend_points_cumulate():
    year = period_containing("year", date(2026, 1, 1))
    targets = {date(2026, m, 1): D("100") for m in range(1, 13)}
    booked = {date(2026, 1, 1): D("80"), date(2026, 2, 1): D("120"), date(2026, 3, 1): D("30")}
    forecast = {date(2026, 3, 1): D("50"), date(2026, 4, 1): D("70"), date(2026, 1, 1): D("999")}
    points = trend_points(year, date(2026, 3, 15), targets, booked, forecast)
    jan, feb, mar, apr, dec = points[0], points[1], points[2], points[3], points[11]
    assert (jan.forecast, jan.cum_booked, jan.cum_projection, jan.cum_target) == (D(0), D(80), D(80), D(100))
    assert (feb.cum_booked, feb.cum_projection) == (D(200), D(200))
    assert (mar.booked, mar.forecast, mar.cum_booked, mar.cum_projection) == (D(30), D(50), D(230), D(280))
    assert (apr.cum_booked, apr.cum_projection, apr.cum_target) == (None, D(350), D(400))
    assert (dec.cum_projection, dec.cum_target) == (D(350), D(1200))


def test_scope_targets_follow_target_for(org):
    year = period_containing("year", date(2026, 6, 1))
    for month in (1, 2, 3):
        start = date(2026, month, 1)
        Target.objects.create(unit=org.north, period_kind="month", period_start=start, amount=D(100 * month))
        if month != 2:
            Target.objects.create(unit=org.south, period_kind="month", period_start=start, amount=D(10))
        Target.objects.create(user=org.rita, period_kind="month", period_start=start, amount=D(7))
    for who in ({"unit": org.north}, {"unit": org.south}, {"user": org.rita}):
        Target.objects.create(period_kind="quarter", period_start=date(2026, 4, 1), amount=D(55), **who)
    Target.objects.create(unit=org.north, period_kind="year", period_start=date(2026, 1, 1), amount=D(999))
    from kadence.core.visibility import resolve_scope

    for user, kw in ((org.ada, {}), (org.dora, {}), (org.ada, {"unit_id": org.north.pk}), (org.rita, {})):
        scope = resolve_scope(user, **kw)
        found = scope_targets(scope, year)
        for kind, start in (
            [("year", year.start)]
            + [("month", date(2026, m, 1)) for m in range(1, 13)]
            + [("quarter", date(2026, m, 1)) for m in (1, 4, 7, 10)]
        ):
            assert found.get((kind, start)) == target_for(scope, kind, start), (user, kw, kind, start)


def test_distributions(org, no_gates):
    w = world(org)
    policy = DashboardPolicy(pk=1, v_bins="0.5,1")
    policy.save()
    report = dashboard_report(org.ada)
    bins = {b.code: b.count for b in report.v_bins}
    # rita: 300 000 ÷ 600 000 = 0.50 (in 0.5–1); tom and nick: nothing open (V 0, below 0.5); sara: no quota
    assert bins == {"b0": 2, "b1": 1, "b2": 0, "met": 0, "no_quota": 1}
    assert [b.label for b in report.v_bins][:3] == ["< 0.5", "0.5–1", "≥ 1"]
    assert report.flagged == 3
    for user, total, grade in ((org.rita, "92", "excellent"), (org.tom, "75", "fair")):
        Scorecard.objects.create(
            user=user,
            role=user.role,
            unit=user.org_unit,
            period_kind="quarter",
            period_start=w.quarter.start,
            period_end=w.quarter.end,
            total=D(total),
            grade=grade,
        )
    grades = dashboard_report(org.ada)
    counts = {b.code: b.count for b in grades.grades}
    assert counts["excellent"] == 1 and counts["fair"] == 1 and sum(counts.values()) == 2
    assert grades.not_graded == 2  # nick and sara
    assert (
        dashboard_report(org.sam).not_graded == 1
        and sum(b.count for b in dashboard_report(org.sam).grades) == 0
    )
    year = dashboard_report(org.ada, period_kind="year")
    assert {b.code: b.count for b in year.grades}["excellent"] == 1 and year.not_graded == 2


def test_anomalies(org, no_gates):
    w = world(org)
    DashboardPolicy(
        pk=1, z_threshold=D("1"), iqr_factor=D("1.5"), min_peers=2, coverage_drop=D("0.10")
    ).save()
    report = dashboard_report(org.mona)
    found = {(a.row.label, a.metric): a for a in report.anomalies}
    # attainment 0.40 and 0.20: mean 0.30, sd 0.10, z = ±1
    assert found[(org.rita.label, "attainment")].side == "high"
    assert found[(org.tom.label, "attainment")].side == "low"
    assert "= 1.00" in found[(org.rita.label, "attainment")].reason  # "z = 1.00" (z 分数 in Chinese)
    assert not any(m == "coverage_drop" for _l, m in found)
    # rita's snapshot a month ago: 600 000 open, nothing booked → V 0.60; now 0.50: fell by 0.17
    ForecastSnapshot.objects.create(
        source="scheduled",
        taken_on=w.today - timedelta(days=30),
        user=org.rita,
        period_kind="quarter",
        period_start=w.quarter.start,
        commit=D("600000"),
    )
    drop = [a for a in dashboard_report(org.mona).anomalies if a.metric == "coverage_drop"]
    assert [(a.row.id, a.value) for a in drop] == [(org.rita.pk, D("0.17"))]
    DashboardPolicy.objects.filter(pk=1).update(min_peers=3)
    assert [a.metric for a in dashboard_report(org.mona).anomalies] == ["coverage_drop"]


# --- cost ------------------------------------------------------------------------------------------------


def _more(org, n):
    from kadence.accounts.services import account_create
    from kadence.core.models import User

    quarter = period_containing("quarter", timezone.localdate())
    for i in range(n):
        rep = User.objects.create_user(f"dash{i}", password="x", role=User.Role.REP, org_unit=org.n1)
        account = account_create(rep, name=f"客户{i}", industry_id=org.industry.pk, region_id=org.north.pk)
        _won(rep, account, "1000", f"w{i}")
        services.opportunity_create(
            rep, account_id=account.pk, name=f"o{i}", amount="2000", expected_close_date=timezone.localdate()
        )
        Target.objects.create(user=rep, period_kind="quarter", period_start=quarter.start, amount=D("5000"))


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["ada", "dora", "mona", "rita"])
def test_query_count_does_not_grow(org, no_gates, persona):
    world(org)
    user = getattr(org, persona)
    dashboard_report(user)  # warm the time-aware model's cache
    few = _queries(lambda: dashboard_report(user))
    strip_few = _queries(lambda: attainment_strip(user, timezone.localdate()))
    _more(org, 5)
    dashboard_report(user)
    assert _queries(lambda: dashboard_report(user)) == few
    assert _queries(lambda: attainment_strip(user, timezone.localdate())) == strip_few
    assert few <= 45 and strip_few <= 12


# --- API ---------------------------------------------------------------------------------------------------


def test_api(client, org, no_gates, token_for):
    world(org)
    res = client.get("/api/performance/dashboard", **token_for(org.dora))
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["level"] == "units" and body["total"]["quarter"]["booked"] == "550000.00"
    assert {r["label"]: r["quarter"]["rate"] for r in body["rows"]} == {
        org.n1.name: "0.33",
        org.n2.name: "0.20",
    }
    assert len(body["trend"]) == 12 and body["basis"] == "weighted" and body["basis_text"]
    assert {b["code"] for b in body["v_bins"]} >= {"met", "no_quota"}
    assert body["grades"] and "anomalies" in body and body["policy"]["z_threshold"] == "2.00"
    own = client.get("/api/performance/dashboard", **token_for(org.rita)).json()
    assert own["level"] == "none" and own["rows"] == [] and own["total"]["quarter"]["rate"] == "0.40"
    auth = token_for(org.dora)
    for params in (
        {"basis": "hope"},
        {"period_kind": "week"},
        {"day": "not-a-day"},
        {"day": "9999-12-31"},
        {"unit_id": "x"},
        {"unit_id": 0},
    ):
        assert client.get("/api/performance/dashboard", params, **auth).status_code == 422, params
    assert client.get("/api/performance/dashboard", {"unit_id": org.s1.pk}, **auth).status_code == 404
    assert (
        client.get("/api/performance/dashboard", {"owner_id": org.tom.pk}, **token_for(org.rita)).status_code
        == 404
    )
    assert client.get("/api/performance/dashboard").status_code == 401


# --- pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_page_renders(client, org, no_gates, language):
    world(org)
    client.force_login(org.dora)
    url = reverse("performance_dashboard")
    res = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert res.status_code == 200
    html = res.content.decode()
    assert 'data-testid="dashboard-grid"' in html and f'data-unit="{org.n1.pk}"' in html
    assert 'data-chart="dashboard-attainment"' in html and 'data-chart="dashboard-trend"' in html
    assert f'lang="{language}"' in html.lower() or language[:2] in html[:400]
    drill = client.get(url, {"unit_id": org.n1.pk}, HTTP_ACCEPT_LANGUAGE=language)
    assert drill.status_code == 200 and f'data-rep="{org.rita.pk}"' in drill.content.decode()
    assert client.get(url, {"unit_id": org.s1.pk}).status_code == 404
    assert client.get(url, {"basis": "nope"}).status_code == 422


def test_page_for_a_rep_and_the_export(client, org, no_gates):
    world(org)
    client.force_login(org.rita)
    url = reverse("performance_dashboard")
    assert client.get(url).status_code == 200
    client.force_login(org.ada)
    res = client.get(url, {"format": "xlsx"})
    assert res.status_code == 200
    book = load_workbook(io.BytesIO(res.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    north = next(r for r in rows if r[0] == org.north.name)
    assert D(str(north[5])) == D("2000000") and D(str(north[6])) == D("550000")
    assert D(str(north[7])).quantize(D("0.01")) == D("0.28")
    assert len(book.worksheets) >= 5
    assert client.get(url, {"format": "csv"}).status_code == 200


def test_home_strips(client, org, no_gates):
    world(org)
    client.force_login(org.rita)
    html = client.get("/").content.decode()
    assert 'data-testid="home-attainment"' in html and 'data-kind="total"' in html
    client.force_login(org.dora)
    html = client.get("/").content.decode()
    assert 'data-testid="home-attainment"' in html and f'data-unit="{org.n1.pk}"' in html


def test_home_strip_cost_is_fixed(client, org, no_gates):
    from kadence.performance.wiring import attainment_slot

    world(org)
    today = timezone.localdate()
    counts = {}
    for persona in ("rita", "mona", "dora", "ada"):
        user = getattr(org, persona)
        attainment_slot(user, today)  # the user's reach is computed once and kept on the user
        counts[persona] = _queries(lambda user=user: attainment_slot(user, today))
    _more(org, 4)
    for persona, n in counts.items():
        user = getattr(org, persona)
        assert _queries(lambda user=user: attainment_slot(user, today)) == n <= 10, persona


def test_home_strip_hidden_without_targets_or_bookings(org, no_gates):
    from kadence.performance.wiring import attainment_slot

    today = timezone.localdate()
    assert attainment_slot(org.rita, today) is None
    Target.objects.create(
        user=org.rita, period_kind="month", period_start=today.replace(day=1), amount=D("1000")
    )
    slot = attainment_slot(org.rita, today)
    assert slot is not None and slot["level"] == "none" and slot["total"].month.target == D("1000")
