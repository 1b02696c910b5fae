"""Calendar periods for targets and forecasts (METHODOLOGY §9): months, quarters and years, weeks that
start on Monday, and the forecast time buckets of seed 003 (booked to date; closing within 0–3, 3–6,
6–9 and 9–12 months of the report date). Pure: dates in, dates out; no clock.

Every period is a closed interval of days `[start, end]`; `end` is the period's last day."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}

BUCKET_MONTHS = 3
BUCKETS: tuple[str, ...] = ("0-3", "3-6", "6-9", "9-12")
BOOKED = "booked"


FIRST_DAY = date.min + timedelta(days=1)
LAST_DAY = date.max - timedelta(days=1)


def add_days(day: date, days: int) -> date:
    """`day` + `days`, held within [FIRST_DAY, LAST_DAY] (a day inside the calendar's ends, so that a
    local midnight still converts to UTC). Typed dates keep to the accepted years, but configured day
    counts (a stage's standard days, say) have no bound the calendar can hold."""
    try:
        return min(max(day + timedelta(days=days), FIRST_DAY), LAST_DAY)
    except OverflowError:
        return LAST_DAY if days > 0 else FIRST_DAY


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier, when negative), clamped to the end of a shorter
    month: 31 Jan + 1 month = 28 Feb (29 Feb in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def history_window_start(as_of: date, history_days: int) -> date:
    """The first day of the history window the rates are learned over (the funnel's conversion, win
    rate and cycle; the calibration's outcomes; the forecast's slip): whole months, from the first day
    of the month `history_days` before `as_of` up to `as_of`, so that monthly summaries answer it
    exactly. One window for one setting (ForecastPolicy.history_days) everywhere."""
    return add_days(as_of, -history_days).replace(day=1)


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of the month that holds `day`."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter_bounds(day: date) -> tuple[date, date]:
    """First and last day of the calendar quarter that holds `day` (Q1 = Jan–Mar)."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    return start, add_months(start, 3) - timedelta(days=1)


def year_bounds(day: date) -> tuple[date, date]:
    """1 January and 31 December of the year that holds `day`."""
    return date(day.year, 1, 1), date(day.year, 12, 31)


@dataclass(frozen=True, order=True)
class Period:
    """A month, quarter or year: `start` is its first day, `end` its last (inclusive)."""

    kind: PeriodKind
    start: date

    def __post_init__(self) -> None:
        if self.kind not in MONTHS_IN:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if _start_of(self.kind, self.start) != self.start:
            raise ValueError(f"{self.start} does not start a {self.kind}")

    @property
    def end(self) -> date:
        return add_months(self.start, MONTHS_IN[self.kind]) - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def shift(self, periods: int) -> Period:
        """The period `periods` after this one (before it, when negative)."""
        return Period(self.kind, add_months(self.start, periods * MONTHS_IN[self.kind]))

    @property
    def label(self) -> str:
        """2025-07 (month), 2025-Q3 (quarter), 2025 (year): the same in every language."""
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)


def _start_of(kind: str, day: date) -> date:
    if kind == "month":
        return month_bounds(day)[0]
    if kind == "quarter":
        return quarter_bounds(day)[0]
    if kind == "year":
        return year_bounds(day)[0]
    raise ValueError(f"unknown period kind {kind!r}")


def period_containing(kind: PeriodKind, day: date) -> Period:
    """The month, quarter or year that holds `day`."""
    return Period(kind, _start_of(kind, day))


def periods_before(period: Period, count: int) -> list[Period]:
    """The `count` periods that end before `period` starts, oldest first."""
    return [period.shift(-n) for n in range(count, 0, -1)]


def week_start(day: date) -> date:
    """The Monday of the week that holds `day` (ISO weeks start on Monday)."""
    return day - timedelta(days=day.weekday())


def next_week_starts(day: date, weeks: int = 4) -> list[date]:
    """The Mondays of the `weeks` weeks after the week that holds `day` (the rolling order forecast
    made in a week covers the four weeks that follow it)."""
    monday = week_start(day)
    return [monday + timedelta(weeks=n) for n in range(1, weeks + 1)]


@dataclass(frozen=True)
class TimeBucket:
    """A time bucket of the forecast (seed 003): open deals expected to close on a day in
    `[start, end]`. The first bucket also takes deals whose close date has already passed
    (still open, so still expected soon): its `start` is None."""

    code: str
    start: date | None
    end: date


def time_buckets(as_of: date) -> list[TimeBucket]:
    """0–3, 3–6, 6–9 and 9–12 months from the report date, in whole calendar months starting with
    the month of `as_of` (so that they add up from monthly totals exactly): bucket k holds the close
    dates of months m + 3k … m + 3k + 2, where m is the month of `as_of`. Overdue open deals (close
    date before `as_of`) are in 0–3; close dates beyond the twelfth month are in no bucket."""
    first = month_bounds(as_of)[0]
    buckets = []
    for index, code in enumerate(BUCKETS):
        start = add_months(first, index * BUCKET_MONTHS)
        end = add_months(first, (index + 1) * BUCKET_MONTHS) - timedelta(days=1)
        buckets.append(TimeBucket(code, None if index == 0 else start, end))
    return buckets


def bucket_for(as_of: date, close_date: date) -> str | None:
    """The code of the time bucket an open deal closing on `close_date` falls in, None beyond 12 months.
    Its SQL twin is kadence.pipeline.expressions.time_bucket."""
    for bucket in time_buckets(as_of):
        if close_date <= bucket.end:
            return bucket.code
    return None
