"""Activity quotas (活动目标, METHODOLOGY §10.3): the effective-visit rule, a quota's size over a report
period, and attainment. Pure: plain values in, plain values out; no clock, no ORM.

- **Effective visit** (有效拜访): a done activity of a face-to-face kind (visit, meeting, demo by
  default) whose result, as the rep says, is one of the counted results (found an opportunity,
  advanced one, solved a customer's problem by default). Kinds and results are configuration
  (`EffectiveVisitRule`).
- **Working days** are Monday to Friday; public holidays and China's swapped working weekends are not
  modelled (a quota per day over a week with a holiday is still five days' worth).
- A quota is given **per day, per week or per month**. Over a report period it is pro rata of working
  days: a daily quota × the period's working days; a weekly quota × working days ÷ 5; a monthly quota ×
  (for each month the period touches) the working days of the period in that month ÷ the month's working
  days. So a whole week holds exactly one weekly quota, a whole month one monthly quota, a quarter three.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Per = Literal["day", "week", "month"]
PERS: tuple[Per, ...] = ("day", "week", "month")
WORKING_DAYS_A_WEEK = 5
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class EffectiveVisitRule:
    """Which done activities are effective visits: `kinds` (face to face) and `results` (what it
    achieved). An empty set of either makes no activity effective."""

    kinds: frozenset[str]
    results: frozenset[str]


def is_effective(rule: EffectiveVisitRule, *, kind: str, done: bool, result: str) -> bool:
    """An effective visit: done, of a face-to-face kind, with a counted result (a planned activity is
    never effective; an empty result never counts)."""
    return done and kind in rule.kinds and bool(result) and result in rule.results


def is_effective_call(
    rule: EffectiveVisitRule, *, kind: str, done: bool, result: str, call_kind: str
) -> bool:
    """An effective call: a done outbound call (`call_kind`) with one of the rule's counted results."""
    return done and kind == call_kind and bool(result) and result in rule.results


def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days in [start, end] (0 when end < start)."""
    if end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * WORKING_DAYS_A_WEEK
    first = start.weekday()
    count += sum(1 for offset in range(rest) if (first + offset) % 7 < WORKING_DAYS_A_WEEK)
    return count


def _months(start: date, end: date) -> Iterable[tuple[date, date]]:
    day = start.replace(day=1)
    while day <= end:
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        yield day, last
        day = last + timedelta(days=1)


def quota_for_period(amount: Decimal | int, per: Per, start: date, end: date) -> Decimal:
    """The quota `amount` per `per` over [start, end], pro rata of working days (see the module),
    rounded to one decimal. Zero for a period without working days."""
    amount = Decimal(amount)
    if per == "day":
        total = amount * working_days(start, end)
    elif per == "week":
        total = amount * working_days(start, end) / WORKING_DAYS_A_WEEK
    elif per == "month":
        total = Decimal(0)
        for first, last in _months(start, end):
            in_month = working_days(first, last)
            if in_month:
                total += amount * working_days(max(first, start), min(last, end)) / in_month
    else:
        raise ValueError(f"unknown quota unit {per!r}")
    return total.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Attainment:
    """A metric's attainment: `actual` done, `quota` asked (None: no quota), `gap` still to do (never
    below zero; None without a quota), `pct` = actual ÷ quota × 100 to one decimal (None without a quota
    or with a quota of zero)."""

    actual: int
    quota: Decimal | None
    gap: Decimal | None
    pct: Decimal | None


def attainment(actual: int, quota: Decimal | None) -> Attainment:
    if quota is None:
        return Attainment(actual, None, None, None)
    gap = max(quota - actual, Decimal(0)).quantize(ONE_PLACE)
    pct = (Decimal(actual) * 100 / quota).quantize(ONE_PLACE, rounding=ROUND_HALF_UP) if quota > 0 else None
    return Attainment(actual, quota, gap, pct)


def effort_attainment(pcts: Iterable[Decimal | None], cap: Decimal = Decimal(100)) -> Decimal | None:
    """A rep's overall attainment on the effort leaderboard: the mean of their metric attainments that
    have a percentage, each capped at `cap` (so over-delivering one metric hides no shortfall in
    another); None when no metric has one."""
    values = [min(p, cap) for p in pcts if p is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QuotaRow:
    """A configured quota: for a `role` (user None) or for one `user` (overrides the role's row of
    the same metric)."""

    metric: str
    per: Per
    amount: int
    role: str = ""
    user_id: int | None = None


def effective_quotas(rows: Iterable[QuotaRow], *, user_id: int, role: str) -> dict[str, QuotaRow]:
    """The quota of each metric for one person: their own row, else their role's row; a metric with
    neither has no quota (absent from the answer). A user row of amount 0 says "no quota for me"."""
    mine: dict[str, QuotaRow] = {}
    by_role: dict[str, QuotaRow] = {}
    for row in rows:
        if row.user_id == user_id:
            mine[row.metric] = row
        elif row.user_id is None and row.role == role:
            by_role[row.metric] = row
    return {**by_role, **mine}
