"""The probabilistic forecast at a past date and its time-aware model (issue 11 §2 and §5), and the
backtest (§6): the inputs at day D equal those computed on a copy of the data rolled back to D through
the live code path; the backtest's command, API, page and export."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from kadence.core.visibility import resolve_scope
from kadence.domain import montecarlo as mc
from kadence.domain.periods import period_containing
from kadence.insights.selectors import probabilistic
from kadence.insights.selectors.backtest import MODELS, backtest, past_periods
from kadence.insights.selectors.probabilistic import MODELS as MC_MODELS
from kadence.insights.selectors.probabilistic import forecast_inputs, probabilistic_forecast
from kadence.pipeline import stays as kept_stays
from kadence.pipeline.models import Opportunity, StageChange
from kadence.pipeline.month_ends import end_of
from kadence.planning.models import ForecastPolicy
from tests.planning.test_forecast_point_in_time import _rolled_back_to, history  # noqa: F401 - a fixture

ENTERING = probabilistic.ENTERING


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The caches are keyed by the largest history id, which a rollback gives back."""
    cache.clear()
    yield
    cache.clear()


def _rolled_back_with_history(day) -> None:
    """The copy as it stood at the end of `day`: every deal at its row then (with the day it entered its
    stage), the history written later gone."""
    _rolled_back_to(day)
    end = end_of(day)
    for opp in Opportunity.objects.all():
        entered = (
            StageChange.objects.filter(opportunity=opp, kind__in=ENTERING, changed_at__lt=end)
            .order_by("-changed_at", "-id")
            .first()
        )
        if entered is not None:
            Opportunity.objects.filter(pk=opp.pk).update(stage_entered_at=entered.changed_at)
        won = (
            StageChange.objects.filter(opportunity=opp, kind="won", changed_at__lt=end)
            .order_by("-id")
            .first()
        )
        if won is not None and Opportunity.objects.filter(pk=opp.pk, status="won").exists():
            # closed on the day its win was recorded (the fixture's rule), not on a later row's day
            Opportunity.objects.filter(pk=opp.pk).update(closed_on=timezone.localtime(won.changed_at).date())
    StageChange.objects.filter(changed_at__gte=end).delete()
    kept_stays.rebuild()  # what the history writer kept from the rows then: each deal's stay_began_at


def _snapshot(inputs) -> tuple:
    return (
        inputs.ids.tolist(),
        inputs.cents.tolist(),
        inputs.booked_cents,
        inputs.new_business,  # what deals created later brought in, as known that day
        np.round(inputs.p_in, 12).tolist(),
        {model: np.round(inputs.coming_in(model), 12).tolist() for model in MC_MODELS},
        {model: round(spread, 12) for model, spread in inputs.spread.items()},  # the rates' uncertainty
    )


@pytest.mark.django_db
@pytest.mark.parametrize("days_back", [10, 25, 40])
def test_the_monte_carlo_at_a_past_date_is_the_pipeline_as_it_stood(history, days_back, monkeypatch):  # noqa: F811
    day = timezone.localdate() - timedelta(days=days_back)
    policy = ForecastPolicy.current()
    period = period_containing("quarter", day)
    checked = 0
    for user, kwargs in [(history.ada, {}), (history.dora, {}), (history.ada, {"unit_id": history.n1.pk})]:
        scope = resolve_scope(user, **kwargs)
        past = _snapshot(forecast_inputs(scope, period, day, policy))
        with transaction.atomic():
            _rolled_back_with_history(day)
            cache.clear()
            with monkeypatch.context() as patched:  # the live path: today's rows of the rolled-back copy
                patched.setattr(probabilistic, "is_past", lambda _day: False)
                live = _snapshot(forecast_inputs(scope, period, day, policy))
            transaction.set_rollback(True)
        cache.clear()
        assert past == live, (user, kwargs)
        checked += len(past[0])
    assert checked  # some deals were open then


@pytest.mark.django_db
def test_a_past_monte_carlo_does_not_read_todays_deals(history):  # noqa: F811
    """The defect: at a past as_of the Monte-Carlo simulated today's open deals."""
    day = timezone.localdate() - timedelta(days=30)
    report = probabilistic_forecast(history.ada, as_of=day, trials=200)
    assert StageChange.objects.filter(changed_at__gte=end_of(day)).exists()
    new = Opportunity.objects.create(
        **{
            f: getattr(Opportunity.objects.filter(status="open").first(), f)
            for f in ("account", "owner", "team", "template", "stage", "level", "probability", "amount")
        },
        name="today",
        expected_close_date=day,
    )
    again = probabilistic_forecast(history.ada, as_of=day, trials=200)
    assert again.open_deals == report.open_deals and new.pk  # created today: not in the past pipeline
    assert [m.model for m in report.models] == ["configured", "calibrated", "time_aware"]


@pytest.mark.django_db
def test_the_time_aware_band_carries_the_uncertainty_of_its_rates(history):  # noqa: F811
    """The time-aware model's trials share a factor whose variance is its estimated rates' (survival
    .rate_uncertainty of the deals it simulates); the other models' do not."""
    day = timezone.localdate() - timedelta(days=20)
    period = period_containing("quarter", day)
    inputs = forecast_inputs(resolve_scope(history.ada), period, day, ForecastPolicy.current())
    assert inputs.ids.size and inputs.spread[MC_MODELS[2]] > 0
    report = probabilistic_forecast(history.ada, as_of=day, trials=500, seed=3)
    time_aware = mc.revenue_forecast(
        inputs.cents,
        inputs.q["time_aware"],
        np.ones(inputs.cents.shape),
        trials=500,
        seed=3,
        booked_cents=inputs.booked_cents,
        target_cents=None if report.target is None else int(report.target * 100),
        new_business_cents=inputs.new_business,
        relative_variance=inputs.spread["time_aware"],
    )
    assert report.models[2].model == "time_aware" and report.models[2].forecast == time_aware
    configured = mc.revenue_forecast(
        inputs.cents,
        inputs.q["configured"],
        inputs.p_in,
        trials=500,
        seed=3,
        booked_cents=inputs.booked_cents,
        target_cents=None if report.target is None else int(report.target * 100),
        new_business_cents=inputs.new_business,
    )
    assert report.models[0].forecast == configured


@pytest.mark.django_db
def test_backtest_reads_each_period_as_it_stood(history):  # noqa: F811
    today = timezone.localdate()
    report = backtest(history.ada, until=today, period_kind="month", periods=2, trials=300)
    assert [p.start for p in report.periods] == [p.start for p in past_periods("month", 2, today)]
    policy = ForecastPolicy.current()
    scope = resolve_scope(history.ada)
    for period in report.periods:
        assert period.as_of == period.start - timedelta(days=1)
        won = Opportunity.objects.filter(status="won", closed_on__gte=period.start, closed_on__lte=period.end)
        assert period.actual == sum((o.amount for o in won), Decimal(0))
        assert [r.model for r in period.rows] == list(MODELS)
        inputs = forecast_inputs(
            scope,
            probabilistic._period("month", period.start, period.as_of),
            period.as_of,
            policy,
        )
        assert period.open_deals == inputs.ids.size
        for row in period.rows:
            assert row.p10 <= row.p50 <= row.p90
            assert row.covered == (row.p10 <= period.actual <= row.p90)
            assert row.error == row.p50 - period.actual
            assert row.brier is None or 0 <= row.brier <= 1
    tested = [p for p in report.periods if p.open_deals or p.actual]
    assert tested
    for summary in report.summaries:
        covered = sum(p.rows[MODELS.index(summary.model)].covered for p in tested)
        assert summary.coverage == (Decimal(covered) / len(tested)).quantize(Decimal("0.0001"))


@pytest.mark.django_db
def test_backtest_api_page_export_and_command(history, client, token_for):  # noqa: F811
    headers = token_for(history.ada)
    response = client.get("/api/forecast/backtest?period_kind=month&periods=2&trials=200", **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["periods"]) == 2 and [s["model"] for s in body["summaries"]] == list(MODELS)
    assert set(body["periods"][0]["rows"][0]) == {
        "model",
        "p10",
        "p50",
        "p90",
        "covered",
        "error",
        "brier",
        "deals",
    }
    assert client.get("/api/forecast/backtest?periods=0", **headers).status_code == 422
    assert client.get("/api/forecast/backtest?period_kind=week", **headers).status_code == 422
    assert client.get("/api/forecast/backtest").status_code == 401
    # a rep sees their own deals only
    rita = client.get(
        "/api/forecast/backtest?period_kind=month&periods=2&trials=200", **token_for(history.rita)
    )
    assert rita.json()["scope"]["kind"] == "owner"

    client.force_login(history.ada)
    page = client.get("/forecast/backtest/?period_kind=month&periods=2")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="backtest-chart"' in html and 'data-testid="summary-time_aware"' in html
    export = client.get("/forecast/backtest/?period_kind=month&periods=2&format=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    bad = client.get("/forecast/backtest/?periods=99")
    assert bad.status_code == 422 and 'data-testid="backtest-summary"' in bad.content.decode()

    out = io.StringIO()
    call_command(
        "backtest", "--period", "month", "--periods", "2", "--trials", "200", "--markdown", stdout=out
    )
    text = out.getvalue()
    assert text.count("\n| 20") == 2 and "Brier" in text


@pytest.mark.django_db
@pytest.mark.parametrize("days_back", [0, 20])
def test_stays_are_the_history_counted_by_hand(history, days_back):  # noqa: F811
    """The grouped SQL (one window pass) against a count row by row: a stay begins at each stage entry
    or change of level inside the stage in the window, and ends at the deal's next such row (moved to
    its stage and level), its next closing (won or lost), or as_of (censored); the stay of each deal
    open at as_of began on the day its selectors say."""
    from collections import Counter

    from kadence.domain import survival as sv
    from kadence.insights.selectors.timeaware import stay_started, stays
    from kadence.pipeline.models import ProbabilityLevel
    from kadence.planning.selectors.calibration import history_start

    policy = ForecastPolicy.current()
    day = timezone.localdate() - timedelta(days=days_back)
    end = end_of(day)
    # a level earned inside the stage a minute after a deal's row in force a week before as_of
    week = end - timedelta(days=7)
    row = (
        StageChange.objects.filter(changed_at__lt=week, status="open").order_by("-changed_at", "-id").first()
    )
    other = ProbabilityLevel.objects.exclude(pk=row.to_level_id).first()
    row.pk, row.kind, row.from_level_id, row.to_level = None, "updated", row.to_level_id, other
    row.changed_at += timedelta(minutes=1)
    row.save()
    kept_stays.rebuild()  # written outside the history writer
    start = timezone.make_aware(
        timezone.datetime.combine(history_start(day, policy), timezone.datetime.min.time())
    )
    rows = list(
        StageChange.objects.filter(changed_at__gte=start, changed_at__lt=end).order_by(
            "opportunity_id", "changed_at", "id"
        )
    )
    local = lambda moment: (timezone.localtime(moment).date() - day).days  # noqa: E731 - days relative to as_of

    def begins(row) -> bool:
        return row.kind in ENTERING or (row.kind == "updated" and row.from_level_id != row.to_level_id)

    expected: Counter = Counter()
    level_changes = 0
    for index, row in enumerate(rows):
        if not begins(row):
            continue
        level_changes += row.kind == "updated"
        after = (
            later
            for later in rows[index + 1 :]
            if later.opportunity_id == row.opportunity_id and (begins(later) or later.kind in ("won", "lost"))
        )
        end_row = next(after, None)
        state = (row.to_stage_id, row.to_level_id)
        if end_row is None:
            expected[(state, sv.CENSORED, -local(row.changed_at), None)] += 1
            continue
        outcome = {"won": sv.WON, "lost": sv.LOST}.get(end_row.kind, sv.MOVED)
        target = (end_row.to_stage_id, end_row.to_level_id) if outcome == sv.MOVED else None
        expected[(state, outcome, local(end_row.changed_at) - local(row.changed_at), target)] += 1
    found = stays(day, policy)
    got = Counter()
    for state, outcome, duration, target, count in zip(
        found.state, found.outcome, found.duration, found.target, found.count, strict=True
    ):
        got[(found.states[state], outcome, duration, found.states[target] if target >= 0 else None)] += count
    assert got == expected and sum(expected.values()) > 0
    assert {key[1] for key in expected} >= {sv.MOVED, sv.CENSORED}
    assert level_changes  # the one added above

    started = dict(
        StageChange.objects.filter(opportunity__in=Opportunity.objects.all(), pk__in=[r.pk for r in rows])
        .values("opportunity_id")
        .annotate(day=stay_started(end))
        .values_list("opportunity_id", "day")
    )
    for opp_id in {r.opportunity_id for r in rows}:
        last = [r for r in rows if r.opportunity_id == opp_id and begins(r)]
        if last:
            assert started[opp_id] == (timezone.localtime(last[-1].changed_at).date() - date(1970, 1, 1)).days


@pytest.mark.django_db
def test_calibrated_model_today_reads_the_stored_calibration_and_a_past_day_recounts(org):
    """Today: the stored rows of `kadence calibrate` (a recount over a million deals takes seconds), used
    whether or not the process is switched to them; a past day: counted from the history then."""
    from kadence.insights.selectors.timeaware import calibrated_at
    from kadence.pipeline.models import ProbabilityLevel, ProcessTemplate
    from kadence.planning.models import Calibration

    template = ProcessTemplate.objects.get(code="tianlong8")
    level_i, level_c = ProbabilityLevel.objects.get(code="I"), ProbabilityLevel.objects.get(code="C")
    policy = ForecastPolicy.current()
    Calibration.objects.create(
        template=template, dimension="level", key="I", outcomes=policy.calibration_min_outcomes, won=3
    )
    Calibration.objects.create(template=template, dimension="level", key="C", outcomes=1, won=1)  # too few
    today = calibrated_at({template.pk}, timezone.localdate(), policy)[template.pk]
    expected_i = (Decimal(300) / policy.calibration_min_outcomes).quantize(Decimal("0.01"))
    assert (today[level_i.pk].source, today[level_i.pk].probability) == ("calibrated", expected_i)
    assert (today[level_c.pk].source, today[level_c.pk].probability) == ("configured", level_c.probability)
    past = calibrated_at({template.pk}, timezone.localdate() - timedelta(days=1), policy)[template.pk]
    assert past[level_i.pk].source == "configured"  # no closed history in the fixture
