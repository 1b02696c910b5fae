"""Probabilistic forecast (METHODOLOGY §9.7): slip model, exact sampling, quantiles. No database."""

from datetime import date
from decimal import Decimal as D

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kadence.domain import montecarlo as mc

amounts = st.lists(st.integers(0, 10**9), min_size=0, max_size=40)


def test_day_number():
    assert mc.day_number(date(1970, 1, 1)) == 0
    assert mc.day_number(date(1970, 2, 1)) == 31


def test_in_period_probability_worked_example():
    # slips: 10 days early (1 deal), on time (2), 30 days late (1); period days 100..130, today 110
    slips, counts = [-10, 0, 30], [1, 2, 1]
    expected = [125, 135, 95, 140, 101]
    p = mc.in_period_probability(
        expected, period_start=100, period_end=130, as_of=110, slip_days=slips, slip_counts=counts
    )
    # 125: S ≤ 5 → 3/4; 135: S ≤ −5 → 1/4; 95 (overdue): S ≤ 35 → 1; 140: S ≤ −10 → 1/4; 101: S ≤ 29 → 3/4
    assert p.tolist() == [0.75, 0.25, 1.0, 0.25, 0.75]


def test_in_period_probability_future_period_needs_the_lower_bound_too():
    # today 50, before the period 100..130: P(100 ≤ expected + S ≤ 130)
    p = mc.in_period_probability(
        [95, 105, 125],
        period_start=100,
        period_end=130,
        as_of=50,
        slip_days=[-10, 0, 30],
        slip_counts=[1, 2, 1],
    )
    # 95: S ∈ [5, 35] → 30 → 1/4; 105: S ∈ [−5, 25] → 0 → 2/4; 125: S ∈ [−25, 5] → −10, 0 → 3/4
    assert p.tolist() == [0.25, 0.5, 0.75]


def test_in_period_probability_past_period_and_no_history():
    assert mc.in_period_probability([100], period_start=100, period_end=130, as_of=131).tolist() == [0.0]
    # no history: closes on its expected date (overdue deals close now)
    p = mc.in_period_probability([90, 120, 131], period_start=100, period_end=130, as_of=110)
    assert p.tolist() == [1.0, 1.0, 0.0]
    p = mc.in_period_probability([90, 120, 131], period_start=100, period_end=130, as_of=10)
    assert p.tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        mc.in_period_probability([1], period_start=5, period_end=4, as_of=0)


def test_percentile_is_the_inverted_cdf():
    totals = np.arange(1, 11, dtype=np.int64)
    assert [mc.percentile_cents(totals, p) for p in (10, 50, 90)] == [1, 5, 9]
    assert mc.percentile_cents(np.array([7], dtype=np.int64), 10) == 7


def test_certain_and_impossible_deals_are_exact():
    cents = [123_45, 1_000_000_01, 5]
    result = mc.revenue_forecast(cents, [1, 1, 1], [1, 1, 1], trials=50, seed=1, booked_cents=100)
    total = D("1000124.51")  # 123.45 + 1,000,000.01 + 0.05 + 1.00 booked
    assert (result.p10, result.p50, result.p90, result.mean, result.expected) == (total,) * 5
    nothing = mc.revenue_forecast(cents, [0, 0.5, 1], [1, 0, 0], trials=50, seed=1)
    assert (nothing.p10, nothing.p90, nothing.mean, nothing.deals) == (D(0), D(0), D(0), 0)


def test_target_probability_and_histogram():
    result = mc.revenue_forecast([100_00, 200_00], [1, 1], [1, 1], trials=20, seed=3, target_cents=300_00)
    assert result.p_target == D(1) and result.target == D(300)
    assert [(b.count, b.low, b.high) for b in result.histogram] == [(20, D(300), D(300))]  # one bar
    spread = mc.histogram(np.array([0, 100, 100, 300], dtype=np.int64), bins=30)
    assert [b.count for b in spread] == [1, 2, 1] and (spread[0].low, spread[-1].high) == (D(0), D(3))
    missed = mc.revenue_forecast([100_00, 200_00], [1, 1], [1, 1], trials=20, seed=3, target_cents=300_01)
    assert missed.p_target == D(0)
    assert mc.revenue_forecast([1], [0.5], [1], trials=5, seed=1).p_target is None


@pytest.mark.parametrize("q", [0.3, 0.001, 0.5, 0.999, 255.5 / 256])
def test_each_cell_comes_in_with_probability_q(q):
    # one deal of 1 cent, many trials: the share of trials it comes in estimates q (dense byte part
    # plus the Poisson correction for the fraction below 1/256)
    trials = 400_000
    totals = mc.simulate_totals([1], [q], trials=trials, seed=11)
    share = totals.mean()
    assert abs(share - q) < 5 * (q * (1 - q) / trials) ** 0.5 + 1e-9


def test_deals_are_independent_and_the_mean_matches_the_expectation():
    rng = np.random.default_rng(5)
    cents = rng.integers(1, 10**6, 3000)
    q = rng.uniform(0, 1, 3000)
    trials = 4000
    totals = mc.simulate_totals(cents, q, trials=trials, seed=2)
    mean, variance = float((cents * q).sum()), float((cents.astype(float) ** 2 * q * (1 - q)).sum())
    assert abs(totals.mean() - mean) < 5 * (variance / trials) ** 0.5
    assert 0.9 < totals.var() / variance < 1.1


def test_chunks_cover_every_trial():
    # more cells than one chunk holds: every trial gets its draws
    deals = mc.CHUNK_CELLS // 3 + 1
    totals = mc.simulate_totals(np.ones(deals, dtype=np.int64), np.full(deals, 0.5), trials=7, seed=1)
    assert totals.shape == (7,)
    assert np.all(np.abs(totals - deals / 2) < 6 * (deals / 4) ** 0.5)


def test_inputs_are_checked():
    with pytest.raises(ValueError):
        mc.simulate_totals([1, 2], [0.5], trials=10, seed=1)
    with pytest.raises(ValueError):
        mc.simulate_totals([1], [1.5], trials=10, seed=1)
    with pytest.raises(ValueError):
        mc.simulate_totals([1], [0.5], trials=0, seed=1)


@settings(max_examples=60, deadline=None)
@given(cents=amounts, data=st.data(), trials=st.integers(1, 300), seed=st.integers(0, 2**32))
def test_quantiles_are_ordered_and_bounded(cents, data, trials, seed):
    p = data.draw(st.lists(st.floats(0, 1), min_size=len(cents), max_size=len(cents)))
    result = mc.revenue_forecast(cents, p, [1.0] * len(cents), trials=trials, seed=seed, booked_cents=10)
    assert D("0.10") <= result.p10 <= result.p50 <= result.p90 <= D(sum(cents) + 10) / 100


@settings(max_examples=40, deadline=None)
@given(cents=amounts, data=st.data(), seed=st.integers(0, 2**32))
def test_reproducible_with_a_seed(cents, data, seed):
    p = data.draw(st.lists(st.floats(0, 1), min_size=len(cents), max_size=len(cents)))
    first = mc.simulate_totals(cents, p, trials=64, seed=seed)
    again = mc.simulate_totals(cents, p, trials=64, seed=seed)
    assert np.array_equal(first, again)


@settings(max_examples=40, deadline=None)
@given(cents=amounts, trials=st.integers(1, 200), seed=st.integers(0, 2**32))
def test_all_certain_gives_the_sum_and_all_impossible_gives_nothing(cents, trials, seed):
    ones = [1.0] * len(cents)
    assert np.all(mc.simulate_totals(cents, ones, trials=trials, seed=seed) == sum(cents))
    assert np.all(mc.simulate_totals(cents, [0.0] * len(cents), trials=trials, seed=seed, base_cents=7) == 7)
    certain = mc.revenue_forecast(cents, ones, ones, trials=trials, seed=seed)
    assert certain.p10 == certain.p50 == certain.p90 == certain.mean == D(sum(cents)) / 100


@pytest.mark.parametrize("cents", [[123_45, 678_91], [3 * 10**15 + 1, 7 * 10**15 + 3]])
def test_sums_are_exact_in_cents_small_and_huge(cents):
    # small portfolios are summed in float64 (exact below 2**53), huge ones in int64: both exact
    a, b = cents
    totals = mc.simulate_totals(cents, [0.5, 0.5], trials=400, seed=9)
    assert set(totals.tolist()) == {0, a, b, a + b}


def test_the_result_does_not_depend_on_the_number_of_threads(monkeypatch):
    import numpy as np

    from kadence.domain import montecarlo

    rng = np.random.default_rng(7)
    cents = rng.integers(1, 10_000_00, 3000)
    q = rng.random(3000)
    monkeypatch.setattr(montecarlo, "CHUNK_CELLS", 3000 * 64)  # several chunks
    monkeypatch.setattr(montecarlo, "THREADS", 1)
    one = montecarlo.simulate_totals(cents, q, trials=500, seed=11)
    monkeypatch.setattr(montecarlo, "THREADS", 4)
    four = montecarlo.simulate_totals(cents, q, trials=500, seed=11)
    assert (one == four).all()


def test_common_factor_adds_the_rates_variance_and_keeps_the_mean():
    # 20,000 trials of a revenue of exactly 1,000,000 above 50,000 booked: the factor's mean 1 and its
    # variance v = 0.04 show in the totals (relative sd 0.2); booked is never scaled
    totals = np.full(20_000, 1_050_000, dtype=np.int64)
    shocked = mc.common_factor(totals, 0.04, seed=7, base_cents=50_000)
    open_part = (shocked - 50_000) / 1_000_000
    assert open_part.mean() == pytest.approx(1, abs=0.01)
    assert open_part.var() == pytest.approx(0.04, rel=0.05)
    assert (shocked >= 50_000).all()
    # on a Monte-Carlo's own spread the variances add: Var(f X) = Var X + v E[X]² (1 + Var X ÷ E[X]²)
    cents, q = np.full(400, 10_000, dtype=np.int64), np.full(400, 0.5)
    plain = mc.simulate_totals(cents, q, trials=20_000, seed=3)
    mixed = mc.common_factor(plain, 0.01, seed=3)
    mean, var = float(plain.mean()), float(plain.var())
    assert float(mixed.var()) == pytest.approx(var + 0.01 * mean**2 * (1 + var / mean**2), rel=0.06)
    assert float(mixed.mean()) == pytest.approx(mean, rel=0.005)


def test_common_factor_zero_is_the_totals_and_bad_input_is_refused():
    totals = np.array([5, 7, 9], dtype=np.int64)
    assert mc.common_factor(totals, 0.0, seed=1) is totals
    assert mc.common_factor(totals, 5e-324, seed=1) is totals  # 1 ÷ it overflows (found by the property)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            mc.common_factor(totals, bad, seed=1)


def test_revenue_forecast_widens_with_the_rates_variance_only():
    cents, p = np.full(300, 100_000, dtype=np.int64), np.full(300, 0.4)
    plain = mc.revenue_forecast(cents, p, np.ones(300), trials=4000, seed=5, booked_cents=1_000)
    wide = mc.revenue_forecast(
        cents, p, np.ones(300), trials=4000, seed=5, booked_cents=1_000, relative_variance=0.05
    )
    assert wide.expected == plain.expected
    assert wide.p90 - wide.p10 > (plain.p90 - plain.p10) * D("1.5")


@settings(max_examples=40, deadline=None)
@given(
    cents=amounts,
    base=st.integers(0, 10**6),
    variance=st.floats(0, 4, allow_nan=False),
    seed=st.integers(0, 2**32),
)
def test_common_factor_is_reproducible_and_never_below_booked(cents, base, variance, seed):
    totals = base + np.asarray(cents, dtype=np.int64)
    once = mc.common_factor(totals, variance, seed=seed, base_cents=base)
    assert np.array_equal(once, mc.common_factor(totals, variance, seed=seed, base_cents=base))
    assert (once >= base).all()
    assert (once[totals == base] == base).all()  # a trial with nothing coming in stays at booked


# --- grouped deals (issue 11 §5): simulate_groups ---------------------------------------------------


def _pipeline(deals: int, seed: int, distinct_q: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cents = np.rint(rng.lognormal(np.log(250_000), 1.0, deals) * 100).astype(np.int64)
    q = rng.choice([0.02, 0.06, 0.2, 0.4, 0.75], size=deals) * rng.choice([1.0, 0.8, 0.5], size=deals)
    if distinct_q:  # every deal its own q, as the time-aware model gives: merged into logit bands
        q = np.clip(q * rng.uniform(0.7, 1.3, deals), 0, 1)
    return cents, q


def _as_groups(cents: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, ...]:
    """The deals grouped by q, as the database groups them by what q depends on."""
    values, inverse = np.unique(q, return_inverse=True)
    inverse = inverse.ravel()
    counts = np.bincount(inverse, minlength=values.size)
    sums = np.bincount(inverse, weights=cents.astype(np.float64), minlength=values.size)
    squares = np.bincount(inverse, weights=cents.astype(np.float64) ** 2, minlength=values.size)
    return counts, np.rint(sums).astype(np.int64), squares, values


@pytest.mark.parametrize("distinct_q", [False, True])
def test_groups_agree_with_the_deals_one_by_one(distinct_q):
    """The grouped sampler against the exact per-deal one on a synthetic pipeline of 20,000 deals (log-
    normal amounts, skewed like real ones): the mean of the trials within 3 standard errors of the exact
    expectation Σ q × amount, and P10 / P50 / P90 within 1 % of the per-deal run's (each run's own
    sampling error there is about 0.2 %)."""
    cents, q = _pipeline(20_000, 5, distinct_q)
    trials = 8_000
    exact = mc.simulate_totals(cents, q, trials=trials, seed=3)
    counts, sums, squares, values = _as_groups(cents, q)
    assert (counts > 1).any() != distinct_q  # distinct q: single deals, merged into bands by the sampler
    grouped = mc.simulate_groups(counts, sums, squares, values, trials=trials, seed=3)
    expectation = float(np.dot(cents.astype(np.float64), q))
    standard_error = float(exact.std()) / trials**0.5
    assert abs(float(grouped.mean()) - expectation) < 3 * standard_error
    assert abs(float(exact.mean()) - expectation) < 3 * standard_error
    for percent in (10, 50, 90):
        assert mc.percentile_cents(grouped, percent) == pytest.approx(
            mc.percentile_cents(exact, percent), rel=0.01
        )
    assert float(grouped.std()) == pytest.approx(float(exact.std()), rel=0.05)


def test_groups_of_one_deal_or_of_equal_amounts_are_exact():
    """n = 1, or equal amounts: the amount won is K × amount exactly (whole cents, no approximation);
    K ~ Binomial(n, q) exactly (its mean and variance here within sampling error)."""
    totals = mc.simulate_groups([1, 1], [700, 1_100], [700**2, 1_100**2], [0.5, 0.25], trials=4_000, seed=2)
    assert set(np.unique(totals).tolist()) <= {0, 700, 1_100, 1_800}
    n, q = 400, 0.3
    totals = mc.simulate_groups([n], [n * 250], [n * 250**2], [q], trials=20_000, seed=4, base_cents=9)
    wins = (totals - 9) / 250
    assert np.array_equal(wins, np.rint(wins))
    assert wins.mean() == pytest.approx(n * q, rel=0.005)
    assert wins.var() == pytest.approx(n * q * (1 - q), rel=0.04)
    assert wins.min() >= 0 and wins.max() <= n


def test_groups_certain_impossible_and_reproducible():
    counts, sums, squares = [3, 2, 5, 0], [300, 500, 900, 0], [30_000, 130_000, 170_000, 0]
    certain = mc.simulate_groups(counts, sums, squares, [1.0, 0.0, 1.0, 0.5], trials=5, seed=1, base_cents=7)
    assert certain.tolist() == [1_207] * 5
    once = mc.simulate_groups(counts, sums, squares, [0.2, 0.9, 0.5, 0.5], trials=300, seed=8)
    assert np.array_equal(
        once, mc.simulate_groups(counts, sums, squares, [0.2, 0.9, 0.5, 0.5], trials=300, seed=8)
    )
    assert (once >= 0).all()
    with pytest.raises(ValueError):
        mc.simulate_groups([1], [1, 2], [1, 4], [0.5], trials=3, seed=1)
    with pytest.raises(ValueError):
        mc.simulate_groups([-1], [1], [1], [0.5], trials=3, seed=1)


def test_classes_merge_equal_q_exactly_and_keep_the_expectation():
    counts, sums, squares, q = [2, 3, 4], [200, 600, 1_000], [20_000, 130_000, 260_000], [0.1, 0.1, 0.6]
    classes = mc.probability_classes(counts, sums, squares, q)
    assert classes.count.tolist() == [5, 4] and classes.q.tolist() == pytest.approx([0.1, 0.6])
    assert np.dot(classes.count * classes.q, classes.mean) == pytest.approx(0.1 * 800 + 0.6 * 1_000)
    many = np.linspace(0.001, 0.999, 5_000)
    banded = mc.probability_classes(np.ones(5_000), np.full(5_000, 100.0), np.full(5_000, 1e4), many)
    assert banded.count.size <= 14 / mc.LOGIT_WIDTH and banded.count.sum() == 5_000
    assert np.dot(banded.count * banded.q, banded.mean) == pytest.approx(100 * many.sum())


def test_revenue_forecast_over_groups_counts_the_deals():
    result = mc.revenue_forecast(
        [1_000, 600], [0.5, 1.0], [1.0, 1.0], counts=[4, 2], squares=[250_000, 180_000], trials=500, seed=1
    )
    assert result.deals == 6
    assert result.expected == D("11.00")  # 0.5 × 1,000 + 600 cents
    assert result.p10 <= result.p50 <= result.p90


def test_revenue_forecast_draws_by_class_above_exact_deals(monkeypatch):
    cents, q = np.full(12, 500, dtype=np.int64), np.full(12, 0.5)
    exact = mc.revenue_forecast(cents, q, np.ones(12), trials=3_000, seed=6)
    monkeypatch.setattr(mc, "EXACT_DEALS", 11)
    by_class = mc.revenue_forecast(cents, q, np.ones(12), trials=3_000, seed=6)
    assert by_class.expected == exact.expected == D("30.00")
    assert by_class.deals == exact.deals == 12
    # equal amounts: K × 500 exactly, K ~ Binomial(12, 0.5) (P10 4, P50 6, P90 8 wins)
    assert (by_class.p10, by_class.p50, by_class.p90) == (D("20.00"), D("30.00"), D("40.00"))
