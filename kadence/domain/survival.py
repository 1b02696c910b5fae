"""A forecast that knows about time (issue 11 §5): for each open deal, the probability that it is won
*inside* a period, estimated from the history as an empirical multi-state (semi-Markov) model. Pure
and vectorised (numpy): no clock, no ORM, no Python loop per deal.

The states: a deal's state is its stage and level (the caller's cells; a level earned inside the
stage is a new state). A **stay** begins when the deal enters a state and ends, `duration` days later,
in one of four ways: won, lost, moved to another state, or still there when the history stops
(censored: as_of − entry). The caller loads the stays aggregated: (state, duration, outcome, target
state) → count, one grouped query.

From them, per state s and day t of the stay (Aalen–Johansen, competing risks):

    n(t)          stays still in s at day t (neither ended nor censored before t)
    S(t)          = Π_{u ≤ t} (1 − (won(u) + lost(u) + moved(u)) / n(u))      still in s after day t
    h_won(t)      = won(t) / n(t),  h_s→r(t) = moved to r(t) / n(t)

Then G[r, m], the probability that a deal that has just entered state r is won within m days, through
whatever states it passes on the way:

    G[r, m] = Σ_{k=0..m} S_r(k − 1) × (h_won,r(k) + Σ_r' h_r→r'(k) × G[r', m − k])

and for a deal open at as_of, `age` days into its stay in s, won within n days of as_of:

    W_s(age, n) = Σ_{k=1..n} S_s(age + k − 1) ÷ S_s(age) × (h_won,s(age + k) + Σ_r h_s→r(age + k) G[r, n − k])

and inside the window of days `first`..`last` after as_of: q_s = W_s(age, last) − W_s(age, first − 1).
So a deal at an early stage and level is won inside a month only as often as deals like it went on
through the later states and were won within that month, not as often as deals that entered its stage
(many of which have since moved on) were won then.

Shrinkage, hierarchical: a state's estimate at an age rests on the stays it saw end after that age
(E of them). It is pulled toward its **group**'s estimate at the same age (the same computation on the
pool of the group's states: e.g. every state of one level, across stages and processes), with the
weight of `strength` stays, and the group's toward the caller's fallback (the configured model:
level probability × the slip model's p_in):

    q_group = (E_g q_g + m fallback) ÷ (E_g + m),   q = (E_s q_s + m q_group) ÷ (E_s + m)

With no history after that age (none at all, or a deal older than every stay) the model is the
configured one. E is capped at the wins the history holds (W): a chance of winning cannot rest on more
outcomes than there are wins to learn it from. In a young history no deal has yet had time to get
through the later states, so every path to a win is still censored and the raw estimate is 0; with
W = 0 the model is the configured one, as with no history (issue 11 §5).

The tail. Past a row's longest stay nobody is observed; when the longest stays were still running
(censored), the stays like them do not stop there. Beyond that day the row's hazards are its constant
ones — the maximum-likelihood rates over all its stays: the ends of each kind (won, lost, moved to r)
÷ the days its stays were at risk — instead of 0, which counted such a deal as never won once its
window reached past the longest stay seen (the longer the window, the more it mattered: a quarter more
than a month).

The uncertainty of the rates (rate_uncertainty). The estimates are themselves uncertain, and a
state's error moves all its deals together, which the Monte-Carlo's independent draws cannot show.
Each deal's q is taken as known like a Beta posterior on E + strength stays (variance
q (1 − q) ÷ (E + strength + 1)); the deals of a state share the error, states are independent; the
result is the relative variance of the expected revenue, which the Monte-Carlo applies as one factor
per trial (kadence.domain.montecarlo.common_factor).

Durations are capped at `horizon` days (longer ones count as censored there); a deal older than the
horizon has no history to speak for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

CENSORED, WON, LOST, MOVED = 0, 1, 2, 3
DEFAULT_HORIZON = 1095  # days: three years of history speak for a deal's age
DEFAULT_STRENGTH = 20.0  # stays: the prior weighs as much as this many observed ends


@dataclass(frozen=True)
class StateModel:
    """The model of the deals' states. Rows: the `states`, then the `groups` (each the pool of its
    member states); columns: the day of the stay, 0..horizon. `survival` S(t) (still in the state after
    day t), `hazard_won`, and the hazards of moving, one row per (row, target state) pair seen
    (`move_row`, `move_target`, `hazard_move`); `exits_after`: the stays observed to end (won, lost or
    moved) after day t."""

    states: int
    groups: int
    horizon: int
    survival: FloatArray
    hazard_won: FloatArray
    move_row: IntArray
    move_target: IntArray
    hazard_move: FloatArray
    exits_after: FloatArray
    wins: float = 0.0  # the stays that ended won: every win the history holds


def _as_int(values: npt.ArrayLike, name: str) -> IntArray:
    array = np.asarray(values, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return array


def estimate_states(
    state: npt.ArrayLike,
    duration: npt.ArrayLike,
    outcome: npt.ArrayLike,
    target: npt.ArrayLike,
    count: npt.ArrayLike,
    *,
    group_of: npt.ArrayLike,
    groups: int,
    horizon: int = DEFAULT_HORIZON,
) -> StateModel:
    """The model from aggregated stays: group i is `count[i]` stays in `state[i]` that ended
    `duration[i]` days after they began with `outcome[i]` — WON, LOST, CENSORED (still there when the
    history stops) or MOVED, to state `target[i]` (ignored otherwise). `group_of[s]` is the group
    (0..groups−1) of state s; its length is the number of states. Negative durations count as 0;
    those beyond the horizon as censored at it."""
    members = _as_int(group_of, "group_of")
    states = members.size
    if horizon < 1 or groups < 0:
        raise ValueError("horizon must be positive and groups not negative")
    if members.size and (members.min() < 0 or members.max() >= groups):
        raise ValueError("group out of range")
    s, days, kind, to, n = (
        _as_int(state, "state"),
        _as_int(duration, "duration"),
        _as_int(outcome, "outcome"),
        _as_int(target, "target"),
        _as_int(count, "count"),
    )
    if not s.shape == days.shape == kind.shape == to.shape == n.shape:
        raise ValueError("state, duration, outcome, target and count must have the same length")
    if kind.size and not np.isin(kind, (CENSORED, WON, LOST, MOVED)).all():
        raise ValueError("unknown outcome")
    if s.size and (s.min() < 0 or s.max() >= states):
        raise ValueError("state out of range")
    if ((kind == MOVED) & ((to < 0) | (to >= states))).any():
        raise ValueError("target out of range")
    if n.size and n.min() < 0:
        raise ValueError("counts must not be negative")
    kind = np.where(days > horizon, CENSORED, kind)
    days = np.clip(days, 0, horizon)
    moved, left = kind == MOVED, kind != CENSORED
    weight = n.astype(np.float64)
    rows = np.concatenate((s, states + members[s]))  # every stay counts for its state and its group
    days2, kind2, to2 = np.tile(days, 2), np.tile(kind, 2), np.tile(to, 2)
    weight2 = np.tile(weight, 2)
    moved2, left2 = np.concatenate((moved, moved)), np.concatenate((left, left))
    shape = (states + groups, horizon + 1)
    ended, won, exits = (np.zeros(shape) for _i in range(3))
    np.add.at(ended, (rows, days2), weight2)
    np.add.at(won, (rows[kind2 == WON], days2[kind2 == WON]), weight2[kind2 == WON])
    np.add.at(exits, (rows[left2], days2[left2]), weight2[left2])
    # the moves, one row per (row, target) pair seen: a state leads to few others
    pairs, inverse = np.unique(rows[moved2] * max(states, 1) + to2[moved2], return_inverse=True)
    move = np.zeros((pairs.size, horizon + 1))
    np.add.at(move, (inverse.ravel(), days2[moved2]), weight2[moved2])
    move_row = (pairs // max(states, 1)).astype(np.int64)
    at_risk = np.cumsum(ended[:, ::-1], axis=1)[:, ::-1]  # every stay starts on day 0
    safe = np.where(at_risk > 0, at_risk, 1.0)
    after = np.cumsum(exits[:, ::-1], axis=1)[:, ::-1]
    hazard_exit, hazard_won, hazard_move = exits / safe, won / safe, move / safe[move_row]
    # The tail: past a row's longest stay nobody is observed, yet the stays still running then (the
    # longest were censored) go on. There the hazards are the row's constant ones (maximum likelihood
    # over all its stays: ends of each kind ÷ days at risk), not 0 — which would count every such
    # stay as never ending, and a deal in it as never won.
    exposure = at_risk.sum(axis=1)
    rate = np.where(exposure > 0, 1.0 / np.where(exposure > 0, exposure, 1.0), 0.0)
    beyond = at_risk == 0
    hazard_exit = np.where(beyond, (exits.sum(axis=1) * rate)[:, None], hazard_exit)
    hazard_won = np.where(beyond, (won.sum(axis=1) * rate)[:, None], hazard_won)
    hazard_move = np.where(beyond[move_row], (move.sum(axis=1) * rate[move_row])[:, None], hazard_move)
    return StateModel(
        states=states,
        groups=groups,
        horizon=horizon,
        survival=np.cumprod(1.0 - hazard_exit, axis=1).astype(np.float64),
        hazard_won=hazard_won,
        move_row=move_row,
        move_target=(pairs % max(states, 1)).astype(np.int64),
        hazard_move=hazard_move,
        exits_after=np.concatenate((after[:, 1:], np.zeros((states + groups, 1))), axis=1),
        wins=float(weight[kind == WON].sum()),
    )


def _densities(model: StateModel) -> tuple[FloatArray, FloatArray]:
    """S(t − 1) × h(t): per row and day the share of stays won that day, and per move pair moved."""
    before = np.concatenate((np.ones((model.survival.shape[0], 1)), model.survival[:, :-1]), axis=1)
    return before * model.hazard_won, before[model.move_row] * model.hazard_move


def _won_after_entry(model: StateModel, days: int) -> FloatArray:
    """G[r, m] for the states r and m = 0..days (see the module docstring). The moves on day 0 (k = 0)
    lead to G[·, m] itself: each m is a small linear system."""
    n, h = model.states, model.horizon
    result = np.zeros((n, days + 1))
    if n == 0:
        return result
    won, move = _densities(model)
    span = min(days, h) + 1
    won_by = np.zeros((n, days + 1))
    won_by[:, :span] = np.cumsum(won[:n, :span], axis=1)
    won_by[:, span:] = won_by[:, span - 1 : span]
    chosen = model.move_row < n
    row, target, weight = (
        model.move_row[chosen],
        model.move_target[chosen],
        np.zeros((int(chosen.sum()), days + 1)),
    )
    weight[:, :span] = move[chosen, :span]
    same_day = np.eye(n)
    np.add.at(same_day, (row, target), -weight[:, 0])
    solve = np.linalg.inv(same_day)
    for m in range(days + 1):
        # moved on day k (1..m) into a state with m − k days left
        later = (
            np.einsum("pk,pk->p", weight[:, 1 : m + 1], result[target, m - 1 :: -1][:, :m])
            if m
            else weight[:, 0] * 0
        )
        result[:, m] = solve @ (won_by[:, m] + np.bincount(row, later, minlength=n))
    return result


def _won_by(model: StateModel, g: FloatArray, days: int) -> FloatArray:
    """Per row and age a (0..horizon): S(a) × W(a, days), the share of the stays still there at a
    that are won within `days` more days, through any states (see the module docstring)."""
    h = model.horizon
    rows = model.survival.shape[0]
    won, move = _densities(model)
    result = np.zeros((rows, h + 1))
    if days < 1:
        return result
    # won straight from the row: Σ_{k=1..days} won(a + k)
    cumulative = np.cumsum(won, axis=1)
    ages = np.arange(h + 1)
    result += cumulative[:, np.minimum(ages + days, h)] - cumulative[:, ages]
    if model.move_row.size == 0 or model.states == 0:
        return result
    order = np.argsort(model.move_row, kind="stable")
    row, target, move = model.move_row[order], model.move_target[order], move[order]
    owners, starts = np.unique(row, return_index=True)
    for k in range(1, min(days, h) + 1):
        # moved on day a + k into a state with days − k left
        through = np.add.reduceat(move[:, k:] * g[target, days - k][:, None], starts, axis=0)
        result[owners, : h + 1 - k] += through
    return result


def won_within_states(
    model: StateModel,
    state: npt.ArrayLike,
    group: npt.ArrayLike,
    age: npt.ArrayLike,
    fallback: npt.ArrayLike,
    *,
    first: int,
    last: int,
    strength: float = DEFAULT_STRENGTH,
) -> FloatArray:
    """q per deal: the probability that a deal in `state` of `group` (each −1: none with history),
    open `age` days into its stay, is won between `first` and `last` days after as_of (inclusive;
    first ≥ 1), shrunk toward its group at that age, itself shrunk toward `fallback` (the configured
    model, a probability per deal). See the module docstring."""
    return won_within_states_evidence(
        model, state, group, age, fallback, first=first, last=last, strength=strength
    )[0]


def won_within_states_evidence(
    model: StateModel,
    state: npt.ArrayLike,
    group: npt.ArrayLike,
    age: npt.ArrayLike,
    fallback: npt.ArrayLike,
    *,
    first: int,
    last: int,
    strength: float = DEFAULT_STRENGTH,
) -> tuple[FloatArray, FloatArray]:
    """won_within_states's q per deal, and the stays its state's estimate rests on at the deal's age
    (E in the module docstring: 0 where the state has no history left)."""
    s, grp, ages = _as_int(state, "state"), _as_int(group, "group"), _as_int(age, "age")
    prior = np.asarray(fallback, dtype=np.float64)
    if not s.shape == grp.shape == ages.shape == prior.shape:
        raise ValueError("state, group, age and fallback must have the same length")
    if first < 1:
        raise ValueError("first must be at least 1 (a deal open at as_of wins after it)")
    if strength <= 0:
        raise ValueError("strength must be positive")
    if s.size and (s.max() >= model.states or s.min() < -1 or grp.max() >= model.groups or grp.min() < -1):
        raise ValueError("state or group out of range")
    if last < first:
        return np.zeros(s.shape, dtype=np.float64), np.zeros(s.shape, dtype=np.float64)
    h = model.horizon
    g = _won_after_entry(model, last)
    window = _won_by(model, g, last) - _won_by(model, g, first - 1)
    age_c = np.clip(ages, 0, h)

    def estimate_of(row: IntArray, known: npt.NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
        """The row's estimate for each deal and the stays it rests on (0 where none is left)."""
        row = np.where(known, row, 0)
        if window.shape[0] == 0:
            return np.zeros(row.shape), np.zeros(row.shape)
        alive = model.survival[row, age_c]
        has = known & (alive > 1e-12) & (ages <= h)
        own = window[row, age_c] / np.where(has, alive, 1.0)
        # a chance of winning rests on no more outcomes than the wins the history holds: with none yet
        # (a young history, whose deals have not had time to get through), the model is the prior
        ends = np.minimum(model.exits_after[row, age_c], model.wins)
        return np.where(has, own, 0.0), np.where(has, ends, 0.0)

    configured = np.clip(prior, 0.0, 1.0)
    pooled, pool_evidence = estimate_of(model.states + grp, grp >= 0)
    q_group = (pool_evidence * pooled + strength * configured) / (pool_evidence + strength)
    own, evidence = estimate_of(s, s >= 0)
    q = (evidence * own + strength * q_group) / (evidence + strength)
    result: FloatArray = np.clip(q, 0.0, 1.0)
    return result, evidence


def rate_uncertainty(
    amount: npt.ArrayLike,
    q: npt.ArrayLike,
    evidence: npt.ArrayLike,
    key: npt.ArrayLike,
    *,
    strength: float = DEFAULT_STRENGTH,
) -> float:
    """The relative variance (squared coefficient of variation) of the open deals' expected revenue
    Σ amount × q that comes from the rates being estimated, not known. Each deal's q is known as well
    as a Beta posterior resting on its state's `evidence` (E stays) plus the prior's `strength`:
    variance q (1 − q) ÷ (E + strength + 1). Deals with the same `key` (their state) share one
    estimate, so their errors add up in full; different states' errors are independent:

        V = Σ_state (Σ_deals in it amount × √(q (1 − q) ÷ (E + strength + 1)))²,   returned: V ÷ (Σ amount × q)²

    0 when nothing is expected."""
    a = np.asarray(amount, dtype=np.float64)
    p = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0)
    e = np.asarray(evidence, dtype=np.float64)
    k = _as_int(key, "key")
    if not a.shape == p.shape == e.shape == k.shape:
        raise ValueError("amount, q, evidence and key must have the same length")
    if strength <= 0:
        raise ValueError("strength must be positive")
    if e.size and e.min() < 0:
        raise ValueError("evidence must not be negative")
    expected = float(np.dot(a, p))
    if expected <= 0:
        return 0.0
    spread = a * np.sqrt(p * (1.0 - p) / (e + strength + 1.0))
    _keys, inverse = np.unique(k, return_inverse=True)
    per_state = np.bincount(inverse.ravel(), weights=spread)
    return float(np.dot(per_state, per_state)) / expected**2
