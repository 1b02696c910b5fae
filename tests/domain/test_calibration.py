"""Calibration (METHODOLOGY §9.6): observed rates, Brier scores and the switch rule, with exact
worked numbers. No database."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import calibration as cal
from kadence.domain.calibration import BucketOutcomes, Source


def test_brier_worked_example():
    # four deals forecast at 25%, one won: (0.75² + 3 × 0.25²) ÷ 4 = (0.5625 + 0.1875) ÷ 4
    forecasts = [(D("0.25"), True), (D("0.25"), False), (D("0.25"), False), (D("0.25"), False)]
    assert cal.brier_score(forecasts) == D("0.1875")
    assert cal.bucket_brier(D(25), 4, 1) == D("0.1875")


def test_brier_perfect_coin_and_worst():
    assert cal.brier_score([(D(1), True), (D(0), False)]) == D(0)
    assert cal.brier_score([(D("0.5"), True), (D("0.5"), False), (D("0.5"), True)]) == D("0.25")
    assert cal.brier_score([(D(0), True), (D(1), False)]) == D(1)
    assert cal.brier_score([]) is None
    assert cal.bucket_brier(D(50), 0, 0) is None
    assert cal.bucket_brier(None, 5, 2) is None
    with pytest.raises(ValueError):
        cal.brier_score([(D("1.5"), True)])


def test_pooled_brier_weights_each_deal_bucket_pair():
    # level I (10%): 10 outcomes, 2 won → Σ = 2 × 0.81 + 8 × 0.01 = 1.70
    # level Q (50%): 4 outcomes, 3 won → Σ = 4 × 0.25 = 1.00; pooled = 2.70 ÷ 14 = 0.19285… → 0.1929
    buckets = [
        BucketOutcomes("I", 10, 2, D(10)),
        BucketOutcomes("Q", 4, 3, D(50)),
        BucketOutcomes("x", 3, 1, None),
        BucketOutcomes("D", 0, 0, D(75)),
    ]
    assert cal.pooled_brier(buckets) == D("0.1929")
    assert cal.pooled_brier([BucketOutcomes("D", 0, 0, D(75))]) is None


def test_observed_rate_and_table():
    assert cal.observed_rate(3, 1) == D("33.33")
    assert cal.observed_rate(3, 2) == D("66.67")
    assert cal.observed_rate(0, 0) is None
    rows = cal.calibration_table([BucketOutcomes("I", 20, 3, D(10)), BucketOutcomes("C", 5, 5, D(25))], 20)
    assert [(r.key, r.observed, r.brier, r.enough) for r in rows] == [
        ("I", D("15.00"), D("0.1300"), True),  # (3 × 0.81 + 17 × 0.01) ÷ 20 = 2.60 ÷ 20
        ("C", D("100.00"), D("0.5625"), False),
    ]


def test_bucket_rejects_impossible_counts():
    with pytest.raises(ValueError):
        BucketOutcomes("I", 2, 3, D(10))


def test_short_buckets_and_effective_probability():
    buckets = [BucketOutcomes("I", 25, 5, D(10)), BucketOutcomes("C", 19, 9, D(25))]
    assert [r.key for r in cal.calibration_table(buckets, 20) if not r.enough] == ["C"]
    assert cal.effective_probability(D(10), 25, 5, min_outcomes=20, use_calibrated=True) == (
        D("20.00"),
        Source.CALIBRATED,
    )
    assert cal.effective_probability(D(25), 19, 9, min_outcomes=20, use_calibrated=True) == (
        D(25),
        Source.CONFIGURED,
    )
    assert cal.effective_probability(D(10), 25, 5, min_outcomes=20, use_calibrated=False) == (
        D(10),
        Source.CONFIGURED,
    )
    # a threshold of 0 still needs one outcome to have a rate at all
    assert cal.effective_probability(D(10), 0, 0, min_outcomes=0, use_calibrated=True) == (
        D(10),
        Source.CONFIGURED,
    )


@given(p=st.integers(0, 100), outcomes=st.integers(1, 60), data=st.data())
def test_bucket_brier_equals_brier_over_the_deals(p, outcomes, data):
    won = data.draw(st.integers(0, outcomes))
    fraction = D(p) / 100
    deals = [(fraction, True)] * won + [(fraction, False)] * (outcomes - won)
    assert cal.bucket_brier(D(p), outcomes, won) == cal.brier_score(deals)
    assert D(0) <= cal.bucket_brier(D(p), outcomes, won) <= D(1)


@given(outcomes=st.integers(1, 200), data=st.data())
def test_observed_rate_minimises_the_bucket_brier(outcomes, data):
    won = data.draw(st.integers(0, outcomes))
    observed = cal.observed_rate(outcomes, won)
    other = D(data.draw(st.integers(0, 100)))
    # the observed rate is the best constant forecast for the bucket (up to its rounding to 0.01%)
    assert cal.bucket_brier(observed, outcomes, won) <= cal.bucket_brier(other, outcomes, won) + D("0.0001")
