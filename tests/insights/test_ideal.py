"""The ideal funnel (METHODOLOGY §8.3), its comparison with the real funnel (§8.4) and the capacity and
velocity check through the selector, the page (with its xlsx export) and the API, for named personas."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kadence.core.visibility import resolve_scope
from kadence.domain import capacity as cap
from kadence.domain.periods import Period, period_containing
from kadence.insights.selectors.ideal import capacity_report, ideal_for, ideal_report
from kadence.pipeline import services, summary
from kadence.pipeline.models import LossReason, Opportunity, ProcessTemplate, Stage
from kadence.planning.models import ForecastPolicy
from kadence.planning.services.targets import target_create
from tests.versions import opp_version

TODAY = timezone.localdate  # called in each test: a run may cross midnight
YEAR = Period("year", TODAY().replace(month=1, day=1))
QUARTER = period_containing("quarter", TODAY())
LADDER = ["identified", "contacted", "qualified", "developed", "committed"]
MONTHS_AS_DAYS = {"identified": 45, "contacted": 45, "qualified": 30, "developed": 30, "committed": 15}


@pytest.fixture
def lenovo(db):
    """The Lenovo level template (seed 004): one stage per rung I, C, Q, D, C90, as in the worked examples."""
    return ProcessTemplate.objects.get(code="lenovo5")


def stage(template, code):
    return Stage.objects.get(template=template, code=code)


def deal(org, template, code, amount="100000", owner=None, close=None, name=None):
    owner = owner or org.rita
    account = org.sara_account if owner == org.sara else org.account
    creator = owner if owner in (org.rita, org.sara) else org.ada  # an admin opens deals for the others
    return services.opportunity_create(
        creator,
        account_id=account.pk,
        owner_id=owner.pk,
        name=name or f"d{Opportunity.objects.count()}",
        amount=amount,
        template_id=template.pk,
        stage_id=stage(template, code).pk,
        expected_close_date=close or TODAY(),
    )


def by_code(report, attr, places="0.01"):
    return {
        s.stage.code: (getattr(s, attr).quantize(D(places)) if getattr(s, attr) is not None else None)
        for s in report.stages
    }


# --- §8.3 worked examples through the selector ---------------------------------------------------------


def test_task_method_worked_example(org, lenovo):
    report = ideal_report(
        org.ada,
        resolve_scope(org.ada),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        target=D(900),
        avg_deal=D(100),
    )
    assert report.ready and report.target_source == "typed" and report.avg_deal_source == "typed"
    assert report.wins_needed == 9
    assert by_code(report, "task") == {
        "identified": D(90),
        "contacted": D(36),
        "qualified": D(18),
        "developed": D(12),
        "committed": D(10),
    }
    assert {s.stage.code: s.probability_source for s in report.stages} == dict.fromkeys(LADDER, "configured")
    assert report.probabilities == "configured"


def test_cycle_method_worked_example_and_the_check(org, lenovo):
    days = {stage(lenovo, code).pk: D(d) for code, d in MONTHS_AS_DAYS.items()}
    report = ideal_report(
        org.ada,
        resolve_scope(org.ada),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        target=D(1200),
        avg_deal=D(100),
        duration_days=days,
    )
    assert report.months == 12 and report.wins_per_month == 1
    assert by_code(report, "wip") == {
        "identified": D("15.00"),
        "contacted": D("6.00"),
        "qualified": D("2.00"),
        "developed": D("1.33"),
        "committed": D("0.56"),
    }
    assert by_code(report, "entry_rate") == {
        "identified": D(10),
        "contacted": D(4),
        "qualified": D(2),
        "developed": D("1.33"),
        "committed": D("1.11"),
    }
    assert report.lead_days == 165 and report.lead_months == D("5.5")
    assert report.entry_deadline == YEAR.end - timedelta(days=165)
    assert report.check_right == D(550)
    assert report.check_left.quantize(D("0.000001")) == D("550.000000")
    assert {s.duration_source for s in report.stages} == {"set"}


def test_comparison_worked_example_with_exact_ratios_and_flags(org, lenovo):
    """§8.4 on the cycle example: actual 6 / 3 / 4 / 0 / 1 against WIP 15 / 6 / 2 / 1.33 / 0.56."""
    for code, n in {"identified": 6, "contacted": 3, "qualified": 4, "committed": 1}.items():
        for _i in range(n):
            deal(org, lenovo, code)
    days = {stage(lenovo, code).pk: D(d) for code, d in MONTHS_AS_DAYS.items()}
    report = ideal_report(
        org.rita,
        resolve_scope(org.rita),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        target=D(1200),
        avg_deal=D(100),
        duration_days=days,
    )
    assert [s.actual for s in report.stages] == [6, 3, 4, 0, 1]
    assert by_code(report, "ratio") == {
        "identified": D("0.40"),
        "contacted": D("0.50"),
        "qualified": D("2.00"),
        "developed": D("0.00"),
        "committed": D("1.80"),
    }
    assert [s.status for s in report.stages] == [
        "shortfall",
        "shortfall",
        "congestion",
        "shortfall",
        "congestion",
    ]
    assert report.findings == ["dry_top", "jammed_middle"]
    assert report.basis == "cycle"


def test_thresholds_come_from_the_policy(org, lenovo):
    ForecastPolicy.objects.update_or_create(
        pk=1, defaults={"shortfall_ratio": D("0.3"), "congestion_ratio": D("2.5")}
    )
    for _i in range(6):
        deal(org, lenovo, "identified")
    days = {stage(lenovo, code).pk: D(d) for code, d in MONTHS_AS_DAYS.items()}
    report = ideal_report(
        org.rita,
        resolve_scope(org.rita),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        target=D(1200),
        avg_deal=D(100),
        duration_days=days,
    )
    assert report.stages[0].status == "ok"  # 0.4 is not below 0.3


def test_missing_inputs_and_inputs_from_target_and_history(org, lenovo, no_gates):
    report = ideal_report(
        org.rita, resolve_scope(org.rita), template=lenovo, period=YEAR, as_of=TODAY(), today=TODAY()
    )
    assert not report.ready and report.missing == ["target", "avg_deal"]
    assert all(s.task is None and s.wip is None and s.status == "no_ideal" for s in report.stages)
    target_create(org.mona, user_id=org.rita.pk, period_kind="year", period_start=TODAY(), amount="900")
    won = deal(org, lenovo, "developed", amount="100")
    services.opportunity_close_won(org.rita, won.pk, version=opp_version(won.pk))
    report = ideal_report(
        org.rita, resolve_scope(org.rita), template=lenovo, period=YEAR, as_of=TODAY(), today=TODAY()
    )
    assert report.ready and report.target == D(900) and report.target_source == "target"
    assert report.avg_deal == D(100) and report.avg_deal_source == "history"
    assert by_code(report, "task")["identified"] == D(90)


def test_learned_durations_with_counts_and_fallback(org, lenovo, no_gates):
    ForecastPolicy.objects.update_or_create(pk=1, defaults={"calibration_min_outcomes": 2})
    contacted = stage(lenovo, "contacted")
    for back in (10, 20):
        d = deal(org, lenovo, "identified")
        Opportunity.objects.filter(pk=d.pk).update(stage_entered_at=timezone.now() - timedelta(days=back))
        services.opportunity_move_stage(org.rita, d.pk, stage_id=contacted.pk, version=opp_version(d.pk))
    summary.rebuild()
    report = ideal_report(
        org.rita,
        resolve_scope(org.rita),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        durations="learned",
    )
    first, second = report.stages[0], report.stages[1]
    assert (first.duration_days, first.duration_source, first.learned_count) == (D("15.0"), "learned", 2)
    assert (second.duration_days, second.duration_source, second.learned_count) == (D(30), "configured", 0)
    # another seller's history is not in rita's scope; with a higher bar the configured days stand
    assert (
        ideal_report(
            org.sara,
            resolve_scope(org.sara),
            template=lenovo,
            period=YEAR,
            as_of=TODAY(),
            today=TODAY(),
            durations="learned",
        )
        .stages[0]
        .learned_count
        == 0
    )
    ForecastPolicy.objects.filter(pk=1).update(calibration_min_outcomes=3)
    report = ideal_report(
        org.rita,
        resolve_scope(org.rita),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        durations="learned",
    )
    assert (report.stages[0].duration_days, report.stages[0].duration_source) == (D(30), "configured")
    assert report.stages[0].learned_days == D("15.0")


def test_calibrated_probabilities_are_used_when_the_template_asks(org, lenovo, monkeypatch):
    """The calibration selector gives level id → (probability %, source, outcomes); a stage takes its
    default level's calibrated value."""
    from typing import NamedTuple

    from kadence.insights.selectors import ideal

    class Effective(NamedTuple):
        probability: D
        source: str
        outcomes: int

    levels = {s.code: s.default_level_id for s in Stage.objects.filter(template=lenovo)}
    effective = {
        levels["identified"]: Effective(D(20), "calibrated", 40),
        levels["contacted"]: Effective(D(30), "calibrated", 25),
        levels["qualified"]: Effective(D(50), "configured", 3),
    }
    monkeypatch.setattr(ideal, "effective_probabilities", lambda template: effective)
    report = ideal_report(
        org.ada,
        resolve_scope(org.ada),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        target=D(900),
        avg_deal=D(100),
    )
    assert report.probabilities == "configured"  # the template is not switched to calibrated
    ProcessTemplate.objects.filter(pk=lenovo.pk).update(use_calibrated=True)
    lenovo.refresh_from_db()
    report = ideal_report(
        org.ada,
        resolve_scope(org.ada),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        target=D(900),
        avg_deal=D(100),
    )
    assert report.probabilities == "calibrated"
    assert [s.probability_source for s in report.stages][:3] == ["calibrated", "calibrated", "configured"]
    assert by_code(report, "task")["identified"] == D(45) and by_code(report, "task")["contacted"] == D(30)


def test_real_calibration_without_enough_outcomes_keeps_the_configured_probabilities(org, lenovo):
    pytest.importorskip("kadence.planning.selectors.calibration")
    ProcessTemplate.objects.filter(pk=lenovo.pk).update(use_calibrated=True)
    lenovo.refresh_from_db()
    report = ideal_report(
        org.ada,
        resolve_scope(org.ada),
        template=lenovo,
        period=YEAR,
        as_of=TODAY(),
        today=TODAY(),
        target=D(900),
        avg_deal=D(100),
    )
    assert report.probabilities == "configured" and by_code(report, "task")["identified"] == D(90)


# --- capacity and velocity ------------------------------------------------------------------------------


@pytest.fixture
def quarter_book(org, lenovo, no_gates):
    """rita's quarter: target 1,000,000; won 400,000; lost 100,000; open due 500,000 at I (stalled)
    and 1,000,000 at Q; 200,000 at C90 due after the quarter."""
    target_create(
        org.mona, user_id=org.rita.pk, period_kind="quarter", period_start=TODAY(), amount="1000000"
    )
    won = deal(org, lenovo, "identified", amount="400000")
    services.opportunity_close_won(org.rita, won.pk, version=opp_version(won.pk))
    lost = deal(org, lenovo, "identified", amount="100000")
    services.opportunity_close_lost(
        org.rita, lost.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(lost.pk)
    )
    stalled = deal(org, lenovo, "identified", amount="500000", name='=HYPERLINK("x")')
    Opportunity.objects.filter(pk=stalled.pk).update(stage_entered_at=timezone.now() - timedelta(days=60))
    qualified = deal(org, lenovo, "qualified", amount="1000000")
    deal(org, lenovo, "committed", amount="200000", close=QUARTER.end + timedelta(days=1))
    summary.rebuild()
    return {"stalled": stalled, "qualified": qualified}


def test_capacity_check_exact_figures_and_actions(org, lenovo, quarter_book):
    report = ideal_report(
        org.rita, resolve_scope(org.rita), template=lenovo, period=QUARTER, as_of=TODAY(), today=TODAY()
    )
    found = capacity_report(org.rita, report)
    f = found.figures
    assert (f.target, f.won, f.remaining) == (D(1000000), D(400000), D(600000))
    assert (f.pipeline_due, f.weighted_due) == (D(1500000), D(550000))
    assert f.coverage == D("2.5") and f.required_coverage == D(2) and not f.coverage_short
    assert f.weighted_ratio.quantize(D("0.0001")) == D("0.9167") and f.weighted_short
    assert (
        f.gap == D(50000) and f.velocity_forecast is None
    )  # the cycle of a deal won the day it was made is 0
    assert found.won_count == 1 and found.due_count == 2
    assert report.avg_deal == D(400000) and report.lead_days == 156
    # 50,000 ÷ (400,000 × 10%) = 1.25 → 2 new deals, due 156 days before the quarter ends: already past
    assert [a.kind for a in found.actions] == [cap.TOO_LATE, cap.PUSH_STALLED]
    assert found.actions[0].count == 2 and found.actions[0].by == QUARTER.end - timedelta(days=156)
    assert found.stalled_count == 1 and [d.id for d in found.stalled] == [quarter_book["stalled"].pk]
    assert found.stalled[0].days_in_stage == 60 and found.stalled[0].limit_days == 46
    assert found.actions[1].deal_ids == (quarter_book["stalled"].pk,)
    assert [(s.stage.code, s.count, s.amount) for s in found.stages][:3] == [
        ("identified", 1, D(500000)),
        ("contacted", 0, D(0)),
        ("qualified", 1, D(1000000)),
    ]
    assert [r.key for r in found.sellers] == [org.rita.pk] and found.teams == []
    assert found.sellers[0].figures == f and found.sellers[0].win_rate_source == "scope"


def test_capacity_per_seller_and_team_for_a_manager_and_director(
    org, lenovo, quarter_book, django_assert_max_num_queries
):
    deal(org, lenovo, "identified", amount="300000", owner=org.tom)
    summary.rebuild()
    with django_assert_max_num_queries(24):
        found = capacity_report(
            org.mona,
            ideal_report(
                org.mona,
                resolve_scope(org.mona),
                template=lenovo,
                period=QUARTER,
                as_of=TODAY(),
                today=TODAY(),
            ),
        )
    assert {r.label: r.figures.pipeline_due for r in found.sellers} == {"Rita": D(1500000), "Tom": D(300000)}
    tom = next(r for r in found.sellers if r.label == "Tom")
    assert tom.figures.target is None and [a.kind for a in tom.actions] == [cap.NO_TARGET]
    assert [t.key for t in found.teams] == [org.n1.pk]
    team = found.teams[0]
    assert team.target_source == "sellers" and team.figures.target == D(1000000)
    assert team.figures.pipeline_due == D(1800000) and team.stalled == 1
    assert found.figures.target is None  # no target for north-1 itself: the scope has none
    target_create(org.dora, unit_id=org.n1.pk, period_kind="quarter", period_start=TODAY(), amount="2000000")
    found = capacity_report(
        org.mona,
        ideal_report(
            org.mona, resolve_scope(org.mona), template=lenovo, period=QUARTER, as_of=TODAY(), today=TODAY()
        ),
    )
    assert found.figures.target == D(2000000) and found.teams[0].target_source == "target"
    director = capacity_report(
        org.dora,
        ideal_report(
            org.dora, resolve_scope(org.dora), template=lenovo, period=QUARTER, as_of=TODAY(), today=TODAY()
        ),
    )
    assert {r.label for r in director.sellers} == {"Rita", "Tom", "Nick"}
    assert [t.key for t in director.teams] == [org.n1.pk, org.n2.pk]
    assert director.figures.target is None  # north has no target of its own


def test_query_count_does_not_grow_with_sellers(org, lenovo, quarter_book, django_assert_max_num_queries):
    for owner in (org.tom, org.nick, org.sara):
        for _i in range(3):
            deal(org, lenovo, "qualified", owner=owner)
    summary.rebuild()
    with django_assert_max_num_queries(24):
        found = capacity_report(org.ada, ideal_for(org.ada, today=TODAY(), template_id=lenovo.pk))
    assert len(found.sellers) == 4 and len(found.teams) == 3


# --- page -----------------------------------------------------------------------------------------------


def test_page_sections_and_chart(client, org, lenovo, quarter_book):
    client.force_login(org.rita)
    response = client.get(
        reverse("ideal_funnel"), {"template_id": lenovo.pk, "target": "900000", "avg_deal": "100000"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for testid in (
        "ideal-stages",
        "ideal-comparison",
        "ideal-chart",
        "capacity-section",
        "cap-actions",
        "cap-stalled",
    ):
        assert f'data-testid="{testid}"' in html
    assert 'id="ideal-chart-data"' in html and '"barmode": "group"' in html
    assert response.context["report"].target_source == "typed"
    assert 'name="unit_id"' not in html  # a seller has no scope controls


@pytest.mark.parametrize(
    "persona, params, status",
    [
        ("rita", {}, 200),
        ("rita", {"unit_id": "n1"}, 404),
        ("sara", {"owner_id": "rita"}, 404),
        ("sven", {"unit_id": "n1"}, 404),
        ("sven", {"owner_id": "rita"}, 404),
        ("mona", {"owner_id": "rita"}, 200),
        ("mona", {"unit_id": "n2"}, 404),
        ("dora", {"unit_id": "north"}, 200),
        ("ada", {}, 200),
    ],
)
def test_page_personas(client, org, persona, params, status):
    client.force_login(getattr(org, persona))
    query = {k: getattr(org, v).pk for k, v in params.items()}
    assert client.get(reverse("ideal_funnel"), query).status_code == status


def test_page_query_count_for_a_director(client, org, lenovo, quarter_book, django_assert_max_num_queries):
    client.force_login(org.dora)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("ideal_funnel"), {"template_id": lenovo.pk, "durations": "learned"})
    assert response.status_code == 200
    assert 'data-testid="cap-sellers"' in response.content.decode()
    assert 'data-testid="cap-teams"' in response.content.decode()


def test_page_bad_controls_show_the_defaults_with_an_error(client, org):
    client.force_login(org.mona)
    response = client.get(reverse("ideal_funnel"), {"period_kind": "decade", "avg_deal": "-5"})
    assert response.status_code == 422
    assert response.context["report"].period.kind == "quarter"
    assert 'data-code="validation_failed"' in response.content.decode()


def test_xlsx_export_neutralises_formulas(client, org, lenovo, quarter_book):
    client.force_login(org.mona)
    response = client.get(reverse("ideal_funnel"), {"template_id": lenovo.pk, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    assert len(book.sheetnames) == 6
    stalled = book.worksheets[5]
    assert stalled.cell(row=2, column=1).value == '\'=HYPERLINK("x")'
    ideal = book.worksheets[0]
    assert [ideal.cell(row=r, column=2).value for r in range(2, 7)] == [
        stage(lenovo, code).name for code in LADDER
    ]


# --- API ------------------------------------------------------------------------------------------------


def test_api_ideal_shape_and_worked_example(client, org, lenovo, token_for):
    response = client.get(
        "/api/reports/ideal",
        {
            "template_id": lenovo.pk,
            "period_kind": "year",
            "period_start": str(TODAY()),
            "target": "900",
            "avg_deal": "100",
        },
        **token_for(org.rita),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {
        "scope",
        "template",
        "period",
        "inputs",
        "ready",
        "missing",
        "basis",
        "wins_needed",
        "wins_per_month",
        "lead_days",
        "entry_deadline",
        "check",
        "findings",
        "funnel",
        "stages",
    }
    assert body["scope"] == {"kind": "owner", "label": "Rita", "unit_id": None, "owner_id": org.rita.pk}
    assert body["period"]["start"] == str(YEAR.start) and body["period"]["months"] == "12"
    assert [s["task"] for s in body["stages"]] == ["90.00", "36.00", "18.00", "12.00", "10.00"]
    assert [s["probability"] for s in body["stages"]] == ["10.00", "25.00", "50.00", "75.00", "90.00"]
    assert body["inputs"]["target_source"] == "typed" and body["basis"] == "cycle"
    assert body["check"]["equal"] is True


def test_api_capacity_shape(client, org, lenovo, quarter_book, token_for):
    response = client.get("/api/reports/capacity", {"template_id": lenovo.pk}, **token_for(org.mona))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["figures"]["remaining"] is None and body["figures"]["pipeline_due"] == "1500000.00"
    assert body["stalled_count"] == 1 and body["stalled"][0]["id"] == quarter_book["stalled"].pk
    rita = next(r for r in body["sellers"] if r["id"] == org.rita.pk)
    assert rita["figures"]["gap"] == "50000.00"
    assert [a["kind"] for a in rita["actions"]] == ["too_late", "push_stalled"]
    assert all(a["text"] for a in rita["actions"])
    assert body["teams"][0]["target_source"] == "sellers"
    # a quarter is shorter than the 156 days from stage I to close: every due deal is at risk on pace
    assert body["at_risk"] == {"count": 2, "amount": "1500000.00"}


@pytest.mark.parametrize(
    "persona, params, status",
    [
        ("rita", {"unit_id": "n1"}, 404),
        ("sven", {"unit_id": "n1"}, 404),
        ("sara", {"owner_id": "rita"}, 404),
        ("mona", {"owner_id": "rita"}, 200),
    ],
)
def test_api_personas(client, org, token_for, persona, params, status):
    query = {k: getattr(org, v).pk for k, v in params.items()}
    for url in ("/api/reports/ideal", "/api/reports/capacity"):
        assert client.get(url, query, **token_for(getattr(org, persona))).status_code == status


def test_api_rejects_bad_numbers(client, org, token_for):
    headers = token_for(org.mona)
    assert client.get("/api/reports/ideal", {"avg_deal": "0"}, **headers).status_code == 422
    assert client.get("/api/reports/ideal", {"target": "-1"}, **headers).status_code == 422
    assert client.get("/api/reports/ideal", {"durations": "guessed"}, **headers).status_code == 422
    assert client.get("/api/reports/ideal", {"template_id": 999999}, **headers).status_code == 422


def test_capacity_outcomes_from_the_stage_flow_summary_equal_the_history(org, lenovo, quarter_book):
    """Up to today the won and lost counts per seller and team come from StageFlow; they must equal
    the stage history's, for every scope (a deal lost, then reassigned, counts under who lost it)."""
    from kadence.insights.selectors.funnel import window_start
    from kadence.insights.selectors.ideal import _outcomes

    lost = deal(org, lenovo, "identified", amount="50000", owner=org.tom)
    services.opportunity_close_lost(
        org.tom, lost.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(lost.pk)
    )
    services.opportunity_reassign(org.ada, lost.pk, owner_id=org.nick.pk, version=opp_version(lost.pk))
    window = window_start(TODAY(), 365)
    for user in (org.ada, org.dora, org.mona, org.rita, org.nick):
        scope = resolve_scope(user)

        def key(rows):
            return sorted((r["owner_id"], r["team_id"], r["kind"], r["n"]) for r in rows)

        from_summary = _outcomes(scope, lenovo, window, TODAY())
        assert key(from_summary) == key(_outcomes(scope, lenovo, window, TODAY(), summary=False)), user
    assert key(_outcomes(resolve_scope(org.ada), lenovo, window, TODAY())) != []
    assert ("lost", 1) in [
        (r["kind"], r["n"]) for r in _outcomes(resolve_scope(org.tom), lenovo, window, TODAY())
    ]


def test_capacity_due_pipeline_from_the_summary_equals_the_deals(org, lenovo, quarter_book):
    """The open pipeline due in the period per seller, team and stage comes from PipelineTotal; it must
    equal the deals' own figures for every scope, for the current period (overdue deals included) and
    for one not begun yet (deals due before it left out), with deals of another template, due after
    the period, reassigned, and with an odd weighted amount."""
    other = ProcessTemplate.objects.exclude(pk=lenovo.pk).filter(stages__isnull=False).first()
    deal(org, other, other.stages.order_by("order").first().code, amount="70000")
    deal(org, lenovo, "identified", amount="12345.67", owner=org.tom, close=TODAY() - timedelta(days=400))
    moved = deal(org, lenovo, "qualified", amount="33333.33", owner=org.tom)
    services.opportunity_reassign(org.ada, moved.pk, owner_id=org.nick.pk, version=opp_version(moved.pk))
    deal(org, lenovo, "qualified", amount="900", close=QUARTER.end + timedelta(days=40))
    summary.rebuild()
    from kadence.insights.selectors.ideal import due_rows

    def key(rows):
        return sorted(
            (r["owner_id"], r["team_id"], r["stage_id"], r["n"], r["amount_sum"], r["w"]) for r in rows
        )

    for period in (QUARTER, period_containing("quarter", QUARTER.end + timedelta(days=1))):
        for user in (org.ada, org.dora, org.mona, org.rita, org.nick):
            scope = resolve_scope(user)
            reference = key(due_rows(scope, lenovo, period, TODAY(), summary=False))
            assert key(due_rows(scope, lenovo, period, TODAY())) == reference, (user, period)
    assert key(due_rows(resolve_scope(org.ada), lenovo, QUARTER, TODAY())) != []


def test_stalled_counts_per_seller_are_exactly_the_rule(org, lenovo, no_gates):
    """The stage-entry pre-filter of stalled_per_seller only narrows the read: the counts are those of
    the rule alone (stalled_in_stage), for entries around each stage's limit, at the edges of the day."""
    from datetime import datetime, time

    from django.db.models import Count

    from kadence.domain.stall import stage_allowance
    from kadence.insights.selectors.ideal import stalled_deals, stalled_per_seller

    policy = ForecastPolicy.current().stall_policy()
    stages = list(Stage.objects.filter(template=lenovo).order_by("order"))
    for s in stages:
        if s.is_won:
            continue
        limit = stage_allowance(s.standard_days, policy)
        for back in range(limit - 1, limit + 4):
            for moment in (time(0, 0, 1), time(12), time(23, 59, 59)):
                made = deal(org, lenovo, s.code, amount="1000", owner=org.tom if back % 2 else org.rita)
                entered = timezone.make_aware(datetime.combine(TODAY() - timedelta(days=back), moment))
                Opportunity.objects.filter(pk=made.pk).update(stage_entered_at=entered)

    def key(rows):
        return sorted((r["owner_id"], r["team_id"], r["n"]) for r in rows)

    for user in (org.ada, org.dora, org.rita):
        found, _limits = stalled_deals(resolve_scope(user), lenovo, stages, policy, TODAY())
        rule = found.values("owner_id", "team_id").annotate(n=Count("id")).order_by()
        assert key(stalled_per_seller(found, lenovo, policy, TODAY())) == key(rule), user
    assert (
        key(rule) != [] and found.count() < Opportunity.objects.filter(template=lenovo, status="open").count()
    )
