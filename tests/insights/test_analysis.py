"""The manager's funnel analysis (METHODOLOGY §8.5): rows per child unit or seller with exact figures,
drill-down within reach only, anomalies against the parent, stall proxy at its boundary, expense
execution, export without formulas, the API's shape."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from kadence.core.models import User
from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.analysis import funnel_analysis
from kadence.pipeline import services, summary
from kadence.pipeline.models import Opportunity, StageChange
from tests.insights.test_funnel_pages import TODAY, _deal, build_world
from tests.versions import opp_version


@pytest.fixture
def world(org, no_gates):
    return build_world(org)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _analysis(user, **ids):
    return funnel_analysis(user, resolve_scope(user, **ids), today=TODAY())


def _by_label(report):
    return {row.label: row for row in report.rows}


def _anomalies(report):
    return sorted((row.label, a.metric, a.direction) for row, a in report.anomalies)


@pytest.mark.django_db
def test_director_sees_teams_with_exact_figures_and_anomalies(world):
    report = _analysis(world.dora)
    assert report.child_kind == "unit" and report.parent_label == "north"
    rows = _by_label(report)
    assert list(rows) == ["north-1", "north-2"]
    n1, n2 = rows["north-1"].metrics, rows["north-2"].metrics
    assert (n1.open_count, n1.amount, n1.weighted, n1.qualified) == (
        3,
        Decimal("1800000"),
        Decimal("420000.00"),
        2,
    )
    assert (n1.quarter_amount, n1.target, n1.coverage) == (
        Decimal("600000"),
        Decimal("500000"),
        Decimal("1.2000"),
    )
    assert (n1.win_rate, n1.velocity, n1.sellers, n1.velocity_per_seller) == (
        Decimal("0.5000"),
        Decimal("25000.00"),
        2,
        Decimal("12500.00"),
    )
    assert (n1.stalled, n1.stall_rate, n1.spent, n1.budget, n1.expense_execution) == (
        0,
        Decimal("0.0000"),
        Decimal("4000"),
        Decimal("10000"),
        Decimal("0.4000"),
    )
    assert (n2.open_count, n2.weighted, n2.coverage, n2.win_rate, n2.velocity) == (
        1,
        Decimal("75000.00"),
        None,
        None,
        None,
    )
    assert (n2.stalled, n2.stall_rate, n2.expense_execution) == (1, Decimal("1.0000"), None)
    parent = report.parent
    assert (parent.open_count, parent.amount, parent.target, parent.coverage) == (
        4,
        Decimal("1900000"),
        Decimal("1000000"),
        Decimal("0.7000"),
    )
    assert (parent.velocity, parent.sellers, parent.velocity_per_seller, parent.stall_rate) == (
        Decimal("37500.00"),
        3,
        Decimal("12500.00"),
        Decimal("0.2500"),
    )
    assert _anomalies(report) == [
        ("north-1", "coverage", "better"),
        ("north-1", "stall_rate", "better"),
        ("north-2", "stall_rate", "worse"),
    ]
    assert [c.label for c in report.crumbs] == ["co", "north"]
    assert [c.reachable for c in report.crumbs] == [False, True]


@pytest.mark.django_db
def test_velocity_anomalies_compare_per_seller(world):
    won = _deal(world.nick, world.nick_account, 5, "300000", world.q_end)
    services.opportunity_close_won(world.nick, won.pk, version=opp_version(won.pk))
    ten_days_ago = timezone.now() - timedelta(days=10)
    Opportunity.objects.filter(pk=won.pk).update(created_at=ten_days_ago)
    StageChange.objects.filter(opportunity=won, kind="created").update(changed_at=ten_days_ago)
    summary.rebuild()
    report = _analysis(world.dora)
    rows = _by_label(report)
    assert rows["north-2"].metrics.velocity == Decimal("30000.00")  # 1 × 1 × 300,000 ÷ 10
    # 3 qualified × 2/3 × 400,000 ÷ 15 days = 53,333.33 per day; 3 sellers
    assert (report.parent.velocity, report.parent.velocity_per_seller) == (
        Decimal("53333.33"),
        Decimal("17777.78"),
    )
    assert rows["north-1"].metrics.velocity_per_seller == Decimal("12500.00")  # −29.7 %: not an anomaly
    found = {(row.label, a.metric): a for row, a in report.anomalies}
    assert ("north-1", "velocity") not in found
    assert found[("north-2", "velocity")].direction == "better"
    assert found[("north-2", "velocity")].relative.quantize(Decimal("0.0001")) == Decimal("0.6875")
    assert found[("north-2", "win_rate")].direction == "better"


@pytest.mark.django_db
def test_manager_sees_sellers_and_company_sees_regions(world):
    report = _analysis(world.mona)
    assert report.child_kind == "owner" and list(_by_label(report)) == ["Rita", "Tom"]
    assert [r.metrics.open_count for r in report.rows] == [2, 1] and report.anomalies == []
    report = _analysis(world.ada)
    assert report.child_kind == "unit" and [r.unit for r in report.rows] == [world.north, world.south]
    # velocity per seller: north 37,500 ÷ 3 = 12,500 against the company's 37,500 ÷ 4 = 9,375 (+33 %)
    assert report.parent.velocity_per_seller == Decimal("9375.00")
    assert _anomalies(report) == [("north", "velocity", "better"), ("south", "stall_rate", "better")]
    drilled = _analysis(world.ada, unit_id=world.north.pk)
    assert [r.unit for r in drilled.rows] == [world.n1, world.n2]
    assert [r.metrics.weighted for r in drilled.rows] == [Decimal("420000.00"), Decimal("75000.00")]
    seller = _analysis(world.dora, owner_id=world.nick.pk)
    assert (
        seller.child_kind == "" and [r.owner for r in seller.rows] == [world.nick] and seller.anomalies == []
    )


@pytest.mark.django_db
def test_deals_booked_on_the_parent_unit_get_their_own_row(world):
    from kadence.accounts.services import account_create

    account = account_create(
        world.dora, name="河北电力", industry_id=world.industry.pk, region_id=world.north.pk
    )
    _deal(world.dora, account, 2, "50000", world.q_end)
    report = _analysis(world.dora)
    direct = [r for r in report.rows if r.kind == "direct"]
    assert len(direct) == 1 and direct[0].metrics.open_count == 1 and direct[0].drill is None
    assert report.parent.open_count == 5 and direct[0].anomalies == []


@pytest.mark.django_db
@pytest.mark.parametrize("days, stalled", [(31, 0), (32, 1)])
def test_stall_proxy_boundary(world, days, stalled):
    """Stage 6 has 21 standard days; 1.5 × 21 = 31.5, so 31 whole days are allowed."""
    Opportunity.objects.filter(pk=world.c.pk).update(stage_entered_at=timezone.now() - timedelta(days=days))
    assert _analysis(world.nick).parent.stalled == stalled


@pytest.mark.django_db
def test_pages_drill_down_within_reach(world, client):
    client.force_login(world.dora)
    page = client.get(reverse("funnel_analysis"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="?unit_id={world.n1.pk}" data-testid="drill"' in html
    assert html.count('data-testid="anomaly"') == 3 and html.count('data-testid="anomaly-badge"') == 3
    page = client.get(reverse("funnel_analysis"), {"unit_id": world.n1.pk})
    assert (
        page.status_code == 200
        and f'href="?owner_id={world.rita.pk}" data-testid="drill"' in page.content.decode()
    )
    assert client.get(reverse("funnel_analysis"), {"unit_id": world.s1.pk}).status_code == 404
    assert client.get(reverse("funnel_analysis"), {"owner_id": world.sara.pk}).status_code == 404
    assert (
        client.get(
            reverse("funnel_analysis"), {"unit_id": world.n1.pk, "owner_id": world.rita.pk}
        ).status_code
        == 422
    )
    assert client.get(reverse("funnel_analysis"), {"unit_id": "abc"}).status_code == 422
    client.force_login(world.rita)
    page = client.get(reverse("funnel_analysis"))
    assert page.status_code == 200 and len(page.context["rows"]) == 1
    assert 'data-testid="analysis-anomalies"' not in page.content.decode()
    assert client.get(reverse("funnel_analysis"), {"unit_id": world.n1.pk}).status_code == 404
    client.force_login(world.sven)
    assert client.get(reverse("funnel_analysis"), {"unit_id": world.north.pk}).status_code == 404
    client.force_login(world.mona)
    assert "No anomalies." in client.get(reverse("funnel_analysis")).content.decode()


@pytest.mark.django_db
def test_api_shape(world, client, token_for):
    response = client.get("/api/reports/analysis", **token_for(world.dora))
    assert response.status_code == 200
    body = response.json()
    assert (
        body["child_kind"] == "unit"
        and body["anomaly_threshold"] == "0.30"
        and body["stall_factor"] == "1.50"
    )
    assert body["scope"]["kind"] == "all"
    row = body["rows"][0]
    assert row["kind"] == "unit" and row["unit_id"] == world.n1.pk and row["owner_id"] is None
    assert row["metrics"] == {
        "open_count": 3,
        "amount": "1800000.00",
        "weighted": "420000.00",
        "quarter_amount": "600000.00",
        "target": "500000.00",
        "coverage": "1.2000",
        "won": 1,
        "lost": 1,
        "win_rate": "0.5000",
        "avg_won_amount": "500000.00",
        "cycle_days": "20.0",
        "velocity": "25000.00",
        "sellers": 2,
        "velocity_per_seller": "12500.00",
        "stalled": 0,
        "stall_rate": "0.0000",
        "spent": "4000.00",
        "budget": "10000.00",
        "expense_execution": "0.4000",
    }
    assert row["anomalies"][0] == {
        "metric": "coverage",
        "value": "1.2000",
        "parent": "0.7000",
        "relative": "0.7143",
        "direction": "better",
    }
    assert body["parent"]["stall_rate"] == "0.2500"
    assert (
        client.get("/api/reports/analysis", {"unit_id": world.n1.pk}, **token_for(world.rita)).status_code
        == 404
    )
    assert client.get("/api/reports/analysis", {"unit_id": 0}, **token_for(world.dora)).status_code == 422
    body = client.get("/api/reports/analysis", {"owner_id": world.rita.pk}, **token_for(world.mona)).json()
    assert body["child_kind"] == "" and body["rows"][0]["owner_id"] == world.rita.pk


@pytest.mark.django_db
def test_export_neutralises_a_seller_named_like_a_formula(world, client):
    from kadence.accounts.services import account_create

    evil = User.objects.create_user(
        username="evil", password="x", role=User.Role.REP, org_unit=world.n1, display_name="=x+HYPERLINK(1)"
    )
    account = account_create(evil, name="某客户", industry_id=world.industry.pk, region_id=world.north.pk)
    _deal(evil, account, 1, "1000", world.q_end, name="=cmd")
    client.force_login(world.mona)
    response = client.get(reverse("funnel_analysis"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    texts = [c for c in cells if isinstance(c, str)]
    assert "'=x+HYPERLINK(1)" in texts and not any(t.startswith("=") for t in texts)
    assert not any("cmd" in t for t in texts)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name" and [r[0] for r in rows[1:-1]] == ["'=x+HYPERLINK(1)", "Rita", "Tom"]
    assert rows[-1][1] == 4  # total open deals of the team
