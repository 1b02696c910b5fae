"""Notifications (issue 13 §4): the pure rules of the collection run and of the calendar feed.

The collection run compares what the sources say is due now (`Wanted`, one per user and key) with the
rows kept so far (`Kept`) and plans the writes (`plan`): new rows to insert, rows whose due date or text
changed (or that came back after being resolved) to update, and open rows no longer due to resolve.
A source that failed is left out of the comparison (`ran_kinds`): its rows are neither updated nor
resolved, so one broken source does not close everyone's reminders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Wanted:
    """An item a source says is due: for `user_id`, identified by `key` (stable across runs)."""

    user_id: int
    kind: str
    key: str
    due_date: date
    message: str
    params: dict[str, Any]
    url: str


@dataclass(frozen=True)
class Kept:
    """What a kept notification row holds of the same facts."""

    id: int
    user_id: int
    kind: str
    key: str
    due_date: date
    message: str
    params: dict[str, Any]
    url: str
    resolved: bool


@dataclass
class Plan:
    insert: list[Wanted] = field(default_factory=list)
    update: list[tuple[int, Wanted, bool]] = field(default_factory=list)  # (row id, new facts, due moved)
    reopen: list[tuple[int, Wanted]] = field(default_factory=list)  # resolved rows due again
    resolve: list[int] = field(default_factory=list)  # open rows no longer due


def plan(wanted: Iterable[Wanted], kept: Iterable[Kept], ran_kinds: set[str]) -> Plan:
    """The writes that make the kept rows say what is wanted. `wanted` may repeat a (user, key): the
    first one counts. Kept rows of a kind whose source did not run (not in `ran_kinds`) are left alone."""
    want: dict[tuple[int, str], Wanted] = {}
    for item in wanted:
        want.setdefault((item.user_id, item.key), item)
    result = Plan()
    seen: set[tuple[int, str]] = set()
    for row in kept:
        pair = (row.user_id, row.key)
        seen.add(pair)
        found = want.get(pair)
        if found is None:
            if not row.resolved and row.kind in ran_kinds:
                result.resolve.append(row.id)
            continue
        if row.resolved:
            result.reopen.append((row.id, found))
        elif (row.due_date, row.message, row.params, row.url, row.kind) != (
            found.due_date,
            found.message,
            found.params,
            found.url,
            found.kind,
        ):
            result.update.append((row.id, found, row.due_date != found.due_date))
    result.insert = [item for pair, item in want.items() if pair not in seen]
    return result


def event_uid(key: str, user_id: int, domain: str) -> str:
    """The calendar event's UID: stable for one user's item whatever its due date, so a calendar
    moves the event instead of adding a second one."""
    safe = "".join(ch if ch.isalnum() or ch in "-_.:" else "-" for ch in key)
    return f"{safe}-u{user_id}@{domain}"
