"""The probabilistic forecast (METHODOLOGY §9.7) of a scope: who sees what (a rep their own deals, a
manager their team's, a director their region's; deal-team membership does not count), the
inputs (booked, slip history, effective probabilities, target), the API shape and query count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.cache import cache

from kadence.core.errors import NotFound, ValidationFailed
from kadence.insights.selectors.probabilistic import probabilistic_forecast, slip_history
from kadence.pipeline.models import (
    DealRole,
    Opportunity,
    OpportunityTeamMember,
    ProbabilityLevel,
    ProcessTemplate,
    StageChange,
)
from kadence.planning.models import ForecastPolicy, Target
from kadence.planning.services.calibration import calibration_recompute, calibration_switch
from tests.planning.test_calibration import closed_deal

AS_OF = date(2025, 5, 15)
Q2 = {"period_kind": "quarter", "period_start": date(2025, 4, 1)}
URL = "/api/forecast/probabilistic?as_of=2025-05-15&period_kind=quarter&period_start=2025-04-01&trials=2000&seed=7"


def open_deal(
    org, owner, amount: str, level: str, expected: date, template: str = "tianlong8"
) -> Opportunity:
    tpl = ProcessTemplate.objects.get(code=template)
    lv = ProbabilityLevel.objects.get(code=level)
    opp = Opportunity.objects.create(
        name=f"{owner.username} {amount}",
        account=org.account,
        owner=owner,
        team_id=owner.org_unit_id,
        template=tpl,
        stage=tpl.stages.order_by("order").first(),
        level=lv,
        probability=lv.probability,
        amount=D(amount),
        expected_close_date=expected,
    )
    dated_history([opp], ENTERED)
    return opp


@pytest.fixture(autouse=True)
def english():
    """The notes asserted below are the English wording (selectors use the active language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def book(org):
    """Open deals in Q2 2025 per person, one won deal of rita booked in April (slip +10 days)."""
    level_i = ProbabilityLevel.objects.get(code="I")
    Opportunity.objects.filter(pk=org.opp.pk).update(
        expected_close_date=date(2025, 6, 10),
        level=level_i,
        probability=level_i.probability,
        amount=D(1_200_000),
    )
    Opportunity.objects.filter(pk=org.sara_opp.pk).update(
        expected_close_date=date(2025, 6, 15), level=level_i, probability=level_i.probability
    )
    open_deal(org, org.rita, "500000", "Q", date(2025, 6, 20))
    open_deal(org, org.rita, "900000", "C90", date(2025, 9, 15))  # cannot close in Q2 even with the slip
    open_deal(org, org.tom, "300000", "C", date(2025, 5, 30))
    open_deal(org, org.nick, "1000000", "C90", date(2025, 6, 1))
    won = closed_deal(
        org,
        [("plan_call", "I"), ("proposal_sent", "C")],
        "won",
        closed_on=date(2025, 4, 20),
        expected=date(2025, 4, 10),
        amount="200000",
    )
    # its history names whose it was (the scope of a past date is the owner and team of that moment)
    StageChange.objects.filter(opportunity=won).update(owner=org.rita, team_id=org.rita.org_unit_id)
    # tom is on the deal team of rita's big deal: that does not put it in his forecast
    OpportunityTeamMember.objects.create(opportunity=org.opp, user=org.tom, role=DealRole.objects.first())
    dated_history(Opportunity.objects.filter(pk__in=[org.opp.pk, org.sara_opp.pk]), ENTERED)
    return org


ENTERED = datetime(2025, 3, 1, 10, tzinfo=UTC)


def dated_history(deals, at: datetime) -> None:
    """A history row per deal, dated `at`, holding the deal as it is now: AS_OF lies in the past, and a
    forecast at a past date reads the pipeline as it stood then (issue 11 §2), not today's rows."""
    for opp in deals:
        StageChange.objects.create(
            opportunity=opp,
            kind=StageChange.Kind.CREATED,
            to_stage=opp.stage,
            to_stage_name=opp.stage.name,
            to_level=opp.level,
            probability=opp.probability,
            amount=opp.amount,
            currency=opp.currency,
            expected_close_date=opp.expected_close_date,
            status=opp.status,
            owner=opp.owner,
            team_id=opp.team_id,
            forecast_category=opp.forecast_category,
            changed_at=at,
        )
        Opportunity.objects.filter(pk=opp.pk).update(stage_entered_at=at)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The slip history is cached by the largest history id, which SQLite reuses after a rollback."""
    cache.clear()
    yield
    cache.clear()


def _run(user, **kwargs):
    return probabilistic_forecast(user, **{"as_of": AS_OF, "trials": 2000, "seed": 3, **Q2, **kwargs})


def test_slip_history_is_closed_on_minus_the_expected_date_of_the_last_open_row(book):
    policy = ForecastPolicy.current()
    assert slip_history(AS_OF, policy).days == (10,) and slip_history(AS_OF, policy).counts == (1,)
    closed_deal(book, [("plan_call", "I")], "won", closed_on=date(2025, 5, 1), expected=date(2025, 5, 6))
    closed_deal(book, [("plan_call", "I")], "lost", closed_on=date(2025, 5, 1), expected=date(2025, 1, 1))
    slips = slip_history(AS_OF, policy)
    assert (slips.days, slips.counts) == ((-5, 10), (1, 1))
    assert slips.percentile(50) == -5 and slips.percentile(90) == 10
    assert slip_history(date(2026, 6, 1), policy).deals == 0  # outside the window


@pytest.mark.parametrize(
    ("person", "kwargs", "expected", "deals"),
    [
        ("rita", {}, D("570000.00"), 2),  # 200k booked + 1.2M × 10% + 500k × 50%
        ("tom", {}, D("75000.00"), 1),  # his own 300k × 25%, not the deal he is a team member of
        ("mona", {}, D("645000.00"), 3),  # team n1: rita + tom
        ("mona", {"owner_id": "rita"}, D("570000.00"), 2),
        ("dora", {}, D("1545000.00"), 4),  # region north: + nick's 1M × 90%
        ("sven", {}, D("30000.00"), 1),  # region south: sara's 300k × 10%
        ("ada", {}, D("1575000.00"), 5),  # the company
    ],
)
def test_scope_of_each_persona(book, person, kwargs, expected, deals):
    kwargs = {k: getattr(book, v).pk for k, v in kwargs.items()}
    report = _run(getattr(book, person), **kwargs)
    assert report.forecast.expected == expected
    assert report.forecast.deals == deals
    assert report.forecast.p10 <= report.forecast.p50 <= report.forecast.p90


@pytest.mark.parametrize(
    ("person", "kwargs"),
    [
        ("rita", {"owner_id": "tom"}),
        ("rita", {"unit_id": "n1"}),
        ("tom", {"owner_id": "rita"}),
        ("mona", {"unit_id": "n2"}),
        ("mona", {"owner_id": "sara"}),
        ("sven", {"unit_id": "north"}),
        ("dora", {"owner_id": "sara"}),
    ],
)
def test_out_of_reach_is_not_found(book, person, kwargs):
    with pytest.raises(NotFound):
        _run(getattr(book, person), **{k: getattr(book, v).pk for k, v in kwargs.items()})


def test_booked_quantiles_and_target(book):
    Target.objects.create(
        user=book.rita, period_kind="quarter", period_start=date(2025, 4, 1), amount=D(500_000)
    )
    report = probabilistic_forecast(book.rita, as_of=AS_OF, trials=10_000, seed=5, **Q2)
    result = report.forecast
    # outcomes: 200k (45%), 700k (45%), 1.4M (5%), 1.9M (5%)
    assert result.booked == D("200000.00") and result.p10 == D("200000.00") and result.p50 == D("700000.00")
    assert result.target == D("500000.00")
    assert abs(result.p_target - D("0.55")) < D("0.03")  # 1 − 0.9 × 0.5
    assert report.open_deals == 2 and report.note.endswith("(the probability ladder).")
    again = probabilistic_forecast(book.rita, as_of=AS_OF, trials=10_000, seed=5, **Q2)
    assert again.forecast == result  # same seed, same result


def test_past_period_is_only_what_was_booked(book):
    report = probabilistic_forecast(book.rita, as_of=date(2025, 7, 2), trials=100, seed=1, **Q2)
    assert report.forecast.p10 == report.forecast.p90 == D("200000.00") and report.open_deals == 0


def test_calibrated_probabilities_are_used_once_switched(book):
    path = [
        ("plan_call", "I"),
        ("proposal_sent", "C"),
        ("formal_proposal", "Q"),
        ("deal_review", "D"),
        ("negotiation", "C90"),
    ]
    for outcome in ("won", "won", "lost"):
        closed_deal(book, path, outcome, closed_on=date(2025, 5, 1), owner=book.sara)
    policy = ForecastPolicy.current()
    policy.calibration_min_outcomes = 3
    policy.save()
    calibration_recompute(None, as_of=AS_OF)
    calibration_switch(
        book.ada, template_id=ProcessTemplate.objects.get(code="tianlong8").pk, use_calibrated=True
    )
    report = _run(book.rita)
    assert {(p.level, p.probability, p.source, p.deals) for p in report.probabilities} == {
        ("I", D("75.00"), "calibrated", 1),
        ("Q", D("66.67"), "calibrated", 1),
    }  # I: + rita's April win
    assert report.forecast.expected == D("1433350.00")  # 200k + 1.2M × 75% + 500k × 66.67%
    assert "calibrated" in report.note


def test_run_settings_are_checked(book):
    for bad in (
        {"trials": 0},
        {"trials": 10**6},
        {"seed": -1},
        {"period_kind": "week"},
        {"period_start": date(1, 1, 1)},
    ):
        with pytest.raises(ValidationFailed):
            probabilistic_forecast(book.rita, as_of=AS_OF, **{**Q2, **bad})


def test_api_shape_and_query_count(book, client, token_for, django_assert_max_num_queries):
    Target.objects.create(
        user=book.rita, period_kind="quarter", period_start=date(2025, 4, 1), amount=D(500_000)
    )
    headers = token_for(book.rita)
    ForecastPolicy.current()  # the policy row exists in any real database
    # at a past as_of: the pipeline as it stood, the wins recorded by then, the stage episodes and the
    # level outcomes counted then (each a few grouped queries, none per deal); the pipeline as it stood
    # looks for the nearest snapshot on either side of the day (six small reads, none here); the new
    # business of the past periods is one grouped sum (and the history's first day)
    with django_assert_max_num_queries(31):
        response = client.get(URL, **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "scope",
        "period_kind",
        "period_start",
        "period_end",
        "as_of",
        "trials",
        "seed",
        "open_deals",
        "deals",
        "booked",
        "p10",
        "p50",
        "p90",
        "mean",
        "expected",
        "target",
        "p_target",
        "histogram",
        "probabilities",
        "note",
        "slip",
        "models",
        "episodes",
        "new_business",
    }
    assert [m["model"] for m in body["models"]] == ["configured", "calibrated", "time_aware"]
    assert body["models"][0]["expected"] == "570000.00"  # the process uses its configured probabilities
    assert body["scope"] == {
        "kind": "owner",
        "label": book.rita.label,
        "unit_id": None,
        "owner_id": book.rita.pk,
    }
    assert (body["period_start"], body["period_end"], body["trials"], body["seed"]) == (
        "2025-04-01",
        "2025-06-30",
        2000,
        7,
    )
    assert body["expected"] == "570000.00" and body["booked"] == "200000.00" and body["target"] == "500000.00"
    assert sum(b["count"] for b in body["histogram"]) == 2000
    assert body["slip"] == {"deals": 1, "p10": 10, "p50": 10, "p90": 10}
    assert {p["level"] for p in body["probabilities"]} == {"I", "Q"}
    assert client.get(URL, **headers).json() == body  # reproducible
    # the company: a new token, the root units for the company target; no query per deal or unit
    # the slip, episodes and calibration now come from the cache; the snapshot look-ups and the new
    # business (one grouped sum) are not cached
    with django_assert_max_num_queries(22):
        assert client.get(URL, **token_for(book.ada)).status_code == 200


def test_api_errors(book, client, token_for):
    headers = token_for(book.rita)
    assert client.get(URL + f"&owner_id={book.tom.pk}", **headers).status_code == 404
    assert client.get(URL.replace("trials=2000", "trials=0"), **headers).status_code == 422
    assert client.get(URL.replace("period_kind=quarter", "period_kind=week"), **headers).status_code == 422
    assert client.get(URL).status_code == 401


def test_amounts_in_cents_are_exact(book):
    open_deal(book, book.rita, "1234.57", "C90", date(2025, 6, 1))
    assert _run(book.rita).forecast.expected == D("571111.11")  # 570,000 + 1,234.57 × 90%


def test_slip_history_is_cached_until_the_history_grows(book, django_assert_max_num_queries):
    policy = ForecastPolicy.current()
    first = slip_history(AS_OF, policy)
    with django_assert_max_num_queries(1):  # the largest history id only
        assert slip_history(AS_OF, policy) == first
    closed_deal(book, [("plan_call", "I")], "won", closed_on=date(2025, 5, 1), expected=date(2025, 5, 6))
    assert slip_history(AS_OF, policy).deals == 2


def test_a_run_is_cached_by_its_exact_inputs(book, monkeypatch):
    """Opening the same forecast again does not simulate again; any change to its inputs does (the
    key is a digest of the deals' amounts and probabilities, the run settings, booked and target)."""
    from kadence.domain import montecarlo

    runs = []
    real = montecarlo.revenue_forecast
    monkeypatch.setattr(montecarlo, "revenue_forecast", lambda *a, **k: runs.append(1) or real(*a, **k))
    first = _run(book.ada)
    per_call = len(runs)  # one run per distinct model input (models whose inputs agree share theirs)
    assert 1 <= per_call <= 4
    assert _run(book.ada) == first and len(runs) == per_call
    _run(book.ada, seed=4)
    assert len(runs) == 2 * per_call  # another seed: other runs
    deal = open_deal(book, book.tom, "100000", "C", date(2025, 6, 1))
    changed = _run(book.ada)
    assert len(runs) > 2 * per_call and changed.forecast.expected == first.forecast.expected + D("25000.00")
    done = len(runs)
    Opportunity.objects.filter(pk=deal.pk).update(amount=D("100000.01"))
    dated_history(Opportunity.objects.filter(pk=deal.pk), ENTERED + timedelta(days=1))
    _run(book.ada)
    assert len(runs) > done
    done = len(runs)
    Target.objects.create(unit=book.north, period_kind="quarter", period_start=date(2025, 4, 1), amount="1")
    _run(book.ada, unit_id=book.north.pk)
    north = len(runs)
    _run(book.ada, unit_id=book.north.pk)
    assert north > done and len(runs) == north
