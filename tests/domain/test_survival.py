"""The time-aware estimator (kadence.domain.survival) on small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from kadence.domain import survival as sv

W, L, C = sv.WON, sv.LOST, sv.CENSORED


def four_episodes(horizon: int = 10) -> sv.Curves:
    # one cell: censored on day 1, won on day 2, lost on day 3, won on day 5
    return sv.estimate([0, 0, 0, 0], [1, 2, 3, 5], [C, W, L, W], [1, 1, 1, 1], cells=1, horizon=horizon)


def test_aalen_johansen_by_hand() -> None:
    curves = four_episodes()
    # day 1: 4 at risk, one censored; day 2: 3 at risk, one won; day 3: 2 at risk, one lost; day 5: the last wins
    assert curves.survival[0, :6].tolist() == pytest.approx([1, 1, 2 / 3, 1 / 3, 1 / 3, 0])
    assert curves.won[0, :6].tolist() == pytest.approx([0, 0, 1 / 3, 1 / 3, 1 / 3, 2 / 3])
    assert curves.outcomes_after[0, :6].tolist() == [3, 3, 2, 1, 1, 0]
    # the pool (last row) of a single cell is that cell
    assert curves.won[1].tolist() == pytest.approx(curves.won[0].tolist())


def test_won_within_shrinks_toward_the_pool_then_the_configured_model() -> None:
    curves = four_episodes()
    # age 2, days 1..3 after as_of = durations 3..5: own (F(5) − F(2)) ÷ S(2) = (1/3) ÷ (2/3) = 1/2,
    # resting on 2 outcomes; the pool (the same single cell) says 1/2 on 2 outcomes too, pulled toward
    # the configured model 0.4 × 0.8 = 0.32; strength 2: pool (2 × 0.5 + 2 × 0.32) ÷ 4 = 0.41,
    # then the cell (2 × 0.5 + 2 × 0.41) ÷ 4
    q = sv.won_within(curves, [0], [2], [0.4], [0.8], first=1, last=3, strength=2)
    assert q.tolist() == pytest.approx([0.455])
    # a window that ends before the next win: nothing from the cell nor the pool, only the configured
    # model's share: pool (0 + 2 × 0.32) ÷ 4 = 0.16, cell (0 + 2 × 0.16) ÷ 4
    q = sv.won_within(curves, [0], [2], [0.4], [0.8], first=1, last=2, strength=2)
    assert q.tolist() == pytest.approx([0.08])


def test_a_thin_cell_borrows_the_pooled_estimate_not_the_configured_one() -> None:
    # cell 0: one episode lost on day 2; cell 1: 6 won on day 4, 3 lost on day 8
    curves = sv.estimate([0, 1, 1], [2, 4, 8], [L, W, L], [1, 6, 3], cells=2, horizon=10)
    # pool: day 2, 10 at risk, 1 lost → S = 0.9; day 4, 9 at risk, 6 won → F_won = 0.9 × 6/9 = 0.6
    assert curves.won[2, 4] == pytest.approx(0.6)
    # age 1, days 1..5 after as_of = durations 2..6. Pool: 0.6 on 10 outcomes, toward the configured
    # 0.2 × 0.5 = 0.1 with strength 10 → (10 × 0.6 + 10 × 0.1) ÷ 20 = 0.35.
    # cell 0: own 0 on 1 outcome → (0 + 10 × 0.35) ÷ 11; cell 1: own 6/9 on 9 → (6 + 3.5) ÷ 19 = 0.5;
    # no cell (a stage without episodes): the pool's 0.35
    q = sv.won_within(curves, [0, 1, -1], [1, 1, 1], [0.2] * 3, [0.5] * 3, first=1, last=5, strength=10)
    assert q.tolist() == pytest.approx([3.5 / 11, 0.5, 0.35])
    # however low the configured probability (a deal holding a lower level), the history speaks
    low = sv.won_within(curves, [0], [1], [0.0], [0.5], first=1, last=5, strength=10)
    assert low.tolist() == pytest.approx([10 * 0.3 / 11])


def test_no_history_is_the_configured_model() -> None:
    empty = sv.estimate([], [], [], [], cells=2, horizon=30)
    q = sv.won_within(empty, [0, 1, -1], [0, 5, 9], [0.1, 0.5, 0.9], [1.0, 0.5, 0.2], first=1, last=30)
    assert q.tolist() == pytest.approx([0.1, 0.25, 0.18])


def test_competing_loss_and_censoring() -> None:
    # two cells: cell 0 has 10 wins on day 10 and 10 losses on day 5; cell 1 only losses
    curves = sv.estimate([0, 0, 1], [10, 5, 3], [W, L, L], [10, 10, 4], cells=2, horizon=20)
    assert curves.won[0, 20] == pytest.approx(0.5)
    assert curves.won[1, 20] == 0
    # pooled: 24 episodes, 4 lost on day 3, 10 on day 5, then 10 won on day 10 → F_pool(20) = 10/24
    assert curves.won[2, 20] == pytest.approx(10 / 24)
    # a deal of cell 0 aged 6 (the losses are behind it) wins on day 10 for sure: own = 1, 10 outcomes;
    # the pool at age 6 is those same 10 wins (1 on 10 outcomes), pulled toward 0.3 × 0 → 0.5
    q = sv.won_within(curves, [0, 0], [6, 6], [0.3, 0.3], [0.0, 0.0], first=1, last=4, strength=10)
    assert q.tolist() == pytest.approx([(10 * 1 + 10 * 0.5) / 20, (10 * 1 + 10 * 0.5) / 20])
    # older than every episode: no evidence, no pooled win left → prior × fallback timing
    q = sv.won_within(curves, [0], [15], [0.3], [0.5], first=1, last=4)
    assert q.tolist() == pytest.approx([0.15])


def test_horizon_caps_durations() -> None:
    curves = sv.estimate([0], [50], [W], [3], cells=1, horizon=10)  # beyond the horizon: censored
    assert curves.won[0, 10] == 0 and curves.survival[0, 10] == 1


def test_vectorised_matches_one_by_one() -> None:
    rng = np.random.default_rng(3)
    n = 400
    curves = sv.estimate(
        rng.integers(0, 3, n),
        rng.integers(0, 200, n),
        rng.integers(0, 3, n),
        rng.integers(1, 4, n),
        cells=3,
        horizon=150,
    )
    cells, ages = rng.integers(-1, 3, 50), rng.integers(0, 200, 50)
    prior, timing = rng.random(50), rng.random(50)
    together = sv.won_within(curves, cells, ages, prior, timing, first=3, last=40)
    alone = [
        sv.won_within(curves, [c], [a], [p], [t], first=3, last=40)[0]
        for c, a, p, t in zip(cells, ages, prior, timing, strict=True)
    ]
    assert together.tolist() == pytest.approx(alone)
    assert ((together >= 0) & (together <= 1)).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cell": [3], "duration": [1], "outcome": [W], "count": [1]},
        {"cell": [0], "duration": [1], "outcome": [7], "count": [1]},
        {"cell": [0], "duration": [1], "outcome": [W], "count": [-1]},
        {"cell": [0, 0], "duration": [1], "outcome": [W], "count": [1]},
    ],
)
def test_bad_input(kwargs: dict[str, list[int]]) -> None:
    with pytest.raises(ValueError):
        sv.estimate(**kwargs, cells=1)
