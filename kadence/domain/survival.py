"""A forecast that knows about time (issue 11 §5): for each open deal, the probability that it is won
*inside* a period, estimated from the history as an empirical competing-risks model. Pure and
vectorised (numpy): no clock, no ORM, no Python loop per deal.

The episodes: every time a deal entered a stage (a history row that moves it, kadence.pipeline's
TRANSITIONS other than won / lost) starts an episode of that stage (a cell: the stage, or any other
grouping the caller chooses). It ends, `duration` days later, in one of three ways: won, lost, or
still open when the history stops (censored: as_of − entry). Moving on to another stage does not end
the episode — what is estimated is "a deal that entered this stage, how long until it is won or lost".
The caller loads them aggregated: (cell, duration, outcome) → count, one grouped query.

From them, per cell, the Aalen–Johansen estimate (Kaplan–Meier with competing risks), day by day:

    n(t)        episodes still at risk at duration t (neither ended nor censored before t)
    S(t)        = Π_{u ≤ t} (1 − (won(u) + lost(u)) / n(u))      still open after day t
    F_won(t)    = Σ_{u ≤ t} S(u − 1) × won(u) / n(u)             won by day t

A deal open at as_of, `age` days after it entered its stage, is won in the days `first`..`last` after
as_of (offsets) with probability

    q_cell = (F_won(age + last) − F_won(age + first − 1)) ÷ S(age).

Shrinkage, hierarchical: a cell's estimate at an age rests on the outcomes it saw after that age (k of
them). It is pulled toward the pool's estimate at the same age, with the weight of `strength` outcomes:

    q = (k q_cell + m q_pool) ÷ (k + m)

q_pool is the same estimate on the pool of every cell (the last row of the curves: all stages'
episodes together) at that age — empirical, so what the history shows, not what the levels are
configured to say. It rests on the pool's outcomes after that age (K) and is itself pulled toward the
configured model with the same weight:

    q_pool = (K q_pooled + m p_configured × T) ÷ (K + m)

T, the configured model's timing, is the caller's fallback (the close-date slip model's p_in). With no
history after that age (K = k = 0: no history at all, or a deal older than every episode) the model is
the configured one, q = p_configured × p_in; as the history grows the configured probability weighs
less and less, whatever the level rule makes of it. The stage's own estimate pooled over ages is not a
level of the hierarchy: the chance of a deal that has sat in a stage for months is not that of a fresh
entry, and the pool at the same age keeps the age while borrowing across stages.

Durations are capped at `horizon` days (longer ones count as censored there); a deal older than the
horizon has no history to speak for it and takes the configured model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

CENSORED, WON, LOST = 0, 1, 2
DEFAULT_HORIZON = 1095  # days: three years of history speak for a deal's age
DEFAULT_STRENGTH = 20.0  # outcomes: the prior weighs as much as this many observed outcomes


@dataclass(frozen=True)
class Curves:
    """Per cell (rows) and duration 0..horizon (columns): `survival` S(t), `won` F_won(t), and
    `outcomes_after` the number of won or lost episodes that ended after day t (the evidence behind an
    estimate at that age). Row `cells` (the last) is the pool of every cell."""

    cells: int
    horizon: int
    survival: FloatArray
    won: FloatArray
    outcomes_after: FloatArray


def _as_int(values: npt.ArrayLike, name: str) -> IntArray:
    array = np.asarray(values, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return array


def _estimate(
    events_won: FloatArray, events_lost: FloatArray, censored: FloatArray
) -> tuple[FloatArray, ...]:
    """Aalen–Johansen on counts per (row, day): returns S, F_won, outcomes after t."""
    ended = events_won + events_lost + censored
    # at risk at t: everything that ended at t or later
    at_risk = np.cumsum(ended[:, ::-1], axis=1)[:, ::-1]
    safe = np.where(at_risk > 0, at_risk, 1.0)
    hazard_all = (events_won + events_lost) / safe
    hazard_won = events_won / safe
    survival = np.cumprod(1.0 - hazard_all, axis=1)
    before = np.concatenate((np.ones((survival.shape[0], 1)), survival[:, :-1]), axis=1)
    won = np.cumsum(before * hazard_won, axis=1)
    outcomes = events_won + events_lost
    after = np.cumsum(outcomes[:, ::-1], axis=1)[:, ::-1]
    outcomes_after = np.concatenate((after[:, 1:], np.zeros((after.shape[0], 1))), axis=1)
    return survival.astype(np.float64), won, outcomes_after


def estimate(
    cell: npt.ArrayLike,
    duration: npt.ArrayLike,
    outcome: npt.ArrayLike,
    count: npt.ArrayLike,
    *,
    cells: int,
    horizon: int = DEFAULT_HORIZON,
) -> Curves:
    """The curves of `cells` cells from aggregated episodes: episode group i is `count[i]` episodes of
    cell `cell[i]` (0..cells−1) that ended `duration[i]` days after entry with `outcome[i]`
    (CENSORED, WON or LOST). Negative durations count as 0; those beyond the horizon as censored at it."""
    cell_a, days, kind, n = (
        _as_int(cell, "cell"),
        _as_int(duration, "duration"),
        _as_int(outcome, "outcome"),
        _as_int(count, "count"),
    )
    if not cell_a.shape == days.shape == kind.shape == n.shape:
        raise ValueError("cell, duration, outcome and count must have the same length")
    if horizon < 1 or cells < 0:
        raise ValueError("horizon must be positive and cells not negative")
    if cell_a.size and (cell_a.min() < 0 or cell_a.max() >= cells):
        raise ValueError("cell out of range")
    if n.size and n.min() < 0:
        raise ValueError("counts must not be negative")
    if kind.size and not np.isin(kind, (CENSORED, WON, LOST)).all():
        raise ValueError("unknown outcome")
    beyond = days > horizon
    kind = np.where(beyond, CENSORED, kind)
    days = np.clip(days, 0, horizon)
    shape = (cells + 1, horizon + 1)
    grids = []
    for code in (WON, LOST, CENSORED):
        grid = np.zeros(shape, dtype=np.float64)
        chosen = kind == code
        np.add.at(grid, (cell_a[chosen], days[chosen]), n[chosen].astype(np.float64))
        grid[cells] = grid[:cells].sum(axis=0)
        grids.append(grid)
    survival, won, after = _estimate(*grids)
    return Curves(cells=cells, horizon=horizon, survival=survival, won=won, outcomes_after=after)


def won_within(
    curves: Curves,
    cell: npt.ArrayLike,
    age: npt.ArrayLike,
    prior: npt.ArrayLike,
    fallback_timing: npt.ArrayLike,
    *,
    first: int,
    last: int,
    strength: float = DEFAULT_STRENGTH,
) -> FloatArray:
    """q per deal: the probability that a deal of `cell` (−1: no cell, the pool only), open `age` days
    after it entered it, is won between `first` and `last` days after as_of (inclusive; first ≥ 1),
    shrunk toward the pool of every cell at that age, itself shrunk toward prior × fallback_timing
    (the configured model). See the module docstring. `prior` and `fallback_timing` are fractions per deal."""
    cells_a, ages = _as_int(cell, "cell"), _as_int(age, "age")
    prior_a = np.asarray(prior, dtype=np.float64)
    timing_a = np.asarray(fallback_timing, dtype=np.float64)
    if not cells_a.shape == ages.shape == prior_a.shape == timing_a.shape:
        raise ValueError("cell, age, prior and fallback_timing must have the same length")
    if first < 1:
        raise ValueError("first must be at least 1 (a deal open at as_of wins after it)")
    if strength <= 0:
        raise ValueError("strength must be positive")
    if cells_a.size and (cells_a.max() >= curves.cells or cells_a.min() < -1):
        raise ValueError("cell out of range")
    if last < first:
        return np.zeros(cells_a.shape, dtype=np.float64)
    h = curves.horizon
    age_c = np.clip(ages, 0, h)
    lo = np.clip(ages + first - 1, 0, h)
    hi = np.clip(ages + last, 0, h)
    old = ages > h

    def conditional(row: IntArray) -> tuple[FloatArray, FloatArray]:
        """The row's estimate at each deal's age and the outcomes it rests on (0 where none is left)."""
        alive = curves.survival[row, age_c]
        has = (alive > 1e-12) & ~old
        own = (curves.won[row, hi] - curves.won[row, lo]) / np.where(has, alive, 1.0)
        return own, np.where(has, curves.outcomes_after[row, age_c], 0.0)

    pooled, pool_evidence = conditional(np.full(cells_a.shape, curves.cells))
    configured = np.clip(prior_a * timing_a, 0.0, 1.0)
    q_pool = (pool_evidence * pooled + strength * configured) / (pool_evidence + strength)

    known = cells_a >= 0
    own, evidence = conditional(np.where(known, cells_a, curves.cells))
    evidence = np.where(known, evidence, 0.0)
    q = (evidence * own + strength * q_pool) / (evidence + strength)
    result: FloatArray = np.clip(q, 0.0, 1.0)
    return result
