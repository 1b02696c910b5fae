"""Milestone slippage of the customer's buying process (项目里程碑四步分析法, METHODOLOGY §2). Pure:
plain data in, plain data out; the clock is passed in as `as_of`.

The four steps: 1 date the customer's buying milestones (planned); 2 align ours with them; 3 measure
the slippage (actual − planned); 4 find where we lag the competition and act. This module is step 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

DONE = "done"  # the actual date is known
OVERDUE = "overdue"  # open, and the planned date has passed
PENDING = "pending"  # open, planned for today or later
UNDATED = "undated"  # open, and no planned date


@dataclass(frozen=True)
class MilestoneDates:
    """One milestone's planned and actual dates; `key` is the caller's (e.g. the stage id)."""

    key: int
    planned_on: date | None = None
    actual_on: date | None = None


@dataclass(frozen=True)
class Slippage:
    """The slippage of one milestone at `as_of`, in days (positive = late, negative = early).

    - actual and planned known: actual − planned (`running` False);
    - open (no actual) and overdue (as_of after planned): as_of − planned, still growing (`running` True);
    - open and not yet due (planned on or after as_of), or no planned date: None.
    `flagged` when the slippage exceeds the warning threshold."""

    key: int
    state: str
    days: int | None
    running: bool
    flagged: bool

    @property
    def late(self) -> bool:
        return self.days is not None and self.days > 0


@dataclass(frozen=True)
class SlippageSummary:
    """Over the milestones that have a slippage (`measured`): how many are late (> 0 days) and
    flagged (> warn days), the days late added up (early milestones do not offset late ones), the
    worst (largest) slippage — negative when every measured milestone was early — and the latest,
    the slippage of the last measured milestone in process order (for cumulative schedules, the
    delay the deal carries now). With nothing measured: counts 0, worst and latest None."""

    measured: int
    late: int
    flagged: int
    total_days_late: int
    worst: int | None
    latest: int | None


def slippage_days(planned_on: date | None, actual_on: date | None, as_of: date) -> tuple[int | None, bool]:
    """(days, running) as defined on `Slippage`."""
    if planned_on is None:
        return None, False
    if actual_on is not None:
        return (actual_on - planned_on).days, False
    if as_of > planned_on:
        return (as_of - planned_on).days, True
    return None, False


def state_of(milestone: MilestoneDates, as_of: date) -> str:
    if milestone.actual_on is not None:
        return DONE
    if milestone.planned_on is None:
        return UNDATED
    return OVERDUE if as_of > milestone.planned_on else PENDING


def measure(milestone: MilestoneDates, as_of: date, warn_days: int) -> Slippage:
    """The slippage of one milestone; flagged when it is more than `warn_days` days."""
    days, running = slippage_days(milestone.planned_on, milestone.actual_on, as_of)
    return Slippage(
        milestone.key, state_of(milestone, as_of), days, running, days is not None and days > warn_days
    )


def summarise(slippages: Sequence[Slippage]) -> SlippageSummary:
    """Totals over `slippages` given in process order (see `SlippageSummary`)."""
    days = [s.days for s in slippages if s.days is not None]
    return SlippageSummary(
        measured=len(days),
        late=sum(1 for d in days if d > 0),
        flagged=sum(1 for s in slippages if s.flagged),
        total_days_late=sum(d for d in days if d > 0),
        worst=max(days) if days else None,
        latest=days[-1] if days else None,
    )


def analyse(
    milestones: Sequence[MilestoneDates], as_of: date, warn_days: int
) -> tuple[tuple[Slippage, ...], SlippageSummary]:
    """Each milestone's slippage (same order) and their summary."""
    slippages = tuple(measure(m, as_of, warn_days) for m in milestones)
    return slippages, summarise(slippages)
