"""V值 and the quota position (METHODOLOGY §10.2, seed 004): V = remaining opportunity ÷ remaining quota.

Below 1 a seller cannot make the quota even by winning every open deal they still have in the period.
Pure: amounts in, a position out; no clock, no database. The caller decides what "remaining opportunity"
is (Kadence: the unweighted amount of the seller's open deals expected to close in the period — "even by
winning everything" — see docs/rhythm-pack.md).

- quota None (no target): nothing is remaining and there is no V;
- remaining quota = max(quota − booked, 0);
- remaining quota 0 (the quota is made): V is None and the position is `met`, never flagged;
- otherwise V = remaining opportunity ÷ remaining quota, to two decimals (half up), flagged below 1.

Time: the days remaining in a period are the days after `as_of` up to its last day (the whole period
before it starts, 0 once it is over); the required run-rate is the remaining quota spread evenly over
them (per day; per week = 7 × per day), None when nothing remains to be made or no day is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
PLACES = Decimal("0.01")


def v_value(remaining_opportunity: Decimal, remaining_quota: Decimal) -> Decimal | None:
    """remaining opportunity ÷ remaining quota (two decimals), None when nothing remains to be made."""
    if remaining_quota <= ZERO:
        return None
    return (max(remaining_opportunity, ZERO) / remaining_quota).quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QuotaPosition:
    quota: Decimal | None
    booked: Decimal
    remaining_opportunity: Decimal
    remaining_quota: Decimal | None
    v: Decimal | None
    met: bool
    below_one: bool

    @property
    def attainment(self) -> Decimal | None:
        """booked ÷ quota, as a fraction (two decimals); None without a positive quota."""
        if self.quota is None or self.quota <= ZERO:
            return None
        return (self.booked / self.quota).quantize(PLACES, rounding=ROUND_HALF_UP)


def quota_position(quota: Decimal | None, booked: Decimal, remaining_opportunity: Decimal) -> QuotaPosition:
    """The seller's position against their quota (see the module docstring)."""
    booked = max(booked, ZERO)
    remaining_opportunity = max(remaining_opportunity, ZERO)
    if quota is None:
        return QuotaPosition(None, booked, remaining_opportunity, None, None, False, False)
    remaining = max(quota - booked, ZERO)
    v = v_value(remaining_opportunity, remaining)
    met = remaining <= ZERO
    return QuotaPosition(quota, booked, remaining_opportunity, remaining, v, met, v is not None and v < ONE)


def days_remaining(start: date, end: date, as_of: date) -> int:
    """The days of the period [start, end] after `as_of` (see the module docstring)."""
    return max((end - max(as_of, start - timedelta(days=1))).days, 0)


@dataclass(frozen=True)
class RunRate:
    per_day: Decimal
    per_week: Decimal


def required_run_rate(remaining_quota: Decimal | None, days_left: int) -> RunRate | None:
    """What must be booked per day and per week, from the day after as_of to the period's last day, to
    make the quota (cents, half up); None without a remaining quota or without a day left."""
    if remaining_quota is None or remaining_quota <= ZERO or days_left <= 0:
        return None
    per_day = remaining_quota / days_left
    return RunRate(
        per_day.quantize(PLACES, rounding=ROUND_HALF_UP), (per_day * 7).quantize(PLACES, ROUND_HALF_UP)
    )
