"""The time-aware estimator (kadence.domain.survival, a multi-state model of the deals' stays) on small
cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from kadence.domain import survival as sv

W, L, C, M = sv.WON, sv.LOST, sv.CENSORED, sv.MOVED


def two_states(horizon: int = 10) -> sv.StateModel:
    # state 0 (say stage 6 at level Q): 2 stays move on to state 1 on day 2, 1 is lost on day 3, 1 is
    # still there on day 1 (censored); state 1 (stage 7 at D): 2 won on day 1, 1 lost on day 4.
    # Each state its own group.
    return sv.estimate_states(
        [0, 0, 0, 1, 1],
        [2, 3, 1, 1, 4],
        [M, L, C, W, L],
        [1, -1, -1, -1, -1],
        [2, 1, 1, 2, 1],
        group_of=[0, 1],
        groups=2,
        horizon=horizon,
    )


def test_stays_by_hand() -> None:
    model = two_states()
    # state 0: day 1, 4 in it, 1 censored; day 2, 3 in it, 2 move on → S = 1/3; day 3, the last is lost
    assert model.survival[0, :5].tolist() == pytest.approx([1, 1, 1 / 3, 0, 0])
    assert (model.move_row.tolist(), model.move_target.tolist()) == ([0, 2], [1, 1])  # state 0, its group
    assert model.hazard_move[0, :4].tolist() == pytest.approx([0, 0, 2 / 3, 0])
    # state 1: day 1, 3 in it, 2 won → S = 1/3, h_won = 2/3; day 4 the last is lost
    assert model.hazard_won[1, :2].tolist() == pytest.approx([0, 2 / 3])
    assert model.exits_after[0, :4].tolist() == [3, 3, 1, 0]
    # a group of one state is that state
    assert model.survival[2].tolist() == pytest.approx(model.survival[0].tolist())


def test_won_through_the_later_states() -> None:
    model = two_states()
    # just entered state 1: won on day 1 with 2/3; state 0: moved on day 2 (2/3), then won a day later
    g = sv._won_after_entry(model, 5)
    assert g[1].tolist() == pytest.approx([0, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3])
    assert g[0].tolist() == pytest.approx([0, 0, 0, 4 / 9, 4 / 9, 4 / 9])
    # open at as_of, 1 day into state 0: moves on day 1 after as_of (S(2) ÷ S(1) = 1/3 of the time it
    # stays), wins a day later → days 1..5: 2/3 × 2/3; days 1..1: nothing yet. Almost no shrinkage.
    q = sv.won_within_states(
        model, [0, 0, 1], [0, 0, 1], [1, 1, 0], [0.5] * 3, first=1, last=5, strength=1e-9
    )
    assert q.tolist() == pytest.approx([4 / 9, 4 / 9, 2 / 3])
    q = sv.won_within_states(model, [0], [0], [1], [0.5], first=1, last=1, strength=1e-9)
    assert q.tolist() == pytest.approx([0], abs=1e-9)
    # the window of days 3..5 leaves out what is won on days 1..2: nothing from state 0 at age 1
    q = sv.won_within_states(model, [0, 1], [0, 1], [1, 0], [0.5] * 2, first=3, last=5, strength=1e-9)
    assert q.tolist() == pytest.approx([0, 0], abs=1e-9)


def test_an_early_state_is_not_credited_with_the_wins_of_deals_that_moved_on() -> None:
    # 10 stays in state 0 all move to state 1 after 30 days; there 10 are won after 30 more days. A
    # deal 1 day into state 0 wins within a 30-day window only if it had moved on and won within it:
    # never. Within 60 days, for sure.
    model = sv.estimate_states(
        [0, 1], [30, 30], [M, W], [1, -1], [10, 10], group_of=[0, 1], groups=2, horizon=100
    )
    q = sv.won_within_states(model, [0, 0], [0, 0], [1, 0], [0.9, 0.9], first=1, last=30, strength=1e-9)
    assert q.tolist() == pytest.approx([0, 0], abs=1e-9)
    q = sv.won_within_states(model, [0], [0], [0], [0.9], first=1, last=60, strength=1e-9)
    assert q.tolist() == pytest.approx([1])


def test_moves_on_the_day_of_entry() -> None:
    # state 0 moves on to state 1 on its first day (duration 0), where half are won on day 2
    model = sv.estimate_states(
        [0, 1, 1], [0, 2, 2], [M, W, L], [1, -1, -1], [4, 2, 2], group_of=[0, 0], groups=1, horizon=10
    )
    g = sv._won_after_entry(model, 3)
    assert g[0].tolist() == pytest.approx([0, 0, 0.5, 0.5])


def test_shrinks_toward_the_group_then_the_configured_model() -> None:
    # states 0 and 1 in group 0 (one level): state 0 has 1 stay, lost on day 2; state 1 has 6 won on
    # day 4 and 3 lost on day 8
    model = sv.estimate_states(
        [0, 1, 1], [2, 4, 8], [L, W, L], [-1, -1, -1], [1, 6, 3], group_of=[0, 0], groups=1, horizon=10
    )
    # the group: day 2, 10 in it, 1 lost (S = 0.9); day 4, 9 in it, 6 won → won by day 4: 0.6
    # age 1, days 1..5 after as_of = days 2..6 of the stay. Group: 0.6 on 10 ends, toward the configured
    # 0.1 with strength 10 → (10 × 0.6 + 10 × 0.1) ÷ 20 = 0.35.
    # state 0: own 0 on 1 end → (0 + 10 × 0.35) ÷ 11; state 1: own 6/9 on 9 → (6 + 3.5) ÷ 19 = 0.5;
    # no state with history (a new stage at that level): the group's 0.35; nothing known: the configured
    q = sv.won_within_states(
        model, [0, 1, -1, -1], [0, 0, 0, -1], [1, 1, 1, 1], [0.1] * 4, first=1, last=5, strength=10
    )
    assert q.tolist() == pytest.approx([3.5 / 11, 0.5, 0.35, 0.1])
    # older than every stay: no history speaks for it → the configured model
    q = sv.won_within_states(model, [1], [0], [9], [0.1], first=1, last=5)
    assert q.tolist() == pytest.approx([0.1])


def test_no_history_is_the_configured_model() -> None:
    empty = sv.estimate_states([], [], [], [], [], group_of=[], groups=0, horizon=30)
    q = sv.won_within_states(empty, [-1, -1], [-1, -1], [0, 5], [0.1, 0.25], first=1, last=30)
    assert q.tolist() == pytest.approx([0.1, 0.25])


def test_horizon_caps_durations() -> None:
    model = sv.estimate_states([0], [50], [W], [-1], [3], group_of=[0], groups=1, horizon=10)
    assert model.hazard_won[0].sum() == 0 and model.survival[0, 10] == 1  # beyond it: censored


def test_vectorised_matches_one_by_one_and_grows_with_the_window() -> None:
    rng = np.random.default_rng(3)
    n, states = 400, 5
    kind = rng.integers(0, 4, n)
    model = sv.estimate_states(
        rng.integers(0, states, n),
        rng.integers(0, 120, n),
        kind,
        np.where(kind == M, rng.integers(0, states, n), -1),
        rng.integers(1, 4, n),
        group_of=[0, 0, 1, 1, 1],
        groups=2,
        horizon=100,
    )
    deals = 50
    state, age, prior = rng.integers(-1, states, deals), rng.integers(0, 120, deals), rng.random(deals)
    group = np.where(state >= 0, np.array([0, 0, 1, 1, 1])[np.maximum(state, 0)], rng.integers(-1, 2, deals))
    together = sv.won_within_states(model, state, group, age, prior, first=3, last=40)
    alone = [
        sv.won_within_states(model, [s], [g], [a], [p], first=3, last=40)[0]
        for s, g, a, p in zip(state, group, age, prior, strict=True)
    ]
    assert together.tolist() == pytest.approx(alone)
    assert ((together >= 0) & (together <= 1)).all()
    raw = {"strength": 1e-9}
    shorter = sv.won_within_states(model, state, group, age, prior, first=1, last=20, **raw)
    longer = sv.won_within_states(model, state, group, age, prior, first=1, last=40, **raw)
    assert (longer >= shorter - 1e-12).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"state": [3], "duration": [1], "outcome": [W], "target": [-1], "count": [1]},
        {"state": [0], "duration": [1], "outcome": [7], "target": [-1], "count": [1]},
        {"state": [0], "duration": [1], "outcome": [W], "target": [-1], "count": [-1]},
        {"state": [0], "duration": [1], "outcome": [M], "target": [5], "count": [1]},
        {"state": [0, 0], "duration": [1], "outcome": [W], "target": [-1], "count": [1]},
    ],
)
def test_bad_input(kwargs: dict[str, list[int]]) -> None:
    with pytest.raises(ValueError):
        sv.estimate_states(**kwargs, group_of=[0], groups=1)
