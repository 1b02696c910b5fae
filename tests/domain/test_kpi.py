"""KPI scoring (kadence.domain.kpi, METHODOLOGY §10.6): worked examples and invariants."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import kpi

BANDS = [
    kpi.Band("excellent", D(90)),
    kpi.Band("good", D(80)),
    kpi.Band("fair", D(70)),
    kpi.Band("pass", D(60)),
    kpi.Band("poor", D(0)),
]


def test_linear_is_the_ratio_capped_at_100():
    assert kpi.score("linear", D(85), D(100)) == D("85.00")
    assert kpi.score("linear", D(130), D(100)) == D(100)
    assert kpi.score("linear", D(-5), D(10)) == D(0)  # a negative growth scores nothing
    assert kpi.score("linear", D(2), D(3)) == D("66.67")  # rounded once, half up


def test_threshold_and_floor():
    assert kpi.score("threshold", D(99.99), D(100)) == D(0)
    assert kpi.score("threshold", D(100), D(100)) == D(100)
    # forecast accuracy 70 against 90 with a floor at 50 % of target (45): (70/90 − .5) ÷ .5 = 55.56
    assert kpi.score("floor", D(70), D(90), floor=D(50)) == D("55.56")
    assert kpi.score("floor", D(40), D(90), floor=D(50)) == D(0)
    assert kpi.score("floor", D(95), D(90), floor=D(50)) == D(100)


def test_lower_is_better_and_the_undefined():
    # an expense ratio of 8 % against a 5 % target: 5 ÷ 8 = 62.5
    assert kpi.score("linear", D(8), D(5), lower_is_better=True) == D("62.50")
    assert kpi.score("linear", D(0), D(5), lower_is_better=True) == D(100)
    assert kpi.score("linear", D(3), D(5), lower_is_better=True) == D(100)
    assert kpi.score("linear", None, D(5)) is None
    assert kpi.score("linear", D(5), D(0)) is None  # no target: not scored
    with pytest.raises(ValueError):
        kpi.score("bell", D(1), D(1))


def test_weighted_total_leaves_unscored_weights_out():
    items = [kpi.Weighted(D(35), D(80)), kpi.Weighted(D(10), None), kpi.Weighted(D(15), D(100))]
    # (35×80 + 15×100) ÷ 50 = 86
    assert kpi.weighted_total(items) == D("86.00")
    assert kpi.weighted_total([kpi.Weighted(D(10), None)]) is None


def test_grades_of_the_seed():
    assert [kpi.grade(D(x), BANDS) for x in (100, 90, 89.99, 80, 79.5, 70, 60, 59.99, 0)] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "fair",
        "fair",
        "pass",
        "poor",
        "poor",
    ]
    assert kpi.grade(None, BANDS) == ""


def test_annual_score_and_rates():
    assert kpi.annual_score([D(80), None, D(91), D(70)]) == D("80.33")
    assert kpi.annual_score([None] * 4) is None
    assert kpi.growth_pct(D(110), D(100)) == D("10.00")
    assert kpi.growth_pct(D(5), D(0)) is None
    assert kpi.forecast_accuracy_pct(D(120), D(100)) == D("80.00")
    assert kpi.forecast_accuracy_pct(D(300), D(100)) == D(0)
    assert kpi.forecast_accuracy_pct(D(0), D(0)) == D(100)
    assert kpi.forecast_accuracy_pct(D(5), D(0)) is None
    assert kpi.forecast_accuracy_pct(None, D(5)) is None


def test_a_card_of_the_seed_defaults():
    lines = [
        kpi.Line(D(35), D(100), "linear", D(0), False, D(90)),  # revenue 90 % → 90
        kpi.Line(D(10), D(10), "linear", D(0), False, D(5)),  # growth 5 % vs 10 → 50
        kpi.Line(D(5), D(5), "linear", D(0), True, D(10)),  # expense ratio 10 % vs 5 → 50
        kpi.Line(D(10), D(90), "linear", D(0), False, None),  # satisfaction not entered
    ]
    card = kpi.score_card(lines, BANDS)
    assert card.scores == (D("90.00"), D("50.00"), D("50.00"), None)
    assert card.total == D("78.00")  # (3150 + 500 + 250) ÷ 50
    assert card.grade == "fair"
    assert card.points == (D("63.00"), D("10.00"), D("5.00"), None)


scores = st.decimals(min_value=-1000, max_value=1000, places=2)
weights = st.decimals(min_value=0, max_value=100, places=2)
curves = st.sampled_from(kpi.CURVES)


@given(
    curves,
    scores,
    st.decimals(min_value=0, max_value=1000, places=2),
    st.decimals(min_value=0, max_value=100, places=2),
    st.booleans(),
)
def test_every_score_is_between_0_and_100(curve, actual, target, floor, lower):
    value = kpi.score(curve, actual, target, floor=floor, lower_is_better=lower)
    assert value is None or D(0) <= value <= D(100)


@given(
    st.lists(
        st.tuples(weights, st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2))),
        max_size=12,
    )
)
def test_the_total_lies_between_the_scores_and_is_reproducible(items):
    weighted = [kpi.Weighted(w, s) for w, s in items]
    total = kpi.weighted_total(weighted)
    scored = [s for w, s in items if s is not None and w > 0]
    if not scored:
        assert total is None
    else:
        assert min(scored) - D("0.01") <= total <= max(scored) + D("0.01")
    assert kpi.weighted_total(list(weighted)) == total


@given(curves, scores, st.decimals(min_value=1, max_value=1000, places=2), scores)
def test_linear_never_falls_when_the_actual_rises(curve, a, target, b):
    low, high = sorted((a, b))
    assert kpi.score(curve, low, target, floor=D(50)) <= kpi.score(curve, high, target, floor=D(50))
