"""Sales-force sizing (METHODOLOGY §10.7, seed 002 任务 2 "确定、分配销售工作量"):

1. the selling hours needed to reach the target: the gap still open after what is booked and what the
   pipeline is expected to bring (gap = max(target − booked − expected, 0)), turned into won deals
   (deals needed = ⌈gap ÷ average won deal⌉), into activities (× the activities a won deal took in the
   unit's history) and into hours (× the hours an activity takes);
2. the selling hours one rep has in the same time;
3. reps needed = hours needed ÷ hours per rep (two decimals, half up), compared with the headcount:
   `shortfall` = ⌈reps needed⌉ − headcount (negative: reps to spare).

Pure: figures in, figures out. A missing input (no target, no won deal in the history to size a deal,
no selling hour per rep) leaves the figures that need it None, never a division by zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
PLACES = Decimal("0.01")
WHOLE = Decimal(1)


@dataclass(frozen=True)
class SizingInputs:
    target: Decimal | None
    booked: Decimal
    expected: Decimal  # what the open pipeline is expected to bring in the period
    average_won_deal: Decimal | None  # None: no won deal in the history
    activities_per_won_deal: Decimal | None
    hours_per_activity: Decimal
    hours_per_rep: Decimal  # the selling hours one rep has over the same time
    headcount: int


@dataclass(frozen=True)
class Sizing:
    inputs: SizingInputs
    gap: Decimal | None
    deals_needed: int | None
    activities_needed: Decimal | None
    hours_needed: Decimal | None
    reps_needed: Decimal | None
    shortfall: int | None  # ⌈reps needed⌉ − headcount; negative = reps to spare


def sales_force_size(inputs: SizingInputs) -> Sizing:
    """The reps needed to reach the target (see the module docstring)."""
    if inputs.target is None:
        return Sizing(inputs, None, None, None, None, None, None)
    gap = max(inputs.target - max(inputs.booked, ZERO) - max(inputs.expected, ZERO), ZERO)
    deals: int | None = None
    if gap == ZERO:
        deals = 0
    elif inputs.average_won_deal is not None and inputs.average_won_deal > ZERO:
        deals = int((gap / inputs.average_won_deal).to_integral_value(rounding=ROUND_CEILING))
    activities = hours = reps = None
    shortfall: int | None = None
    if deals is not None and (deals == 0 or inputs.activities_per_won_deal is not None):
        activities = (Decimal(deals) * (inputs.activities_per_won_deal or ZERO)).quantize(
            PLACES, ROUND_HALF_UP
        )
        hours = (activities * max(inputs.hours_per_activity, ZERO)).quantize(PLACES, ROUND_HALF_UP)
        if hours == ZERO:
            reps = ZERO
        elif inputs.hours_per_rep > ZERO:
            reps = (hours / inputs.hours_per_rep).quantize(PLACES, ROUND_HALF_UP)
        if reps is not None:
            shortfall = int(reps.to_integral_value(rounding=ROUND_CEILING)) - inputs.headcount
    return Sizing(inputs, gap, deals, activities, hours, reps, shortfall)


def hours_per_rep(hours_per_month: Decimal, months: Decimal) -> Decimal:
    """A rep's selling hours over `months` months (a fraction for part of a period), cents half up."""
    return (max(hours_per_month, ZERO) * max(months, ZERO)).quantize(PLACES, ROUND_HALF_UP)
