"""The history an imported deal is given when its file has none (issue 12 §1). Pure: no Django.

A sheet from another CRM says where a deal is now (its stage, or won / lost) and a few dates, not how it
got there. Win rate, cycle length, stage conversion and the funnel at a past date all read the deal's
history, so an imported deal gets a consistent one, built by this rule (documented in docs/import.md):

- The deal is **created** at the process's first stage on its created date. With no created date, the
  earliest date the row has stands for it (the date it entered its stage, else its closed date, else
  the import day).
- An **open** deal at the k-th open stage entered it on the "stage entered" date when the row has one,
  else on the import day's share: stages 1..k each get an equal part of the time from creation to the
  import day, so stage j (1 ≤ j ≤ k) is entered at created + (j − 1)/k × span. Stages between the first
  and the k-th without a date are spread evenly between creation and the date the k-th was entered.
- A **won** deal passed through every open stage, each getting an equal part of creation → closed date,
  and entered the won stage on its closed date.
- A **lost** deal was lost from the stage the row names (the first open stage when it names none, or
  when it names the won stage) on its closed date; the stages before were entered evenly between
  creation and that stage's entry, which is the "stage entered" date when given, else its equal share.

Dates are days; every entry is on or after the one before (equal days are allowed: a deal can be
created and advanced the same day). A date after `today` is pulled back to `today`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Passage:
    """One entry of a synthesised history: the deal entered open stage `step` (1-based position among
    the process's open stages; 0 for the closing row) on `day`. `status` is the deal's status after it."""

    step: int
    day: date
    status: str  # open / won / lost


def _spread(start: date, end: date, parts: int) -> list[date]:
    """`parts` + 1 days from `start` to `end`, evenly spaced (rounded down to whole days)."""
    span = (end - start).days
    return [start + timedelta(days=(span * i) // parts) for i in range(parts + 1)]


def synthesise_history(
    *,
    step: int,
    open_steps: int,
    status: str,
    today: date,
    created: date | None = None,
    entered: date | None = None,
    closed: date | None = None,
) -> list[Passage]:
    """The passages of a deal now at open stage `step` (1..open_steps; for a won deal ignored, for a
    lost deal the stage it was lost from) with `status`, by the rule of this module.

    >>> [(p.step, p.day.isoformat(), p.status) for p in synthesise_history(
    ...     step=3, open_steps=7, status="open", today=date(2026, 3, 31), created=date(2026, 1, 1))]
    [(1, '2026-01-01', 'open'), (2, '2026-01-30', 'open'), (3, '2026-03-01', 'open')]
    """
    if open_steps < 1:
        raise ValueError("a process has at least one open stage")
    if status == "won":
        step = open_steps
    step = min(max(step, 1), open_steps)
    closed = min(closed, today) if closed else None
    entered = min(entered, today) if entered else None
    last = closed if status != "open" and closed else today
    start = created or entered or closed or today
    start = min(start, today)
    if entered and entered < start:
        start = entered
    if last < start:
        last = start
    if status == "won":
        days = _spread(start, last, open_steps)  # stage j entered at days[j-1]; won at days[-1] = closed
        out = [Passage(j, days[j - 1], "open") for j in range(1, open_steps + 1)]
        return [*out, Passage(0, last, "won")]
    if entered is None:
        # the current (or lost-from) stage gets an equal share like the others
        entered_day = _spread(start, last, step)[step - 1]
    else:
        entered_day = max(entered, start)
        if entered_day > last:
            entered_day = last
    before = _spread(start, entered_day, max(step - 1, 1))
    out = [Passage(1, start, "open")]
    out += [Passage(j, before[j - 1], "open") for j in range(2, step)]
    if step > 1:
        out.append(Passage(step, entered_day, "open"))
    if status == "lost":
        out.append(Passage(0, max(last, entered_day), "lost"))
    return out
