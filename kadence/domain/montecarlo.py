"""Probabilistic forecast (METHODOLOGY §9.7): Monte-Carlo over open deals → P10 / P50 / P90 of the
period's revenue and the probability of reaching the target. Pure and vectorised (numpy): no
clock, no ORM, no Python loop per deal or per trial.

The model, kept simple on purpose:

- a deal *wins* with its win probability p_win (the level's probability, calibrated where the
  process uses calibration), independently of every other deal;
- it *closes inside the period* with probability p_in, from the close-date slip seen in history:
  slip S = actual close − the expected close date the deal had when it entered its last stage,
  over won deals (an empirical distribution, in days). The deal's projected close is
  max(expected + S, as_of) — a deal still open cannot close before today, so an overdue deal whose
  projection lies in the past closes "now". p_in = P(period_start ≤ projected ≤ period_end). With
  no slip history every deal closes on its expected date (S = 0);
- winning and closing in the period are independent, so each deal contributes its amount to a
  trial with probability q = p_win × p_in;
- revenue of a trial = what was already booked (won) in the period + Σ amounts of the deals that
  came in. Amounts are integer cents, so sums are exact;
- where the probabilities are estimates whose uncertainty is known (the time-aware model:
  kadence.domain.survival.rate_uncertainty), the deals' part of each trial is multiplied by one
  factor of mean 1 drawn for the trial (common_factor): the error of an estimated rate is common to
  the deals that share it, not independent like their outcomes.

Sampling is exact: a cell (trial, deal) is in with probability q exactly. It is drawn in two parts
that together cost 8 random bits per cell instead of 64: a dense byte compare `byte < ⌊256 q⌋`
(probability b = ⌊256 q⌋ / 256), OR-ed with a sparse Poisson correction of probability
r = (q − b) ÷ (1 − b) (per deal and chunk, Poisson(trials × λ) hits with λ = −ln(1 − r) placed on
uniformly random trials; a cell is in when at least one hit lands on it, which happens with
probability 1 − e^(−λ) = r, independently per cell). b + (1 − b) r = q. Deals with q = 0 or q = 1
are not drawn at all. Trials are processed in chunks so memory stays bounded (about 2 bytes per
cell of a chunk, ≈ 32 MB per running chunk); each chunk has its own random stream spawned from the
seed, and chunks run on up to four threads (numpy releases the GIL), with the same result whatever
the number of threads.

**Grouped deals** (simulate_groups, issue 11 §5: a company's quarter of a million open deals in well
under a second). Over EXACT_DEALS deals, revenue_forecast draws the deals by class rather than one by
one. A row is a group of deals of one q — n deals, the sum and the sum of squares of their amounts (a
single deal is a group of one). Groups with the same q are merged (exactly); when more distinct q remain than
MAX_CLASSES, groups are merged into classes of nearly equal q (a band of LOGIT_WIDTH on the logit
scale, so q and 1 − q each vary by under 11 % inside one), the class's q being the count-weighted
mean. Per trial and class:

- K ~ Binomial(N, q) deals won, drawn exactly by inverting the binomial's CDF (one uniform per cell;
  the table spans the mean ± 10 standard deviations + 10, the mass outside is below 1e-20);
- their amount, the sum of K of the class's N amounts drawn without replacement: mean K m and
  variance K (N − K) ÷ (N − 1) × s² (m the q-weighted mean amount, so the expectation Σ q × amount
  is kept exactly; s² the amounts' variance), drawn log-normal with that mean and variance (positive
  and right-skewed like the amounts). Exact when the class's amounts are equal (a group of one deal,
  or deals of one size): K × m.

One definition of the model either way: a deal is in with probability q, independently; the grouped
sampler differs from the per-deal one only in drawing the amounts of a group's winners from the
group's first two moments rather than from the deals themselves, and in merging nearly equal q when
there are very many (tests/domain/test_montecarlo.py bounds the difference). It costs trials ×
classes cells (a few hundred classes at a million deals) instead of trials × deals.

Quantiles are empirical (inverted CDF: the smallest simulated revenue whose share of trials at or
below it reaches p), so P10 ≤ P50 ≤ P90 always and every figure is a revenue some trial produced.
Same inputs and seed → same result.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

EPOCH = date(1970, 1, 1)
CHUNK_CELLS = 1 << 24  # cells (trials × deals) per chunk: ≈ 16 MB of random bytes + 16 MB of hits
THREADS = max(1, min(4, os.cpu_count() or 1))  # chunks run in parallel threads, results independent of it
DENSE_LEVELS = 256  # the dense part compares one random byte per cell
PERCENTILES = (10, 50, 90)
EXACT_FLOAT = 2.0**52  # float64 holds every whole number up to 2**53; a margin for the test's rounding
CENT = Decimal("0.01")
MODEL_VERSION = 4  # bump when the sampling changes: cached results of the old one are then not reused
NEW_BUSINESS_STREAM = 0x6E6577  # the random stream of the new-business draws, apart from the deals' ("new")
SHOCK_STREAM = 0x72617465  # the random stream of the common factor of the estimated rates ("rate")
SHARE = Decimal("0.0001")
EXACT_DEALS = 5_000  # up to this many uncertain deals each is drawn (simulate_totals); above, by class
MAX_CLASSES = 128  # distinct q simulated as they are; above, merged into bands of nearly equal q
LOGIT_WIDTH = 0.1  # width of a band on the logit scale: q and 1 − q each vary by under 11 % inside one
BINOMIAL_SPAN = 10.0  # the CDF table covers the mean ± this many standard deviations (+ TABLE_MARGIN)
TABLE_MARGIN = 10


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the integer dates the vectorised functions take)."""
    return (day - EPOCH).days


def _as_int_array(values: npt.ArrayLike, name: str) -> IntArray:
    array = np.asarray(values, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return array


def _as_probabilities(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if array.size and (np.isnan(array).any() or array.min() < 0 or array.max() > 1):
        raise ValueError(f"{name} must be fractions in [0, 1]")
    return array


def in_period_probability(
    expected: npt.ArrayLike,
    *,
    period_start: int,
    period_end: int,
    as_of: int,
    slip_days: npt.ArrayLike = (),
    slip_counts: npt.ArrayLike = (),
) -> FloatArray:
    """p_in per deal: the probability that a deal expected to close on day `expected` (day numbers)
    closes within [period_start, period_end], given the empirical slip distribution (`slip_days`
    values with `slip_counts` deals each; any order) and that it is still open on `as_of`:

    - as_of after the period: 0 (an open deal cannot close in the past);
    - as_of inside the period: P(expected + S ≤ period_end) (a projection before today means "now");
    - as_of before the period: P(period_start ≤ expected + S ≤ period_end).

    No slip history → S = 0 (the deal closes on its expected date)."""
    days = _as_int_array(expected, "expected")
    values = _as_int_array(slip_days, "slip_days")
    counts = _as_int_array(slip_counts, "slip_counts")
    if values.shape != counts.shape:
        raise ValueError("slip_days and slip_counts must have the same length")
    if counts.size and counts.min() < 0:
        raise ValueError("slip_counts must not be negative")
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    if as_of > period_end:
        return np.zeros(days.shape, dtype=np.float64)
    total = int(counts.sum())
    if total == 0:
        values, counts, total = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), 1
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    cumulative = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(counts)))
    # P(S ≤ period_end − expected): deals at or below the bound
    within = cumulative[np.searchsorted(values, period_end - days, side="right")]
    if as_of < period_start:
        # minus P(S < period_start − expected): those that would close before the period starts
        within = within - cumulative[np.searchsorted(values, period_start - days, side="left")]
    result: FloatArray = within.astype(np.float64) / total
    return result


def simulate_totals(
    amount_cents: npt.ArrayLike, probability: npt.ArrayLike, *, trials: int, seed: int, base_cents: int = 0
) -> IntArray:
    """Revenue (cents) of each of `trials` trials: base_cents + Σ amounts of the deals that come in,
    deal i coming in with probability probability[i], independently per deal and trial. Exact
    sampling (see the module docstring); reproducible for a given seed."""
    cents = _as_int_array(amount_cents, "amount_cents")
    q = _as_probabilities(probability, "probability")
    if cents.shape != q.shape:
        raise ValueError("amount_cents and probability must have the same length")
    if trials < 1:
        raise ValueError("trials must be at least 1")
    certain = int(cents[q >= 1].sum())
    uncertain = (q > 0) & (q < 1)
    cents, q = cents[uncertain], q[uncertain]
    totals = np.full(trials, base_cents + certain, dtype=np.int64)
    deals = q.size
    if deals == 0:
        return totals
    dense = np.floor(q * DENSE_LEVELS).astype(np.uint8)
    covered = dense.astype(np.float64) / DENSE_LEVELS
    rest = (q - covered) / (1 - covered)
    rate = -np.log1p(-rest)
    columns = np.arange(deals)
    # float64 sums of whole cents are exact below 2**53 and faster than int64 ones
    weights: npt.NDArray[np.float64] | IntArray = (
        cents.astype(np.float64) if float(np.abs(cents.astype(np.float64)).sum()) < EXACT_FLOAT else cents
    )
    chunk = max(1, min(trials, CHUNK_CELLS // deals))
    starts = list(range(0, trials, chunk))
    # One independent random stream per chunk (spawned from the seed), so the result does not depend
    # on how many threads run the chunks; numpy releases the GIL in the heavy parts.
    streams = np.random.SeedSequence(seed).spawn(len(starts))

    def run(index: int) -> None:
        start = starts[index]
        rows = min(chunk, trials - start)
        rng = np.random.Generator(np.random.PCG64(streams[index]))
        cells = rows * deals
        random_bytes = (
            rng.bit_generator.random_raw(-(-cells // 8)).view(np.uint8)[:cells].reshape(rows, deals)
        )
        hits = random_bytes < dense
        landed = rng.poisson(rows * rate)
        count = int(landed.sum())
        if count:
            hits[rng.integers(0, rows, count), np.repeat(columns, landed)] = True
        totals[start : start + rows] += np.einsum("ij,j->i", hits, weights).astype(np.int64)

    workers = min(len(starts), THREADS)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, range(len(starts))))
    else:
        for index in range(len(starts)):
            run(index)
    return totals


@dataclass(frozen=True)
class Classes:
    """Groups of deals merged by their probability: per class, N deals, q (count-weighted mean), the
    q-weighted mean amount m (so N q m = Σ q × amount exactly) and the amounts' variance s²."""

    count: IntArray
    q: FloatArray
    mean: FloatArray
    variance: FloatArray


def _as_groups(
    counts: npt.ArrayLike, sums: npt.ArrayLike, squares: npt.ArrayLike, probability: npt.ArrayLike
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    n = _as_int_array(counts, "counts")
    total = np.asarray(sums, dtype=np.float64)
    square = np.asarray(squares, dtype=np.float64)
    q = _as_probabilities(probability, "probability")
    if not n.shape == total.shape == square.shape == q.shape:
        raise ValueError("counts, sums, squares and probability must have the same length")
    if total.ndim != 1 or square.ndim != 1:
        raise ValueError("sums and squares must be one-dimensional")
    if n.size and n.min() < 0:
        raise ValueError("counts must not be negative")
    return n, total, square, q


def probability_classes(
    counts: npt.ArrayLike, sums: npt.ArrayLike, squares: npt.ArrayLike, probability: npt.ArrayLike
) -> Classes:
    """Merge groups of deals (n, Σ amount, Σ amount², q; 0 < q < 1) into the classes simulate_groups
    draws: by equal q, or, with more than MAX_CLASSES distinct values, by bands of LOGIT_WIDTH on the
    logit scale (see the module docstring)."""
    n, total, square, q = _as_groups(counts, sums, squares, probability)
    keep = n > 0
    n, total, square, q = n[keep], total[keep], square[keep], q[keep]
    distinct, inverse = np.unique(q, return_inverse=True)
    if distinct.size > MAX_CLASSES:
        logit = np.log(q) - np.log1p(-q)
        _bands, inverse = np.unique(np.floor(logit / LOGIT_WIDTH).astype(np.int64), return_inverse=True)
    inverse = inverse.ravel()
    classes = int(inverse.max()) + 1 if inverse.size else 0
    weight = n.astype(np.float64)
    count = np.bincount(inverse, weights=weight, minlength=classes)
    expected_deals = np.bincount(inverse, weights=weight * q, minlength=classes)
    expected_cents = np.bincount(inverse, weights=total * q, minlength=classes)
    amount = np.bincount(inverse, weights=total, minlength=classes)
    amount_sq = np.bincount(inverse, weights=square, minlength=classes)
    safe = np.maximum(count, 1.0)
    variance = np.where(
        count > 1, np.maximum(amount_sq - amount * amount / safe, 0.0) / np.maximum(count - 1, 1.0), 0.0
    )
    return Classes(
        count=np.rint(count).astype(np.int64),
        q=expected_deals / safe,
        mean=np.where(
            expected_deals > 0, expected_cents / np.where(expected_deals > 0, expected_deals, 1), 0
        ),
        variance=variance,
    )


def _binomial_tables(count: IntArray, q: FloatArray) -> tuple[list[FloatArray], IntArray]:
    """Each class's binomial CDF over the values of K that matter: CDF(k) for k = low[c], low[c] + 1, …,
    the last exactly 1. The pmf by its recurrence in logs (no factorials), normalised on the span."""
    tables, low = [], []
    for n, p in zip(count.tolist(), q.tolist(), strict=True):
        mean, sd = n * p, (n * p * (1 - p)) ** 0.5
        lo = max(0, int(np.floor(mean - BINOMIAL_SPAN * sd - TABLE_MARGIN)))
        hi = min(n, int(np.ceil(mean + BINOMIAL_SPAN * sd + TABLE_MARGIN)))
        k = np.arange(lo, hi, dtype=np.float64)  # the step from k to k + 1
        steps = np.log(n - k) - np.log(k + 1) + (np.log(p) - np.log1p(-p))
        log_pmf = np.concatenate((np.zeros(1), np.cumsum(steps)))
        cdf = np.cumsum(np.exp(log_pmf - log_pmf.max()))
        cdf /= cdf[-1]
        cdf[-1] = 1.0
        tables.append(cdf)
        low.append(lo)
    return tables, np.asarray(low, dtype=np.int64)


def simulate_groups(
    counts: npt.ArrayLike,
    sums: npt.ArrayLike,
    squares: npt.ArrayLike,
    probability: npt.ArrayLike,
    *,
    trials: int,
    seed: int,
    base_cents: int = 0,
) -> IntArray:
    """Revenue (cents) of each of `trials` trials: base_cents + what the groups of deals bring in, a
    group being `counts` deals whose amounts sum to `sums` (cents) and their squares to `squares`,
    each deal in with the group's probability, independently. See the module docstring ("Grouped
    deals"); reproducible for a given seed. Rounded to whole cents once per trial."""
    n, total, square, q = _as_groups(counts, sums, squares, probability)
    if trials < 1:
        raise ValueError("trials must be at least 1")
    certain = int(np.rint(total[(q >= 1) & (n > 0)].sum()))
    uncertain = (q > 0) & (q < 1) & (n > 0)
    totals = np.full(trials, base_cents + certain, dtype=np.int64)
    if not uncertain.any():
        return totals
    classes = probability_classes(n[uncertain], total[uncertain], square[uncertain], q[uncertain])
    tables, low = _binomial_tables(classes.count, classes.q)
    width = classes.count.size
    spread = classes.variance > 0
    spread_columns = np.flatnonzero(spread)
    big = np.maximum(classes.count - 1, 1).astype(np.float64)
    chunk = max(1, min(trials, CHUNK_CELLS // (4 * width)))
    starts = list(range(0, trials, chunk))
    streams = np.random.SeedSequence([seed, width]).spawn(len(starts))

    def run(number: int) -> None:
        first = starts[number]
        rows = min(chunk, trials - first)
        rng = np.random.Generator(np.random.PCG64(streams[number]))
        uniform = rng.random((width, rows))  # a class's trials side by side: its table stays in cache
        won = np.empty((width, rows), dtype=np.int64)  # K per class and trial
        for column, table in enumerate(tables):
            won[column] = np.searchsorted(table, uniform[column], side="right")
        won = np.minimum(won, np.asarray([t.size - 1 for t in tables])[:, None]) + low[:, None]
        amount = won * classes.mean[:, None]
        if spread_columns.size:
            k = won[spread_columns].astype(np.float64)
            m = amount[spread_columns]
            variance = (
                k * (classes.count[spread_columns, None] - k) / big[spread_columns, None]
            ) * classes.variance[spread_columns, None]
            sigma2 = np.log1p(variance / np.where(m > 0, m * m, 1.0))
            z = rng.standard_normal((spread_columns.size, rows))
            amount[spread_columns] = m * np.exp(np.sqrt(sigma2) * z - sigma2 / 2)
        totals[first : first + rows] += np.rint(amount.sum(axis=0)).astype(np.int64)

    workers = min(len(starts), THREADS)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, range(len(starts))))
    else:
        for number in range(len(starts)):
            run(number)
    return totals


@dataclass(frozen=True)
class HistogramBin:
    """Trials whose revenue fell in [low, high) (the last bin includes `high`)."""

    low: Decimal
    high: Decimal
    count: int


@dataclass(frozen=True)
class RevenueForecast:
    """The Monte-Carlo result for one period. Money in currency units (2 places). `expected` is the
    exact expectation booked + Σ amount × p_win × p_in, `mean` the average over the trials (they
    differ by sampling noise). `p_target` is the share of trials with revenue ≥ target (None
    without a target). `deals` counts the deals with a chance (q > 0)."""

    trials: int
    seed: int
    deals: int
    booked: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    mean: Decimal
    expected: Decimal
    target: Decimal | None
    p_target: Decimal | None
    histogram: tuple[HistogramBin, ...]


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def percentile_cents(totals: IntArray, percent: int) -> int:
    """The empirical percentile (inverted CDF): the smallest total with at least `percent`% of the
    trials at or below it. Integer arithmetic, so P10 ≤ P50 ≤ P90 exactly."""
    if totals.size == 0:
        raise ValueError("no trials")
    ordered = np.sort(totals)
    index = max(0, (percent * totals.size + 99) // 100 - 1)
    return int(ordered[index])


def histogram(totals: IntArray, bins: int = 30) -> tuple[HistogramBin, ...]:
    """Equal-width bins over the simulated totals (cents in, currency units out); no more bins than
    distinct totals (a certain revenue is one bar)."""
    counts, edges = np.histogram(totals.astype(np.float64), bins=max(1, min(bins, np.unique(totals).size)))
    lows = np.rint(edges[:-1]).astype(np.int64).tolist()
    highs = np.rint(edges[1:]).astype(np.int64).tolist()
    return tuple(
        HistogramBin(_money(low), _money(high), int(n))
        for low, high, n in zip(lows, highs, counts.tolist(), strict=True)
    )


def add_new_business(totals: IntArray, samples_cents: Sequence[int], *, seed: int) -> IntArray:
    """Each trial plus one draw (uniform, with replacement) from `samples_cents`: what deals that did not
    exist yet at the forecast's moment brought in by the period's end in comparable past periods. No
    samples: the totals as they are. Reproducible for a given seed, independent of the deals' draws."""
    if not len(samples_cents):
        return totals
    samples = np.asarray(samples_cents, dtype=np.int64)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, NEW_BUSINESS_STREAM])))
    return totals + samples[rng.integers(0, samples.size, totals.size)]


def common_factor(totals: IntArray, relative_variance: float, *, seed: int, base_cents: int = 0) -> IntArray:
    """Each trial's revenue above `base_cents` multiplied by its own factor f, drawn from a gamma
    distribution of mean 1 and variance `relative_variance` (the squared coefficient of variation):
    one shock per trial, common to every deal of it. It carries what the deals' independent draws
    cannot — that the win rates the probabilities come from were estimated, and an error in one
    (say, a state's rate read too low) moves all its deals together: Var(f X) = Var X + v E[X]² (1 +
    Var X ÷ E[X]²), so the added variance is the rates' own (v E[X]², kadence.domain.survival
    .rate_uncertainty). The expectation is unchanged. 0: the totals as they are. Rounded to whole cents;
    reproducible for a given seed, independent of the deals' draws."""
    if relative_variance < 0 or not np.isfinite(relative_variance):
        raise ValueError("relative_variance must be a finite number ≥ 0")
    shape = 1.0 / relative_variance if relative_variance else np.inf
    if not np.isfinite(shape) or totals.size == 0:  # 0, or so small that 1 ÷ it overflows: no factor
        return totals
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, SHOCK_STREAM])))
    factor = rng.gamma(shape, 1.0 / shape, totals.size)
    open_part = (totals - base_cents).astype(np.float64)
    result: IntArray = base_cents + np.rint(open_part * factor).astype(np.int64)
    return result


def revenue_forecast(
    amount_cents: npt.ArrayLike,
    p_win: npt.ArrayLike,
    p_in: npt.ArrayLike,
    *,
    trials: int,
    seed: int,
    booked_cents: int = 0,
    target_cents: int | None = None,
    new_business_cents: Sequence[int] = (),
    relative_variance: float = 0.0,
    bins: int = 30,
    counts: npt.ArrayLike | None = None,
    squares: npt.ArrayLike | None = None,
) -> RevenueForecast:
    """P10 / P50 / P90, mean and P(revenue ≥ target) of the period's revenue: booked + the open deals,
    each in with p_win × p_in (fractions), times the trial's common factor (common_factor, of variance
    `relative_variance`; 0: none), + the new business (add_new_business). One row per deal: up to
    EXACT_DEALS deals with 0 < q < 1 each is drawn (simulate_totals), above them the deals are drawn by
    classes of equal or nearly equal q (simulate_groups, each deal a group of one). With `counts` and
    `squares`, one row per group of deals: `counts` deals whose amounts sum to amount_cents and their
    squares to `squares` (simulate_groups)."""
    cents = _as_int_array(amount_cents, "amount_cents")
    q = _as_probabilities(p_win, "p_win") * _as_probabilities(p_in, "p_in")
    if counts is None and int(((q > 0) & (q < 1)).sum()) <= EXACT_DEALS:
        deals = q > 0
        totals = simulate_totals(cents, q, trials=trials, seed=seed, base_cents=booked_cents)
    elif counts is None:
        deals = q > 0
        totals = simulate_groups(
            np.ones(cents.shape, dtype=np.int64),
            cents,
            cents.astype(np.float64) ** 2,
            q,
            trials=trials,
            seed=seed,
            base_cents=booked_cents,
        )
    else:
        n = _as_int_array(counts, "counts")
        deals = np.repeat(q > 0, np.maximum(n, 0)) if n.shape == q.shape else q > 0
        totals = simulate_groups(
            n,
            cents,
            cents.astype(np.float64) ** 2 if squares is None else squares,
            q,
            trials=trials,
            seed=seed,
            base_cents=booked_cents,
        )
    totals = common_factor(totals, relative_variance, seed=seed, base_cents=booked_cents)
    totals = add_new_business(totals, new_business_cents, seed=seed)
    low = int(totals.min())
    mean = Decimal(low) + Decimal(int((totals - low).sum())) / trials
    expected = Decimal(booked_cents) + Decimal(float(np.dot(cents.astype(np.float64), q)))
    if len(new_business_cents):
        expected += Decimal(sum(int(c) for c in new_business_cents)) / len(new_business_cents)
    p_target = None
    if target_cents is not None:
        share = Decimal(int((totals >= target_cents).sum())) / trials
        p_target = share.quantize(SHARE, rounding=ROUND_HALF_UP)
    p10, p50, p90 = (percentile_cents(totals, p) for p in PERCENTILES)
    return RevenueForecast(
        trials=trials,
        seed=seed,
        deals=int(deals.sum()),
        booked=_money(booked_cents),
        p10=_money(p10),
        p50=_money(p50),
        p90=_money(p90),
        mean=(mean / 100).quantize(CENT, rounding=ROUND_HALF_UP),
        expected=(expected / 100).quantize(CENT, rounding=ROUND_HALF_UP),
        target=None if target_cents is None else _money(target_cents),
        p_target=p_target,
        histogram=histogram(totals, bins),
    )
