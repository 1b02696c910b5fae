"""Stalled deals (停滞不前, METHODOLOGY §8.2). Pure: plain facts about one open deal in, the reasons
it is stalled out; no clock, no ORM.

An open deal is stalled on `as_of` when any of these holds (thresholds from the forecast policy):

- "stage_time"   days in its current stage > factor × the stage's standard days (factor 1.5 by
                 default; exactly 1.5 × is not stalled, one day more is). Days in stage =
                 as_of − the day it entered the stage.
- "no_activity"  no customer-side activity for more than N days (N = 30): the last done activity
                 linked to the deal (e-mail is not customer-side; dated on or before as_of) is more
                 than N days old, or there is none and the deal was created more than N days ago.
                 A dated next step recorded on the stalled deal (a StallAction "next_step") holds
                 this reason off up to and including its date; from the day after, it counts again
                 unless an activity was logged meanwhile.
- "close_passed" the expected close date is before as_of while the deal is still open.
- "close_pushed" the expected close date was moved later at least k times (k = 2; k = 0 turns
                 this reason off); see is_close_date_push.

Each reason carries its numbers (the measured value and the threshold) and `since`, the first day
it held; a deal's days stalled count from the earliest of them (the first day counts as 1).
Every threshold comparison is done in whole numbers (hundredths of the factor), so it is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from kadence.domain.periods import add_days

STAGE_TIME = "stage_time"
NO_ACTIVITY = "no_activity"
CLOSE_PASSED = "close_passed"
CLOSE_PUSHED = "close_pushed"
REASONS = (STAGE_TIME, NO_ACTIVITY, CLOSE_PASSED, CLOSE_PUSHED)


@dataclass(frozen=True)
class StallPolicy:
    """The thresholds: stalled after `factor` × standard days in a stage, after `no_activity_days`
    without customer activity, after `close_pushes` pushes of the close date (0 = never)."""

    factor: Decimal = Decimal("1.5")
    no_activity_days: int = 30
    close_pushes: int = 2

    @property
    def factor_hundredths(self) -> int:
        """The factor in hundredths, rounded down (the policy stores two decimals)."""
        return int((self.factor * 100).to_integral_value(rounding=ROUND_FLOOR))


def is_close_date_push(old: date | None, new: date | None) -> bool:
    """A change of the expected close date is a push when it moves the date later; a first date (none
    before), a cleared one or an earlier one is not. Its SQL twin,
    kadence.pipeline.expressions.close_date_pushed, reads the audit trail's old and new values as
    dates."""
    return old is not None and new is not None and new > old


def stage_allowance(standard_days: int, policy: StallPolicy) -> int:
    """The most whole days a deal may spend in a stage without stalling: ⌊factor × standard⌋."""
    return policy.factor_hundredths * standard_days // 100


def stage_time_since(entered_on: date, standard_days: int, policy: StallPolicy) -> date:
    """The first day a deal that entered its stage on `entered_on` is stalled in it ("stage_time"): the
    day after its allowance runs out. Its SQL twin is kadence.pipeline.expressions.stage_time_since
    (as a day number)."""
    return add_days(entered_on, stage_allowance(standard_days, policy) + 1)


def stalled_in_stage(entered_on: date, standard_days: int, policy: StallPolicy, as_of: date) -> bool:
    """Days in the stage (as_of − the day it entered it) more than factor × standard days."""
    return stage_time_since(entered_on, standard_days, policy) <= as_of


@dataclass(frozen=True)
class DealFacts:
    """What stall detection needs to know about one open deal. `last_activity_on` is the date of the
    last done customer-side activity on or before as_of (None: none); `kth_push_on` the day of the
    push that reached the policy's count (None when there were fewer); `next_step_on` the date of
    the latest dated next step recorded on the stalled deal (None: none)."""

    stage_entered_on: date
    standard_days: int
    created_on: date
    last_activity_on: date | None
    expected_close_date: date
    close_pushes: int
    kth_push_on: date | None = None
    next_step_on: date | None = None


@dataclass(frozen=True)
class StallReason:
    """One reason a deal is stalled. `value`: days in stage, days without activity (since the last
    activity, or since creation when `never`), days past the close date, or the number of pushes.
    `threshold`: factor × standard days (a Decimal), the allowed days without activity, 0, or the
    number of pushes that stalls. `standard_days` only for stage_time. `since`: the first day the
    reason held."""

    code: str
    value: int
    threshold: Decimal
    since: date
    standard_days: int | None = None
    never: bool = False

    def as_json(self) -> dict[str, Any]:
        """A JSON-safe copy (kept on the StallAction row)."""
        return {
            "code": self.code,
            "value": self.value,
            "threshold": format(self.threshold, "f"),
            "since": self.since.isoformat(),
            "standard_days": self.standard_days,
            "never": self.never,
        }


def stall_reasons(facts: DealFacts, policy: StallPolicy, as_of: date) -> tuple[StallReason, ...]:
    """Why the deal is stalled on `as_of`, in the order of REASONS; empty when it is not."""
    found: list[StallReason] = []
    if stalled_in_stage(facts.stage_entered_on, facts.standard_days, policy, as_of):
        threshold = Decimal(policy.factor_hundredths * facts.standard_days) / 100
        found.append(
            StallReason(
                STAGE_TIME,
                (as_of - facts.stage_entered_on).days,
                threshold,
                stage_time_since(facts.stage_entered_on, facts.standard_days, policy),
                standard_days=facts.standard_days,
            )
        )
    reference = facts.last_activity_on if facts.last_activity_on is not None else facts.created_on
    quiet = (as_of - reference).days
    held_off = facts.next_step_on is not None and facts.next_step_on >= as_of
    if quiet > policy.no_activity_days and not held_off:
        since = reference + timedelta(days=policy.no_activity_days + 1)
        if facts.next_step_on is not None:
            since = max(since, facts.next_step_on + timedelta(days=1))
        found.append(
            StallReason(
                NO_ACTIVITY,
                quiet,
                Decimal(policy.no_activity_days),
                since,
                never=facts.last_activity_on is None,
            )
        )
    if facts.expected_close_date < as_of:
        found.append(
            StallReason(
                CLOSE_PASSED,
                (as_of - facts.expected_close_date).days,
                Decimal(0),
                facts.expected_close_date + timedelta(days=1),
            )
        )
    if policy.close_pushes > 0 and facts.close_pushes >= policy.close_pushes:
        found.append(
            StallReason(
                CLOSE_PUSHED, facts.close_pushes, Decimal(policy.close_pushes), facts.kth_push_on or as_of
            )
        )
    return tuple(found)


def days_stalled(reasons: tuple[StallReason, ...], as_of: date) -> int:
    """Days since the earliest reason began, the first day counting as 1; 0 when not stalled."""
    if not reasons:
        return 0
    return (as_of - min(r.since for r in reasons)).days + 1
