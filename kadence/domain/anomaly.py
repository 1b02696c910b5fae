"""Regional anomalies (METHODOLOGY §8.5): a unit (region, team or seller) whose conversion (win rate),
sales velocity, coverage or stall rate deviates strongly from its parent's (the company's, or the
scope being analysed).

A sibling's metric is anomalous when its relative deviation from the parent's value,
|value − parent| ÷ |parent|, is strictly greater than the threshold (ForecastPolicy.anomaly_threshold,
e.g. 0.3 = 30 %). The direction says whether the deviation is good or bad news: for win rate,
velocity and coverage higher is better; for the stall rate higher is worse.

A parent value of 0 has no relative deviation: a sibling also at 0 is not anomalous, a sibling above
it is (its deviation is None, "infinitely" far). Unknown values (None: nothing closed, no target)
are never anomalous, on either side.

Pure: Decimal in, frozen dataclasses out; no clock, no ORM.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)

WIN_RATE = "win_rate"
VELOCITY = "velocity"
COVERAGE = "coverage"
STALL_RATE = "stall_rate"
METRICS: tuple[str, ...] = (WIN_RATE, VELOCITY, COVERAGE, STALL_RATE)
HIGHER_IS_BETTER: dict[str, bool] = {WIN_RATE: True, VELOCITY: True, COVERAGE: True, STALL_RATE: False}

Direction = Literal["better", "worse"]
ZERO = Decimal(0)


@dataclass(frozen=True)
class Deviation:
    """How far `value` is from `parent`: `relative` = (value − parent) ÷ |parent| (signed; None when
    the parent is 0 and the value is not), and whether that is `better` or `worse`."""

    value: Decimal
    parent: Decimal
    relative: Decimal | None
    direction: Direction


@dataclass(frozen=True)
class Anomaly(Generic[K]):
    """One anomalous metric of one sibling (`key` identifies the sibling)."""

    key: K
    metric: str
    value: Decimal
    parent: Decimal
    relative: Decimal | None
    direction: Direction


def deviation(
    value: Decimal | None, parent: Decimal | None, threshold: Decimal, *, higher_is_better: bool = True
) -> Deviation | None:
    """The deviation of `value` from `parent` when it exceeds `threshold` (relative, strictly
    greater), else None. None also when either value is unknown. `threshold` must not be negative."""
    if threshold < 0:
        raise ValueError("the anomaly threshold must not be negative")
    if value is None or parent is None or value == parent:
        return None
    higher = value > parent
    direction: Direction = "better" if higher == higher_is_better else "worse"
    if parent == 0:
        return Deviation(value, parent, None, direction)
    relative = (value - parent) / abs(parent)
    if abs(relative) <= threshold:
        return None
    return Deviation(value, parent, relative, direction)


def find_anomalies(
    siblings: Mapping[K, Mapping[str, Decimal | None]],
    parent: Mapping[str, Decimal | None],
    threshold: Decimal,
    metrics: Iterable[str] = METRICS,
) -> list[Anomaly[K]]:
    """Every (sibling, metric) whose value deviates from the parent's by more than `threshold`, in
    the order of `siblings`, then of `metrics`. A metric missing from a mapping counts as unknown."""
    wanted = tuple(metrics)
    unknown = [m for m in wanted if m not in HIGHER_IS_BETTER]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    found: list[Anomaly[K]] = []
    for key, values in siblings.items():
        for metric in wanted:
            dev = deviation(
                values.get(metric), parent.get(metric), threshold, higher_is_better=HIGHER_IS_BETTER[metric]
            )
            if dev is not None:
                found.append(Anomaly(key, metric, dev.value, dev.parent, dev.relative, dev.direction))
    return found
