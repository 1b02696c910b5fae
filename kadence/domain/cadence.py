"""The 1-15-30 cadence (METHODOLOGY §10.4, seed 001). Pure: dates and categories in, dates and
categories out; no clock, no ORM.

When a deal or a customer is reviewed on day R, a follow-up falls due on R + F (F = 15 by default)
and an intent judgement on R + J (J = 30); both intervals are the cadence policy's (configuration).
An item counts as done on time when it was done on or before its due date. A new review of the same
subject supersedes the open items of the earlier ones.

A judgement that downgrades a deal lowers its forecast category one step down the ladder of seed 003
(booked → commit → best case → next quarter → pipeline → omitted); a deal already at "omitted" cannot
be lowered further (None): stop investing instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

FOLLOW_UP = "follow_up"
JUDGEMENT = "judgement"

# The forecast categories of seed 003 (kadence.pipeline.models.ForecastCategory), most certain first.
CATEGORY_LADDER = ("booked", "commit", "best_case", "next_quarter", "pipeline", "omitted")

MAX_INTERVAL_DAYS = 365


@dataclass(frozen=True)
class Schedule:
    """The two items one review schedules."""

    follow_up_on: date
    judgement_on: date


def interval_errors(follow_up_days: int, judgement_days: int) -> list[str]:
    """What is wrong with a pair of intervals (empty: fine): both at least one day, at most a year,
    and the judgement after the follow-up."""
    problems = []
    for name, days in (("follow_up_days", follow_up_days), ("judgement_days", judgement_days)):
        if not 1 <= days <= MAX_INTERVAL_DAYS:
            problems.append(name)
    if not problems and judgement_days <= follow_up_days:
        problems.append("judgement_days")
    return problems


def schedule(reviewed_on: date, follow_up_days: int, judgement_days: int) -> Schedule:
    """The due dates of a review's follow-up and judgement."""
    return Schedule(
        follow_up_on=reviewed_on + timedelta(days=follow_up_days),
        judgement_on=reviewed_on + timedelta(days=judgement_days),
    )


def lower_category(category: str) -> str | None:
    """The forecast category one step below `category`; None at the bottom or for an unknown one."""
    if category not in CATEGORY_LADDER:
        return None
    index = CATEGORY_LADDER.index(category)
    return CATEGORY_LADDER[index + 1] if index + 1 < len(CATEGORY_LADDER) else None


def is_overdue(due_on: date, today: date) -> bool:
    """An open item is overdue from the day after its due date."""
    return due_on < today


def done_on_time(due_on: date, done_on: date | None) -> bool:
    """Done on or before the due date (an item not done is not on time)."""
    return done_on is not None and done_on <= due_on
