"""The pure rules of importance, the five types and the CSI (kadence.domain.kam.importance): worked
examples with exact results and properties (the score stays in 0–100 and never falls when a criterion's
score rises)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.kam import importance as di

WORKED = {
    "sales": 5,
    "profit": 4,
    "growth": 3,
    "share": 2,
    "competitive": 3,
    "market_position": 4,
    "industry_influence": 2,
    "loyalty": 5,
    "continuity": 1,
}


def test_the_worked_example_scores_69():
    # 20×5 + 15×4 + 15×3 + 10×2 + 10×3 + 10×4 + 10×2 + 5×5 + 5×1 = 345; 345 / 5 = 69
    assert di.importance_score(di.DEFAULT_WEIGHTS, WORKED) == D("69.00")


def test_all_fives_give_100_and_all_ones_20():
    assert di.importance_score(di.DEFAULT_WEIGHTS, dict.fromkeys(di.CRITERIA, 5)) == D("100.00")
    assert di.importance_score(di.DEFAULT_WEIGHTS, dict.fromkeys(di.CRITERIA, 1)) == D("20.00")


def test_unscored_criteria_are_left_out_and_the_rest_rescaled():
    # only sales 5 (20) and profit 2 (15): (100 + 30) / (5 × 35) × 100 = 74.2857… → 74.29
    assert di.importance_score(di.DEFAULT_WEIGHTS, {"sales": 5, "profit": 2}) == D("74.29")
    assert di.importance_score(di.DEFAULT_WEIGHTS, {}) is None


def test_a_score_outside_1_to_5_is_refused():
    with pytest.raises(di.RuleError):
        di.importance_score(di.DEFAULT_WEIGHTS, {"sales": 6})
    with pytest.raises(di.RuleError):
        di.importance_score(di.DEFAULT_WEIGHTS, {"sales": True})


def test_weights_must_add_to_100():
    di.check_weights(di.DEFAULT_WEIGHTS)
    assert sum(di.DEFAULT_WEIGHTS.values()) == 100
    with pytest.raises(di.RuleError):
        di.check_weights({**di.DEFAULT_WEIGHTS, "sales": 21})
    with pytest.raises(di.RuleError):
        di.check_weights({"sales": 100})


def test_bands():
    bands = di.DEFAULT_BANDS["sales"]  # 100K, 500K, 1M, 5M
    assert [di.band_score(D(v), bands) for v in (0, 99_999, 100_000, 750_000, 1_000_000, 9_000_000)] == [
        1,
        1,
        2,
        3,
        4,
        5,
    ]
    assert di.band_score(None, bands) is None
    assert di.band_score(D(-5), di.DEFAULT_BANDS["growth"]) == 1
    with pytest.raises(di.RuleError):
        di.check_bands([D(3), D(2), D(4), D(5)])


def test_the_computed_values():
    assert di.growth_pct(D(150), D(100)) == D("50.0")
    assert di.growth_pct(D(150), D(0)) is None
    assert di.share_pct(D(1_200_000), D(5_000_000)) == D("24.0")
    assert di.share_pct(D(1), D(0)) is None
    assert di.years_as_customer(date(2020, 1, 1), date(2026, 1, 1)) == D("6.0")
    assert di.years_as_customer(None, date(2026, 1, 1)) == 0
    assert di.consecutive_years({2022, 2023, 2024, 2025}, date(2026, 3, 1)) == 4  # nothing yet in 2026
    assert di.consecutive_years({2023, 2025, 2026}, date(2026, 3, 1)) == 2
    assert di.consecutive_years({2020}, date(2026, 3, 1)) == 0


def _facts(scores, years="0", continuity=0, first_won=date(2020, 1, 1)):
    return di.TypeFacts(
        scores=scores, years=D(years), continuity=continuity, first_won=first_won, as_of=date(2026, 6, 1)
    )


def test_the_five_types_by_the_default_rules():
    assert di.customer_type(_facts({"profit": 4, "sales": 3})) == di.PROFIT_CONTRIBUTOR
    assert di.customer_type(_facts({"profit": 2, "market_position": 5})) == di.BRAND_PROBLEM
    assert di.customer_type(_facts({"profit": 1, "industry_influence": 4})) == di.BRAND_PROBLEM
    assert di.customer_type(_facts({}, years="6.2", continuity=3)) == di.LOYAL
    assert di.customer_type(_facts({"sales": 2, "growth": 5})) == di.SMALL_GROWTH
    assert di.customer_type(_facts({}, first_won=date(2025, 7, 1))) == di.NEW  # 11 months
    assert di.customer_type(_facts({}, first_won=None)) == di.NEW
    assert di.customer_type(_facts({}, first_won=date(2025, 6, 1))) is None  # 12 months: no longer new
    # the order: a profitable customer of many years is a profit contributor first
    assert (
        di.customer_type(_facts({"profit": 5, "sales": 5}, years="9", continuity=9)) == di.PROFIT_CONTRIBUTOR
    )


def test_the_rules_are_configurable():
    rules = di.TypeRules(loyal_min_years=D(2), loyal_min_continuity=2)
    assert di.customer_type(_facts({}, years="2.5", continuity=2), rules) == di.LOYAL
    assert di.customer_type(_facts({}, years="2.5", continuity=2)) is None


def test_csi_worked_example():
    # weights 2, 1, 1; answers 5, 3, 1: mean (10 + 3 + 1) / 4 = 3.5; (3.5 − 1) / 4 × 100 = 62.5
    assert di.csi([(2, 5), (1, 3), (1, 1)]) == D("62.50")
    assert di.csi([(1, 5)] * 8) == D("100.00")
    assert di.csi([(D("1.5"), 1)]) == D("0.00")
    for bad in ([], [(1, 0)], [(1, 6)], [(0, 3)], [(-1, 3)]):
        with pytest.raises(di.RuleError):
            di.csi(bad)


scores_st = st.fixed_dictionaries({c: st.integers(1, 5) for c in di.CRITERIA})


@st.composite
def weights_st(draw):
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=8, max_size=8)))
    bounds = [0, *cuts, 100]
    return {c: bounds[i + 1] - bounds[i] for i, c in enumerate(di.CRITERIA)}


@given(weights_st(), scores_st)
def test_the_score_is_within_0_and_100(weights, scores):
    di.check_weights(weights)
    score = di.importance_score(weights, scores)
    assert score is not None and D(0) <= score <= D(100)


@given(weights_st(), scores_st, st.sampled_from(di.CRITERIA))
def test_the_score_never_falls_when_a_criterion_rises(weights, scores, code):
    if scores[code] == 5:
        return
    higher = {**scores, code: scores[code] + 1}
    assert di.importance_score(weights, higher) >= di.importance_score(weights, scores)


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=10))
def test_csi_is_within_0_and_100(answers):
    assert D(0) <= di.csi(answers) <= D(100)
