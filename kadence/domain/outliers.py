"""Peer outliers (the director's dashboard, issue 14 §8): a unit or seller whose figure (attainment, V值)
is far from its peers' — the siblings shown at one level of the drill-down (a company's regions, a
region's teams, a team's sellers). Two rules, thresholds as data (kadence.performance DashboardPolicy):

- **z-score**: z = (x − mean) ÷ sd over the peers with a value, sd the population standard deviation;
  flagged when |z| ≥ `z_threshold`. No z when sd is 0 (every peer equal: nobody is far). With n peers
  |z| can never exceed √(n − 1) (Samuelson), so a threshold of 2 needs at least 5 peers to flag anyone.
- **IQR** (Tukey's fences): Q1, Q3 the quartiles by linear interpolation between the sorted values
  (the "inclusive" method: the median of 1, 2, 3, 4 is 2.5, Q1 1.75, Q3 3.25); flagged below
  Q1 − k × IQR or above Q3 + k × IQR, k = `iqr_factor`.

Fewer than `min_peers` peers with a value: nothing is flagged (a comparison of two is no distribution).
Peers without a value (no target, no V) are neither compared nor counted.

**Coverage drop**: the pipeline coverage (V = remaining opportunity ÷ remaining quota) now against what it
was at an earlier snapshot; flagged when it fell by at least `drop` of its earlier value (relative:
(then − now) ÷ then ≥ drop). No earlier coverage, or an earlier one of 0: nothing to drop from.

Pure: Decimal in, frozen dataclasses out; no clock, no ORM.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
ZERO = Decimal(0)
PLACES = Decimal("0.01")
Side = Literal["high", "low"]


def _q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def mean(values: list[Decimal]) -> Decimal:
    """The arithmetic mean (exact Decimal); 0 for no value."""
    return sum(values, ZERO) / len(values) if values else ZERO


def std_dev(values: list[Decimal]) -> Decimal:
    """The population standard deviation √(Σ (x − mean)² ÷ n); 0 for no value."""
    if not values:
        return ZERO
    m = mean(values)
    return (sum(((v - m) ** 2 for v in values), ZERO) / len(values)).sqrt()


def quantile(values: list[Decimal], q: Decimal) -> Decimal:
    """The q-quantile (0 ≤ q ≤ 1) by linear interpolation between the sorted values at position
    q × (n − 1) (numpy's default, statistics.quantiles' "inclusive"). Needs at least one value."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    fraction = position - low
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * fraction


@dataclass(frozen=True)
class Rules:
    """The thresholds (see the module docstring)."""

    z_threshold: Decimal
    iqr_factor: Decimal
    min_peers: int


@dataclass(frozen=True)
class Outlier(Generic[K]):
    """A peer far from the others on one figure: by which rule(s), on which side, its z (2 decimals,
    None when sd is 0) and the fences it fell outside (2 decimals)."""

    key: K
    value: Decimal
    side: Side
    z: Decimal | None
    by_z: bool
    by_iqr: bool
    mean: Decimal
    low_fence: Decimal
    high_fence: Decimal


def outliers(values: Mapping[K, Decimal | None], rules: Rules) -> list[Outlier[K]]:
    """The peers of `values` flagged by the z-score or the IQR rule, in the mapping's order."""
    known = {k: v for k, v in values.items() if v is not None}
    if len(known) < max(rules.min_peers, 1):
        return []
    numbers = list(known.values())
    m = mean(numbers)
    sd = std_dev(numbers)
    q1 = quantile(numbers, Decimal("0.25"))
    q3 = quantile(numbers, Decimal("0.75"))
    spread = (q3 - q1) * rules.iqr_factor
    low, high = q1 - spread, q3 + spread
    found = []
    for key, value in known.items():
        z = (value - m) / sd if sd > 0 else None
        by_z = z is not None and abs(z) >= rules.z_threshold
        by_iqr = value < low or value > high
        if by_z or by_iqr:
            found.append(
                Outlier(
                    key,
                    value,
                    "high" if value > m else "low",
                    None if z is None else _q(z),
                    by_z,
                    by_iqr,
                    _q(m),
                    _q(low),
                    _q(high),
                )
            )
    return found


def coverage_drop(then: Decimal | None, now: Decimal | None, drop: Decimal) -> Decimal | None:
    """The relative fall (then − now) ÷ then (2 decimals) when it reaches `drop`, else None; None also
    without an earlier coverage above 0. A coverage now of None (no remaining quota: the target is made)
    is no drop."""
    if then is None or then <= 0 or now is None:
        return None
    fall = (then - now) / then
    return _q(fall) if fall >= drop else None
