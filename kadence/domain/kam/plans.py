"""Account plans (客户计划书, METHODOLOGY §11.8, seed 000's five steps): the pure rules of execution and
review. No Django, no clock: dates and numbers in, results out.

- `plan_quarters(start, end)`: the calendar quarters a plan's period touches, each clipped to the period
  (a plan from 15 Feb to 31 Dec has Q1 = 15 Feb–31 Mar, then Q2, Q3, Q4 whole).
- `action_state(status, due_on, today, soon_days)`: an open action due before today is "overdue", one
  due within `soon_days` days (today included) "due_soon", any other open one "open"; a done or
  cancelled action keeps its status.
- `plan_vs_actual(quarters, expected, actual, actions, today)`: per quarter the expected revenue, our
  won revenue, the attainment (actual ÷ expected, None when nothing was expected), the gap
  (actual − expected), the actions due in the quarter and how many of them are done; and the totals.
  Cancelled actions count neither as due nor as done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from kadence.domain import kpi
from kadence.domain.kam import value

OPEN, DONE, CANCELLED = "open", "done", "cancelled"
OVERDUE, DUE_SOON = "overdue", "due_soon"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Quarter:
    """A quarter of a plan: `start`–`end` inclusive (clipped to the plan's period), labelled "2026 Q1"."""

    year: int
    number: int
    start: date
    end: date

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"


def _quarter_end(day: date) -> date:
    month = ((day.month - 1) // 3) * 3 + 3
    if month == 12:
        return date(day.year, 12, 31)
    return date(day.year, month + 1, 1) - timedelta(days=1)


def plan_quarters(start: date, end: date) -> list[Quarter]:
    """The quarters of [start, end], each clipped to it; [] when end is before start."""
    quarters: list[Quarter] = []
    day = start
    while day <= end:
        last = min(_quarter_end(day), end)
        quarters.append(Quarter(day.year, (day.month - 1) // 3 + 1, day, last))
        if last >= end:
            break
        day = last + timedelta(days=1)
    return quarters


def action_state(status: str, due_on: date | None, today: date, soon_days: int) -> str:
    """What an action's row shows: its status, or for an open one "overdue" / "due_soon" / "open"."""
    if status != OPEN:
        return status
    if due_on is None:
        return OPEN
    if due_on < today:
        return OVERDUE
    if due_on <= today + timedelta(days=max(soon_days, 0)):
        return DUE_SOON
    return OPEN


@dataclass(frozen=True)
class ActionFact:
    """An action as the review counts it."""

    status: str
    due_on: date | None
    done_on: date | None = None


@dataclass
class QuarterReview:
    quarter: Quarter
    expected: Decimal
    actual: Decimal
    attainment: Decimal | None
    gap: Decimal
    actions_due: int
    actions_done: int
    actions_overdue: int
    past: bool  # the quarter has ended (its figures are final)


@dataclass
class PlanReview:
    quarters: list[QuarterReview] = field(default_factory=list)
    expected: Decimal = ZERO
    actual: Decimal = ZERO
    attainment: Decimal | None = None
    gap: Decimal = ZERO
    actions_due: int = 0
    actions_done: int = 0
    actions_overdue: int = 0


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole to 4 places (0.8125 = 81.25 %), None when whole is not positive."""
    if whole <= 0:
        return None
    return (part / whole).quantize(Decimal("0.0001"))


def plan_vs_actual(
    quarters: Iterable[Quarter],
    expected: Mapping[str, Decimal],
    actual: Mapping[str, Decimal],
    actions: Iterable[ActionFact],
    today: date,
) -> PlanReview:
    """Plan against actual per quarter (keys: Quarter.key). An action belongs to the quarter its due
    date falls in (actions with no due date, or due outside the period, count in the totals only); it is
    done when its status is done; overdue when open and due before `today`."""
    review = PlanReview()
    listed = list(actions)
    for q in quarters:
        exp = expected.get(q.key, ZERO) or ZERO
        act = actual.get(q.key, ZERO) or ZERO
        inside = [a for a in listed if a.status != CANCELLED and a.due_on and q.start <= a.due_on <= q.end]
        row = QuarterReview(
            quarter=q,
            expected=exp,
            actual=act,
            attainment=ratio(act, exp),
            gap=act - exp,
            actions_due=len(inside),
            actions_done=sum(1 for a in inside if a.status == DONE),
            actions_overdue=sum(1 for a in inside if a.status == OPEN and a.due_on and a.due_on < today),
            past=q.end < today,
        )
        review.quarters.append(row)
        review.expected += exp
        review.actual += act
    counted = [a for a in listed if a.status != CANCELLED]
    review.actions_due = len(counted)
    review.actions_done = sum(1 for a in counted if a.status == DONE)
    review.actions_overdue = sum(1 for a in counted if a.status == OPEN and a.due_on and a.due_on < today)
    review.attainment = ratio(review.actual, review.expected)
    review.gap = review.actual - review.expected
    return review


def growth(this: Decimal, last: Decimal) -> Decimal | None:
    """(this − last) ÷ last as a fraction to 4 places (kadence.domain.kpi.growth, the one growth rule);
    None when last is not positive."""
    rate = kpi.growth(this, last)
    return None if rate is None else rate.quantize(Decimal("0.0001"))


def share_of_wallet(revenue: Decimal, buying_power: Decimal | None) -> Decimal | None:
    """Our revenue ÷ BP (METHODOLOGY §11.2; kadence.domain.kam.value.sow, the one SOW rule) to 4 places,
    None without a positive BP."""
    share = value.sow(revenue, buying_power)
    return None if share is None else share.quantize(Decimal("0.0001"))


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before [start, end]: a calendar year's is the year before."""
    if start.month == 1 and start.day == 1 and end == date(start.year, 12, 31):
        return date(start.year - 1, 1, 1), date(start.year - 1, 12, 31)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)
