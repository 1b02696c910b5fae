"""The time-aware estimator (kadence.domain.survival, a multi-state model of the deals' stays) on small
cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # age 1, days 1..5 after as_of = days 2..6 of the stay. Group: 0.6 on 10 ends, but the history holds
    # only 6 wins, so on 6; toward the configured 0.1 with strength 10 → (6 × 0.6 + 10 × 0.1) ÷ 16 = 0.2875.
    # state 0: own 0 on 1 end → (0 + 10 × 0.2875) ÷ 11; state 1: own 6/9 on 9 ends, capped at 6 →
    # (6 × 6/9 + 2.875) ÷ 16; no state with history (a new stage at that level): the group's 0.2875;
    # nothing known: the configured
    q = sv.won_within_states(
        model, [0, 1, -1, -1], [0, 0, 0, -1], [1, 1, 1, 1], [0.1] * 4, first=1, last=5, strength=10
    )
    assert q.tolist() == pytest.approx([2.875 / 11, 6.875 / 16, 0.2875, 0.1])
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


def test_past_the_longest_stay_the_hazards_are_the_states_constant_ones() -> None:
    # state 0: 2 won on day 10, 2 still there on day 10 (censored: the longest stays). A deal 5 days in
    # used to be won within 30 days only by day 10 (2/4 of those at risk ÷ S(5) = 1/2), as if the censored
    # half never ended. Past day 10 the hazard is now the state's own, constant: 2 wins over the 44 days
    # at risk (4 stays × 11 days) → 1/22 a day.
    model = sv.estimate_states(
        [0, 0], [10, 10], [W, C], [-1, -1], [2, 2], group_of=[0], groups=1, horizon=100
    )
    assert model.hazard_won[0, 11:13].tolist() == pytest.approx([1 / 22, 1 / 22])
    assert model.survival[0, 10] == pytest.approx(0.5)
    assert model.survival[0, 12] == pytest.approx(0.5 * (21 / 22) ** 2)
    q = sv.won_within_states(model, [0], [0], [5], [0.1], first=1, last=30, strength=1e-9)
    # won on day 10 (1/2), else still there (1/2) and won on one of days 11..35 at 1/22 a day
    assert q.tolist() == pytest.approx([0.5 + 0.5 * (1 - (21 / 22) ** 25)])
    # a state whose every stay ended keeps no tail (nobody is left in it)
    ended = sv.estimate_states([0], [3], [L], [-1], [5], group_of=[0], groups=1, horizon=20)
    assert ended.survival[0, 3:].tolist() == pytest.approx([0] * 18)


def test_with_no_win_in_the_history_the_model_is_the_prior() -> None:
    # a young history: 50 stays moved from state 0 to state 1, where 30 are still open; nobody has been
    # won yet. That is no evidence that deals are never won: the configured model stands.
    model = sv.estimate_states(
        [0, 1], [5, 20], [M, C], [1, -1], [50, 30], group_of=[0, 0], groups=1, horizon=60
    )
    assert model.wins == 0
    q, evidence = sv.won_within_states_evidence(model, [0, 1], [0, 0], [1, 1], [0.3, 0.6], first=1, last=30)
    assert q.tolist() == pytest.approx([0.3, 0.6])
    assert evidence.tolist() == [0, 0]
    # one win: each estimate rests on at most one outcome
    one = sv.estimate_states(
        [0, 1, 1], [5, 20, 3], [M, C, W], [1, -1, -1], [50, 30, 1], group_of=[0, 0], groups=1, horizon=60
    )
    _q, evidence = sv.won_within_states_evidence(one, [0, 1], [0, 0], [1, 1], [0.3, 0.6], first=1, last=30)
    assert evidence.tolist() == [1, 1]


def test_rate_uncertainty_by_hand() -> None:
    # two deals in one state (q 0.5, 10 stays, strength 10: variance 0.25 ÷ 21), one in another (q 0.2,
    # no stays: 0.16 ÷ 11); amounts 100, 300 and 200. V = (100 + 300)² × 0.25/21 + 200² × 0.16/11;
    # expected 50 + 150 + 40 = 240
    v = sv.rate_uncertainty([100, 300, 200], [0.5, 0.5, 0.2], [10, 10, 0], [4, 4, 9], strength=10)
    assert v == pytest.approx((400**2 * 0.25 / 21 + 200**2 * 0.16 / 11) / 240**2)
    assert sv.rate_uncertainty([100], [0.0], [3], [0]) == 0  # nothing expected
    assert sv.rate_uncertainty([], [], [], []) == 0
    with pytest.raises(ValueError):
        sv.rate_uncertainty([1], [0.5], [-1], [0])
    with pytest.raises(ValueError):
        sv.rate_uncertainty([1, 2], [0.5], [1], [0])


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 30))
def test_rate_uncertainty_grows_when_deals_share_an_estimate(data, n) -> None:
    # the same deals: one estimate for all (errors add up in full) is at least as uncertain as one each
    # (independent errors), and more evidence never makes it more uncertain
    amount = data.draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n))
    q = data.draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n))
    evidence = data.draw(st.lists(st.integers(0, 500), min_size=n, max_size=n))
    alone = sv.rate_uncertainty(amount, q, evidence, list(range(n)))
    shared = sv.rate_uncertainty(amount, q, evidence, [0] * n)
    assert shared >= alone * (1 - 1e-9) > 0
    more = sv.rate_uncertainty(amount, q, [e + 10 for e in evidence], [0] * n)
    assert more <= shared
