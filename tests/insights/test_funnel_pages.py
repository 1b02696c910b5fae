"""The funnel page, its trend fragment and export, the reports index, and the funnel API: who sees
what (a rep only themselves, a manager the team, a director the region), exact figures on a small
fixture, invalid input, formula-safe exports, query counts that do not grow with the data, both
languages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kadence.core.visibility import resolve_scope
from kadence.deals.models import Expense, ExpenseBudget, ExpenseCategory
from kadence.insights.selectors.analysis import month_ends, open_pipeline_at, quarter_of
from kadence.insights.selectors.funnel import Slice, funnel_report
from kadence.pipeline import services, summary
from kadence.pipeline.models import LossReason, Opportunity, ProcessTemplate, ProductLine, Stage, StageChange
from tests.versions import opp_version

TODAY = timezone.localdate  # called in each test: a run may cross midnight


def _stage(order: int) -> Stage:
    return Stage.objects.get(template__is_default=True, order=order)


def _deal(owner, account, order: int, amount: str, close: date, name: str = "") -> Opportunity:
    return services.opportunity_create(
        owner,
        account_id=account.pk,
        name=name or f"deal {Opportunity.objects.count()}",
        amount=amount,
        stage_id=_stage(order).pk,
        expected_close_date=close,
    )


def build_world(org) -> SimpleNamespace:
    """Open today (default template, probabilities I 10 %, C 25 %, Q 50 %, D 75 %):
    rita   opp 1,200,000 at stage 1 (closes next quarter), a 400,000 at stage 5 (this quarter)
    tom    b 200,000 at stage 5 (this quarter)
    nick   c 100,000 at stage 6, in the stage for 40 days (stalled; this quarter)
    sara   sara_opp 300,000 at stage 1 (this quarter)
    rita also won 500,000 (created 20 days ago at stage 5) and lost 100,000 from stage 3.
    Targets this quarter: north 1,000,000, north-1 500,000. Deal a: budget 10,000, spent 4,000."""
    from kadence.accounts.services import account_create

    q_start, q_end = quarter_of(TODAY())
    ns = org
    ns.q_end = q_end
    ns.nick_account = account_create(
        org.nick, name="天津港", industry_id=org.industry.pk, region_id=org.north.pk
    )
    ns.a = _deal(org.rita, org.account, 5, "400000", q_end)
    ns.tom_account = account_create(
        org.tom, name="北京地铁", industry_id=org.industry.pk, region_id=org.north.pk
    )
    ns.b = _deal(org.tom, ns.tom_account, 5, "200000", q_end)
    ns.c = _deal(org.nick, ns.nick_account, 6, "100000", q_end)
    ns.won = _deal(org.rita, org.account, 5, "500000", q_end)
    services.opportunity_close_won(org.rita, ns.won.pk, version=opp_version(ns.won.pk))
    ns.lost = _deal(org.rita, org.account, 3, "100000", q_end)
    services.opportunity_close_lost(
        org.rita, ns.lost.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(ns.lost.pk)
    )
    now = timezone.now()
    Opportunity.objects.filter(pk=ns.won.pk).update(created_at=now - timedelta(days=20))
    StageChange.objects.filter(opportunity=ns.won, kind="created").update(changed_at=now - timedelta(days=20))
    Opportunity.objects.filter(pk=ns.c.pk).update(stage_entered_at=now - timedelta(days=40))
    Opportunity.objects.filter(pk=org.opp.pk).update(expected_close_date=q_end + timedelta(days=1))
    Opportunity.objects.filter(pk=org.sara_opp.pk).update(expected_close_date=q_end)
    summary.rebuild()
    from kadence.planning.models import Target

    Target.objects.create(unit=org.north, period_kind="quarter", period_start=q_start, amount="1000000")
    Target.objects.create(unit=org.n1, period_kind="quarter", period_start=q_start, amount="500000")
    category = ExpenseCategory.objects.first() or ExpenseCategory.objects.create(
        code="travel", name_zh="差旅", name_en="Travel"
    )
    ExpenseBudget.objects.create(opportunity=ns.a, category=category, amount="10000")
    Expense.objects.create(
        opportunity=ns.a, category=category, amount="4000", spent_on=TODAY(), description="trip"
    )
    return ns


@pytest.fixture
def world(org, no_gates):
    return build_world(org)


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _get(client, user, name, expect=200, **params):
    client.force_login(user)
    response = client.get(reverse(name), params)
    assert response.status_code == expect, (response.status_code, response.content[:1500])
    return response


def _api(client, user, path, token_for, expect=200, **params):
    response = client.get(path, params, **token_for(user))
    assert response.status_code == expect, (response.status_code, response.content[:1500])
    return response.json()


# --- exact figures -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fixture_levels_are_what_the_figures_assume(world):
    assert [str(o.probability) for o in (world.opp, world.a, world.b, world.c)] == [
        "10.00",
        "50.00",
        "50.00",
        "75.00",
    ]


@pytest.mark.django_db
def test_api_funnel_of_a_rep_with_exact_figures(world, client, token_for):
    body = _api(client, world.rita, "/api/reports/funnel", token_for)
    assert body["scope"] == {"kind": "owner", "label": "Rita", "unit_id": None, "owner_id": world.rita.pk}
    assert body["source"] == "summary" and body["source_label"]
    assert body["template"]["code"] == "tianlong8" and body["as_of"] == TODAY().isoformat()
    assert body["totals"] == {"count": 2, "amount": "1600000.00", "weighted": "320000.00", "avg_age": "0.0"}
    stages = {s["order"]: s for s in body["stages"]}
    assert len(stages) == 7  # the closing stage is not a funnel row
    assert (
        stages[1]["count"] == 1
        and stages[1]["amount"] == "1200000.00"
        and stages[1]["weighted"] == "120000.00"
    )
    assert stages[5]["count"] == 1 and stages[5]["weighted"] == "200000.00"
    assert stages[5]["advanced"] == 1 and stages[5]["conversion"] == "1.0000"
    assert stages[3]["lost"] == 1 and stages[3]["conversion"] == "0.0000"
    assert stages[2]["conversion"] is None and stages[2]["avg_age"] is None
    assert (body["won"], body["lost"], body["won_amount"], body["win_rate"]) == (1, 1, "500000.00", "0.5000")
    assert body["avg_won_amount"] == "500000.00" and body["cycle_days"] == "20.0"
    assert body["open_qualified"] == 1 and body["velocity"] == "12500.00"  # 1 × 0.5 × 500,000 ÷ 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, count, amount, weighted, velocity",
    [
        ("mona", 3, "1800000.00", "420000.00", "25000.00"),
        ("dora", 4, "1900000.00", "495000.00", "37500.00"),
        ("ada", 5, "2200000.00", "525000.00", "37500.00"),
        ("sven", 1, "300000.00", "30000.00", None),
    ],
)
def test_api_funnel_follows_the_role(world, client, token_for, who, count, amount, weighted, velocity):
    body = _api(client, getattr(world, who), "/api/reports/funnel", token_for)
    assert (body["totals"]["count"], body["totals"]["amount"], body["totals"]["weighted"]) == (
        count,
        amount,
        weighted,
    )
    assert body["velocity"] == velocity
    assert sum(s["count"] for s in body["stages"]) == count


@pytest.mark.django_db
def test_api_scopes_and_reach(world, client, token_for):
    rita, mona, dora, sven = world.rita, world.mona, world.dora, world.sven
    path = "/api/reports/funnel"
    assert _api(client, rita, path, token_for, owner_id=rita.pk)["totals"]["count"] == 2
    for params in ({"unit_id": world.n1.pk}, {"owner_id": world.tom.pk}):
        assert _api(client, rita, path, token_for, expect=404, **params)["code"] == "not_found"
    assert _api(client, mona, path, token_for, owner_id=world.tom.pk)["totals"]["count"] == 1
    _api(client, mona, path, token_for, expect=404, unit_id=world.n2.pk)
    _api(client, mona, path, token_for, expect=404, owner_id=world.nick.pk)
    body = _api(client, dora, path, token_for, unit_id=world.n2.pk)
    assert (
        body["scope"]["kind"] == "unit"
        and body["scope"]["label"] == "north-2"
        and body["totals"]["count"] == 1
    )
    _api(client, dora, path, token_for, expect=404, unit_id=world.s1.pk)
    _api(client, dora, path, token_for, expect=404, owner_id=world.sara.pk)
    _api(client, sven, path, token_for, expect=404, unit_id=world.north.pk)
    _api(client, sven, "/api/reports/analysis", token_for, expect=404, unit_id=world.north.pk)
    _api(client, sven, "/api/reports/funnel/trend", token_for, expect=404, unit_id=world.north.pk)
    assert client.get(path).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"as_of": "2026-13-01"},
        {"as_of": "tomorrow"},
        {"template_id": 0},
        {"template_id": 999999},
        {"product_line_id": 999999},
        {"industry_id": 999999},
        {"account_size": "giant"},
        {"unit_id": "x"},
        {"unit_id": 2**63},
        {"future": True},
    ],
)
def test_api_invalid_parameters_answer_422(world, client, token_for, params):
    if params.get("future"):
        params = {"as_of": (TODAY() + timedelta(days=1)).isoformat()}
    body = _api(client, world.ada, "/api/reports/funnel", token_for, expect=422, **params)
    assert body["code"] == "validation_failed"


@pytest.mark.django_db
def test_api_unit_and_seller_together_is_422(world, client, token_for):
    body = _api(
        client,
        world.ada,
        "/api/reports/funnel",
        token_for,
        expect=422,
        unit_id=world.n1.pk,
        owner_id=world.rita.pk,
    )
    assert "owner_id" in body["errors"]


@pytest.mark.django_db
def test_api_past_as_of_and_slices(world, client, token_for):
    yesterday = (TODAY() - timedelta(days=1)).isoformat()
    body = _api(client, world.rita, "/api/reports/funnel", token_for, as_of=yesterday)
    assert body["source"] == "history" and body["as_of"] == yesterday
    # only the won deal existed yesterday (created 20 days ago, at stage 5): it was open then
    assert body["totals"]["count"] == 1 and body["totals"]["amount"] == "500000.00"
    assert body["won"] == 0
    line = ProductLine.objects.create(code="scada", name_zh="监控系统", name_en="SCADA")
    world.a.product_lines.add(line)
    body = _api(client, world.mona, "/api/reports/funnel", token_for, product_line_id=line.pk)
    assert (
        body["source"] == "live"
        and body["totals"]["count"] == 1
        and body["slice"]["product_line_id"] == line.pk
    )
    body = _api(client, world.mona, "/api/reports/funnel", token_for, account_size="large")
    assert body["totals"]["count"] == 0
    body = _api(client, world.ada, "/api/reports/funnel", token_for, industry_id=world.industry.pk)
    assert body["totals"]["count"] == 4  # sara's account is telecom


@pytest.mark.django_db
def test_api_trend(world, client, token_for):
    body = _api(client, world.mona, "/api/reports/funnel/trend", token_for)
    points = body["points"]
    assert [p["as_of"] for p in points] == [d.isoformat() for d in month_ends(TODAY())]
    assert len(points) == 7 and points[-1]["source"] == "summary"
    assert points[-1]["weighted"] == "420000.00" and points[-1]["amount"] == "1800000.00"
    assert all(p["source"] == "summary" for p in points[:-1])  # the month-end summary
    assert body["scope"]["kind"] == "all"


def spread_history(world) -> tuple[Opportunity, Opportunity]:
    """Two more deals (moves, a loss, a reopening) and the history of five deals spread over the last
    seven months, some rows out of id order; the summaries are not rebuilt."""
    stages = list(Stage.objects.filter(template__is_default=True).order_by("order"))
    d1 = _deal(world.rita, world.account, 1, "123456.78", world.q_end)
    services.opportunity_move_stage(world.rita, d1.pk, stage_id=stages[3].pk, version=opp_version(d1.pk))
    services.opportunity_move_stage(world.rita, d1.pk, stage_id=stages[1].pk, version=opp_version(d1.pk))
    d2 = _deal(world.tom, world.tom_account, 2, "99999.99", world.q_end)
    services.opportunity_close_lost(
        world.tom, d2.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(d2.pk)
    )
    services.opportunity_reopen(world.tom, d2.pk, reason="客户重新招标", version=opp_version(d2.pk))
    services.opportunity_move_stage(world.tom, d2.pk, stage_id=stages[4].pk, version=opp_version(d2.pk))
    now = timezone.now()
    ages = iter([170, 120, 60, 150, 140, 100, 30, 200, 45, 10, 75, 5, 90, 130, 20])
    rows = StageChange.objects.filter(opportunity__in=[d1, d2, world.a, world.c, world.won]).order_by("id")
    for row in rows:
        StageChange.objects.filter(pk=row.pk).update(changed_at=now - timedelta(days=next(ages, 3)))
    return d1, d2


@pytest.mark.django_db
def test_one_pass_history_equals_funnel_report_at_every_month_end(world):
    """Histories spread over the last months, some rows out of id order, reopen and move back."""
    d1, d2 = spread_history(world)
    summary.rebuild()
    days = month_ends(TODAY())
    for user in (world.rita, world.mona, world.dora, world.ada):
        scope = resolve_scope(user)
        template = ProcessTemplate.objects.get(is_default=True)
        fast = open_pipeline_at(scope, template, Slice(), days[:-1])
        for day in days[:-1]:
            slow = funnel_report(user, scope, template=template, as_of=day, today=TODAY())
            assert (fast[day].count, fast[day].amount, fast[day].weighted) == (
                slow.count,
                slow.amount.quantize(Decimal("0.01")),
                slow.weighted,
            ), (user, day)
    assert any(fast[day].count for day in days[:-1])
    cut = Slice(industry_id=world.industry.pk)
    fast = open_pipeline_at(resolve_scope(world.ada), template, cut, days[:-1])
    for day in days[:-1]:
        assert (
            fast[day].count
            == funnel_report(
                world.ada, resolve_scope(world.ada), template=template, as_of=day, today=TODAY(), cut=cut
            ).count
        )


def test_month_ends():
    assert month_ends(date(2026, 3, 15), 3) == [
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 15),
    ]
    assert month_ends(date(2024, 3, 1), 1) == [date(2024, 2, 29), date(2024, 3, 1)]


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_funnel_page_for_a_rep_shows_their_figures_and_no_scope_selector(world, client):
    page = _get(client, world.rita, "funnel")
    html = page.content.decode()
    assert 'data-testid="funnel-unit"' not in html and 'data-testid="funnel-owner"' not in html
    assert page.context["totals"].count == 2 and page.context["report"].scope.owner == world.rita
    assert page.context["win_rate"] == Decimal("50.0")
    assert 'data-testid="velocity">12,500<' in html and 'data-source="summary"' in html
    assert "from summaries" in html and 'data-chart="funnel-figure"' in html
    funnel = page.context["figure"]["data"][0]
    assert funnel["type"] == "funnel" and funnel["x"][0] == 1.0 and len(funnel["y"]) == 7
    _get(client, world.rita, "funnel", expect=404, unit_id=world.n1.pk)
    _get(client, world.rita, "funnel", expect=404, owner_id=world.tom.pk)


@pytest.mark.django_db
def test_funnel_page_for_managers_and_directors(world, client):
    page = _get(client, world.mona, "funnel")
    assert page.context["totals"].count == 3
    assert [u[0] for u in page.context["units"]] == [world.n1.pk]
    assert {s.pk for s in page.context["sellers"]} >= {world.rita.pk, world.tom.pk}
    assert world.nick.pk not in {s.pk for s in page.context["sellers"]}
    _get(client, world.mona, "funnel", expect=404, unit_id=world.n2.pk)
    page = _get(client, world.dora, "funnel", unit_id=world.n2.pk, measure="amount")
    assert page.context["totals"].count == 1 and page.context["figure"]["data"][0]["x"][5] == 100000.0
    _get(client, world.dora, "funnel", expect=404, unit_id=world.s1.pk)
    page = _get(client, world.dora, "funnel", as_of=(TODAY() - timedelta(days=1)).isoformat())
    assert "reconstructed from the stage history" in page.content.decode()


@pytest.mark.django_db
def test_funnel_page_with_invalid_settings_shows_the_defaults_and_the_error(world, client):
    page = _get(client, world.mona, "funnel", expect=422, as_of="nonsense")
    assert page.context["error"].errors.get("as_of") and page.context["totals"].count == 3
    page = _get(client, world.mona, "funnel", expect=422, as_of=(TODAY() + timedelta(days=3)).isoformat())
    assert page.context["inputs"].as_of == TODAY()
    _get(client, world.ada, "funnel", expect=422, unit_id=world.n1.pk, owner_id=world.rita.pk)
    _get(client, world.ada, "funnel", expect=422, template_id=999999)


@pytest.mark.django_db
def test_trend_fragment(world, client):
    page = _get(client, world.mona, "funnel_trend")
    assert [p.weighted for p in page.context["points"]][-1] == Decimal("420000.00")
    figure = page.context["figure"]
    assert [t["type"] for t in figure["data"]] == ["scatter", "scatter"] and figure["data"][0]["y"][
        -1
    ] == 420000.0
    assert 'data-chart="funnel-trend-figure"' in page.content.decode()
    _get(client, world.rita, "funnel_trend", expect=404, unit_id=world.n1.pk)
    funnel_page = _get(client, world.mona, "funnel").content.decode()
    assert f'hx-get="{reverse("funnel_trend")}?' in funnel_page


def _cells(response) -> list:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]


@pytest.mark.django_db
def test_funnel_export_has_stage_rows_only_and_neutralises_formulas(world, client):
    _deal(world.rita, world.account, 2, "1000", world.q_end, name="=cmd|' /C calc'!A0")
    Stage.objects.filter(pk=_stage(1).pk).update(name_en='=HYPERLINK("http://x")')
    response = _get(client, world.rita, "funnel", format="xlsx")
    cells = _cells(response)
    texts = [c for c in cells if isinstance(c, str)]
    assert not any("cmd" in t for t in texts)
    assert not any(t.startswith("=") for t in texts)
    assert '\'=HYPERLINK("http://x")' in texts
    assert Decimal("1601000") in [Decimal(str(c)) for c in cells if isinstance(c, int | float | Decimal)]


@pytest.mark.django_db
def test_reports_index_and_nav(world, client):
    html = _get(client, world.rita, "reports").content.decode()
    assert reverse("funnel") in html and 'data-testid="report-analysis"' not in html
    assert reverse("cost_of_sale") in html and reverse("gate_overrides") in html
    assert 'data-testid="nav-reports" class="active"' in html
    html = _get(client, world.mona, "reports").content.decode()
    assert reverse("funnel_analysis") in html
    html = _get(client, world.mona, "funnel").content.decode()
    assert 'data-testid="nav-reports" class="active"' in html
    html = _get(client, world.mona, "home").content.decode()
    assert 'data-testid="nav-reports"' in html and 'data-testid="nav-reports" class="active"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language, word", [("en", "Funnel"), ("zh-hans", 'lang="zh-hans"')])
def test_pages_render_in_both_languages(world, language, word):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.dora)
    for name in ("reports", "funnel", "funnel_trend", "funnel_analysis"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        if name != "funnel_trend":
            assert word in response.content.decode()


@pytest.mark.django_db
def test_login_required(client):
    for name in ("reports", "funnel", "funnel_trend", "funnel_analysis"):
        assert client.get(reverse(name)).status_code == 302


# --- speed: query counts do not grow with the data -----------------------------------------------


def _count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_counts_are_independent_of_data_volume(world, client, django_assert_max_num_queries):
    client.force_login(world.ada)
    urls = [
        (reverse("funnel"), {}),
        (reverse("funnel"), {"as_of": (TODAY() - timedelta(days=40)).isoformat()}),
        (reverse("funnel"), {"industry_id": world.industry.pk}),
        (reverse("funnel_trend"), {}),
        (reverse("funnel_analysis"), {}),
        (reverse("funnel_analysis"), {"unit_id": world.n1.pk}),
        (reverse("funnel"), {"format": "xlsx"}),
        (reverse("funnel_analysis"), {"format": "xlsx"}),
    ]
    _count_queries(client, reverse("funnel"))  # warm up: the session, the policy row created on first use
    _count_queries(client, reverse("funnel_trend"))  # and the month-ends, built by their first read
    before = [_count_queries(client, url, params) for url, params in urls]
    for i in range(6):
        owner, account = [
            (world.rita, world.account),
            (world.tom, world.tom_account),
            (world.nick, world.nick_account),
        ][i % 3]
        deal = _deal(owner, account, 1 + i % 6, str(10000 * (i + 1)), world.q_end)
        if i % 2:
            services.opportunity_close_won(owner, deal.pk, version=opp_version(deal.pk))
    after = [_count_queries(client, url, params) for url, params in urls]
    assert after == before
    with django_assert_max_num_queries(20):
        client.get(reverse("funnel"))
    with django_assert_max_num_queries(20):
        client.get(reverse("funnel_analysis"))
    with django_assert_max_num_queries(60):
        client.get(reverse("funnel_trend"))


@pytest.mark.django_db
def test_template_switch(world, client, token_for):
    other = ProcessTemplate.objects.filter(is_active=True, is_default=False).first()
    body = _api(client, world.ada, "/api/reports/funnel", token_for, template_id=other.pk)
    assert body["template"]["id"] == other.pk and body["totals"]["count"] == 0
    assert len(body["stages"]) == Stage.objects.filter(template=other, is_won=False).count()
