"""Capacity and velocity check (METHODOLOGY §8.4): can the open funnel still make the target of the
period, can its deals move fast enough, what is the gap, and what must the seller or team do about it.
Pure: Decimal and date in, plain data out; no clock (pass `as_of`), no ORM.

Definitions (zero denominators give None, never an error):
- remaining target = max(target − won so far in the period, 0);
- coverage = open pipeline due in the period ÷ remaining target; required coverage = 1 ÷ win rate
  (a win rate of 25% needs 4× the remaining target in the pipeline);
- weighted ratio = weighted pipeline due in the period ÷ remaining target, healthy at ≥ 1;
- velocity forecast = sales velocity (money per day) × days remaining in the period;
- gap = max(remaining target − weighted pipeline due, 0): what the open deals are not expected to
  bring in, to be filled with new deals;
- new stage-I deals needed = ceil(gap ÷ (A × p_I)), and they must enter stage I by the period end
  minus the lead time L = Σ d_s (an opp needs L from stage I to close, §8.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from kadence.domain.periods import add_days

ZERO = Decimal(0)
ONE = Decimal(1)

# Action kinds, in the order they are listed.
NO_TARGET = "no_target"
NEW_DEALS = "new_deals"
TOO_LATE = "too_late"
COVERAGE_LOW = "coverage_low"
PUSH_STALLED = "push_stalled"
ON_TRACK = "on_track"


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def remaining_target(target: Decimal | None, won: Decimal) -> Decimal | None:
    """Target − won so far, never below 0; None without a target."""
    if target is None:
        return None
    return max(target - won, ZERO)


def ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    """numerator ÷ denominator; None when the denominator is missing or not positive."""
    if denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def required_coverage(rate: Decimal | None) -> Decimal | None:
    """1 ÷ win rate; None when the win rate is unknown or 0 (no pipeline is then enough)."""
    if rate is None or rate <= 0:
        return None
    return ONE / rate


def velocity_forecast(velocity: Decimal | None, days_remaining: int) -> Decimal | None:
    """SV × days remaining; None without a velocity."""
    if velocity is None:
        return None
    return velocity * max(days_remaining, 0)


def days_remaining(as_of: date, period_start: date, period_end: date) -> int:
    """Days of the period still to come counting `as_of` itself: the whole period when it has not
    started, 0 once it is over."""
    if as_of > period_end:
        return 0
    return (period_end - max(as_of, period_start)).days + 1


@dataclass(frozen=True)
class CapacityFigures:
    """The capacity and velocity figures of one scope (or seller, or team) for one period."""

    target: Decimal | None
    won: Decimal
    remaining: Decimal | None
    pipeline_due: Decimal
    weighted_due: Decimal
    coverage: Decimal | None
    required_coverage: Decimal | None
    coverage_short: bool
    weighted_ratio: Decimal | None
    weighted_short: bool
    velocity_forecast: Decimal | None
    gap: Decimal | None
    velocity_gap: Decimal | None

    @property
    def on_track(self) -> bool:
        return self.remaining is not None and not (self.coverage_short or self.weighted_short or self.gap)


def capacity_check(
    *,
    target: Decimal | None,
    won: Decimal,
    pipeline_due: Decimal,
    weighted_due: Decimal,
    win_rate: Decimal | None,
    velocity: Decimal | None,
    days_left: int,
) -> CapacityFigures:
    """The §8.4 capacity and velocity figures. With the target already reached (remaining 0) the
    ratios are None and nothing is short. `coverage_short` is only judged when both the coverage
    and the required coverage are known."""
    remaining = remaining_target(target, won)
    cover = ratio(pipeline_due, remaining)
    required = required_coverage(win_rate)
    weighted = ratio(weighted_due, remaining)
    forecast = velocity_forecast(velocity, days_left)
    gap = None if remaining is None else max(remaining - weighted_due, ZERO)
    velocity_gap = None if remaining is None or forecast is None else max(remaining - forecast, ZERO)
    return CapacityFigures(
        target=target,
        won=won,
        remaining=remaining,
        pipeline_due=pipeline_due,
        weighted_due=weighted_due,
        coverage=cover,
        required_coverage=required,
        coverage_short=cover is not None and required is not None and cover < required,
        weighted_ratio=weighted,
        weighted_short=weighted is not None and weighted < ONE,
        velocity_forecast=forecast,
        gap=gap,
        velocity_gap=velocity_gap,
    )


def new_deals_needed(
    gap: Decimal | None, avg_deal: Decimal | None, first_probability: Decimal | None
) -> int | None:
    """ceil(gap ÷ (A × p_I)): new stage-I deals whose expected value fills the gap. 0 without a gap;
    None when A or p_I is unknown or not positive."""
    if gap is None or gap <= 0:
        return 0
    if avg_deal is None or avg_deal <= 0 or first_probability is None or first_probability <= 0:
        return None
    return _ceil(gap / (avg_deal * first_probability))


def entry_deadline(period_end: date, lead_days: Decimal) -> date:
    """The last day a new deal may enter stage I and still close by `period_end`: the period end
    minus the lead time L (in days, rounded up)."""
    return add_days(period_end, -_ceil(lead_days))


@dataclass(frozen=True)
class StagePace:
    """Velocity of one stage (§8.4): the average age of its open deals against the stage's duration
    d_s (`slow` when older), and the day an average deal there would close if it kept the standard
    pace — the rest of this stage (d_s − age, at least 0) plus every later stage; `late` when that
    is after the period end."""

    code: str
    avg_age: Decimal | None
    duration_days: Decimal
    slow: bool
    remaining_days: Decimal
    projected_close: date
    late: bool


def stage_pace(
    stages: Sequence[tuple[str, Decimal | None, Decimal]], as_of: date, period_end: date
) -> list[StagePace]:
    """`stages` in funnel order as (code, average age in days or None when empty, duration in days)."""
    out: list[StagePace] = []
    later = sum((d for _code, _age, d in stages), ZERO)
    for code, age, duration in stages:
        later -= duration
        rest = max(duration - (age or ZERO), ZERO) + later
        projected = add_days(as_of, _ceil(rest))
        out.append(
            StagePace(
                code,
                age,
                duration,
                age is not None and age > duration,
                rest,
                projected,
                projected > period_end,
            )
        )
    return out


@dataclass(frozen=True)
class Action:
    """One concrete thing to do. `kind` is one of the constants above; the other fields are its
    parameters: `count` deals (new ones to find, or stalled ones to push, `deal_ids` the biggest of
    them), `by` the date to do it by, `value` and `required` the ratio that is short."""

    kind: str
    count: int | None = None
    by: date | None = None
    value: Decimal | None = None
    required: Decimal | None = None
    deal_ids: tuple[int, ...] = ()


def actions(
    figures: CapacityFigures,
    *,
    avg_deal: Decimal | None,
    first_probability: Decimal | None,
    period_end: date,
    lead_days: Decimal,
    as_of: date,
    stalled_count: int = 0,
    stalled_ids: Sequence[int] = (),
) -> list[Action]:
    """The actions for one scope, seller or team, most important first:
    - no target → say so (nothing to measure a gap against);
    - a gap → N new stage-I deals by the entry deadline, or, when that day has passed, that new
      deals are too late for this period (the gap must come from the open deals);
    - coverage below the required coverage (the weighted ratio below 1 is the gap itself);
    - stalled deals to push (the biggest first);
    - otherwise on track."""
    out: list[Action] = []
    if figures.remaining is None:
        out.append(Action(NO_TARGET))
    elif figures.gap:
        needed = new_deals_needed(figures.gap, avg_deal, first_probability)
        deadline = entry_deadline(period_end, lead_days)
        out.append(
            Action(TOO_LATE if deadline < as_of else NEW_DEALS, count=needed, by=deadline, value=figures.gap)
        )
    if figures.coverage_short:
        out.append(Action(COVERAGE_LOW, value=figures.coverage, required=figures.required_coverage))
    if stalled_count:
        out.append(Action(PUSH_STALLED, count=stalled_count, deal_ids=tuple(stalled_ids)))
    if not out:
        out.append(Action(ON_TRACK))
    return out
