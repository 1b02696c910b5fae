"""Calendar periods, weeks and the forecast time buckets (METHODOLOGY §9.1)."""

from datetime import date

import pytest

from kadence.domain.periods import (
    Period,
    TimeBucket,
    add_months,
    bucket_for,
    month_bounds,
    next_week_starts,
    period_containing,
    periods_before,
    quarter_bounds,
    time_buckets,
    week_start,
    year_bounds,
)


def test_month_bounds_know_leap_years():
    assert month_bounds(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_bounds(date(2025, 2, 10)) == (date(2025, 2, 1), date(2025, 2, 28))
    assert month_bounds(date(1900, 2, 1))[1] == date(1900, 2, 28)  # divisible by 100: not leap
    assert month_bounds(date(2000, 2, 1))[1] == date(2000, 2, 29)  # divisible by 400: leap
    assert month_bounds(date(2025, 12, 31)) == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2025, 1, 1), date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 3, 31), date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 6, 30), date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 9, 30), date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 10, 1), date(2025, 12, 31)),
        (date(2025, 12, 31), date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_quarter_boundaries(day, start, end):
    assert quarter_bounds(day) == (start, end)
    period = period_containing("quarter", day)
    assert (period.start, period.end) == (start, end)


def test_year_and_period_lengths():
    assert year_bounds(date(2024, 6, 15)) == (date(2024, 1, 1), date(2024, 12, 31))
    assert period_containing("year", date(2024, 6, 15)).days == 366
    assert period_containing("year", date(2025, 6, 15)).days == 365
    assert period_containing("quarter", date(2024, 2, 29)).days == 91
    assert period_containing("quarter", date(2025, 2, 28)).days == 90
    assert period_containing("month", date(2024, 2, 29)).end == date(2024, 2, 29)


def test_add_months_clamps_to_month_end():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert add_months(date(2025, 1, 15), -1) == date(2024, 12, 15)


def test_period_shift_labels_and_validation():
    q = Period("quarter", date(2025, 10, 1))
    assert q.shift(1) == Period("quarter", date(2026, 1, 1))
    assert q.shift(-4) == Period("quarter", date(2024, 10, 1))
    assert q.label == "2025-Q4" and Period("month", date(2025, 3, 1)).label == "2025-03"
    assert Period("year", date(2025, 1, 1)).label == "2025"
    assert periods_before(q, 2) == [Period("quarter", date(2025, 4, 1)), Period("quarter", date(2025, 7, 1))]
    assert q.contains(date(2025, 12, 31)) and not q.contains(date(2026, 1, 1))
    with pytest.raises(ValueError):
        Period("quarter", date(2025, 2, 1))
    with pytest.raises(ValueError):
        Period("week", date(2025, 1, 6))  # type: ignore[arg-type]


def test_weeks_start_on_monday():
    assert week_start(date(2025, 1, 1)) == date(2024, 12, 30)  # a Wednesday
    assert week_start(date(2025, 1, 6)) == date(2025, 1, 6)  # a Monday
    assert week_start(date(2025, 1, 12)) == date(2025, 1, 6)  # a Sunday
    assert next_week_starts(date(2025, 1, 8)) == [
        date(2025, 1, 13),
        date(2025, 1, 20),
        date(2025, 1, 27),
        date(2025, 2, 3),
    ]


def test_time_buckets_in_whole_months_from_the_report_month():
    buckets = time_buckets(date(2025, 11, 30))
    assert [(b.code, b.start, b.end) for b in buckets] == [
        ("0-3", None, date(2026, 1, 31)),
        ("3-6", date(2026, 2, 1), date(2026, 4, 30)),
        ("6-9", date(2026, 5, 1), date(2026, 7, 31)),
        ("9-12", date(2026, 8, 1), date(2026, 10, 31)),
    ]
    assert time_buckets(date(2024, 12, 1))[1] == TimeBucket("3-6", date(2025, 3, 1), date(2025, 5, 31))
    assert time_buckets(date(2023, 12, 31))[0].end == date(2024, 2, 29)  # leap February
    as_of = date(2025, 1, 15)
    assert bucket_for(as_of, date(2024, 12, 1)) == "0-3"  # overdue: still expected soon
    assert bucket_for(as_of, date(2025, 1, 1)) == "0-3"  # earlier this month
    assert bucket_for(as_of, date(2025, 3, 31)) == "0-3"
    assert bucket_for(as_of, date(2025, 4, 1)) == "3-6"
    assert bucket_for(as_of, date(2025, 12, 31)) == "9-12"
    assert bucket_for(as_of, date(2026, 1, 1)) is None
