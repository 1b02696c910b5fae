"""The weekly work plan compared with what was done (每周工作计划 vs actual, METHODOLOGY §10.3).

A pure rule, no Django: items a rep planned for a week are matched to the done activities of that rep
in the week. An item and an activity match when they are at the same account and of a compatible kind
(a planned visit is kept by a visit, a meeting or a demo — face to face; a planned call by a call either
way; an e-mail by an e-mail). One activity keeps at most one item, and one item is kept by at most one
activity. Among the possible pairs the rule prefers the same day, then the nearest date (then the
earlier item, then the earlier activity, so that the answer never depends on the order given). An item
already pinned to an activity (logged from the quick visit form as the item's visit) keeps it when that
activity is among those given.

Within one account and one kind group any item may pair with any activity, so taking the nearest pairs
first keeps as many items as can be kept there (min(planned, done)).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

FACE_TO_FACE = frozenset({"visit", "meeting", "demo"})
CALLS = frozenset({"call_out", "call_in"})
KIND_GROUPS: tuple[frozenset[str], ...] = (FACE_TO_FACE, CALLS, frozenset({"email"}))


def kind_group(kind: str) -> frozenset[str]:
    """The kinds that keep (or are kept by) `kind`: its group, or only itself when it has none."""
    for group in KIND_GROUPS:
        if kind in group:
            return group
    return frozenset({kind})


def compatible(planned_kind: str, done_kind: str) -> bool:
    return done_kind in kind_group(planned_kind)


def week_start(day: date) -> date:
    """The Monday of `day`'s week (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def week_days(start: date) -> tuple[date, date]:
    """The first and last day of the week starting `start`."""
    return start, start + timedelta(days=6)


@dataclass(frozen=True)
class Planned:
    id: int
    kind: str
    account_id: int
    day: date
    pinned_activity_id: int | None = None


@dataclass(frozen=True)
class Done:
    id: int
    kind: str
    account_id: int
    day: date


@dataclass
class PlanVsActual:
    """`kept` maps an item's id to the activity that kept it; `missed` the items planned and not done;
    `unplanned` the done activities no item planned."""

    kept: dict[int, int] = field(default_factory=dict)
    missed: list[int] = field(default_factory=list)
    unplanned: list[int] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return len(self.kept) + len(self.missed)

    @property
    def kept_count(self) -> int:
        return len(self.kept)

    @property
    def kept_rate(self) -> float | None:
        """Kept items over planned items (None with nothing planned)."""
        return round(len(self.kept) / self.planned, 4) if self.planned else None


def match(items: Iterable[Planned], activities: Iterable[Done]) -> PlanVsActual:
    """Plan vs actual for one rep and one week (see the module docstring)."""
    items = sorted(items, key=lambda i: (i.day, i.id))
    acts = sorted(activities, key=lambda a: (a.day, a.id))
    by_id = {a.id: a for a in acts}
    kept: dict[int, int] = {}
    used: set[int] = set()
    for item in items:
        pinned = by_id.get(item.pinned_activity_id) if item.pinned_activity_id else None
        if pinned is not None and pinned.id not in used and pinned.account_id == item.account_id:
            kept[item.id] = pinned.id
            used.add(pinned.id)
    pairs = sorted(
        (abs((a.day - i.day).days), i.day, i.id, a.day, a.id)
        for i in items
        if i.id not in kept
        for a in acts
        if a.id not in used and a.account_id == i.account_id and compatible(i.kind, a.kind)
    )
    for _distance, _iday, item_id, _aday, activity_id in pairs:
        if item_id in kept or activity_id in used:
            continue
        kept[item_id] = activity_id
        used.add(activity_id)
    return PlanVsActual(
        kept=kept,
        missed=[i.id for i in items if i.id not in kept],
        unplanned=[a.id for a in acts if a.id not in used],
    )


def best_item(activity: Done, items: Iterable[Planned]) -> Planned | None:
    """The one item a newly logged activity keeps: at its account, of a compatible kind, the same day
    first, then the nearest date (then the earlier item). None when no item fits."""
    fitting = [i for i in items if i.account_id == activity.account_id and compatible(i.kind, activity.kind)]
    if not fitting:
        return None
    return min(fitting, key=lambda i: (abs((i.day - activity.day).days), i.day, i.id))
