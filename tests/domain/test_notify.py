"""The collection plan (kadence.domain.notify): applying it makes the kept rows say what is wanted, so a
second plan is empty; a source that did not run keeps its rows."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kadence.domain.notify import Kept, Wanted, event_uid, plan

DAY = date(2026, 12, 1)


def wanted(user, key, days=0, kind="a"):
    return Wanted(user, kind, key, DAY + timedelta(days=days), "m", {}, "/u/")


def apply(kept: list[Kept], wants: list[Wanted], ran: set[str]) -> list[Kept]:
    p = plan(wants, kept, ran)
    rows = {k.id: k for k in kept}
    for pk, w, _moved in p.update:
        rows[pk] = Kept(pk, w.user_id, w.kind, w.key, w.due_date, w.message, w.params, w.url, False)
    for pk, w in p.reopen:
        rows[pk] = Kept(pk, w.user_id, w.kind, w.key, w.due_date, w.message, w.params, w.url, False)
    for pk in p.resolve:
        k = rows[pk]
        rows[pk] = Kept(pk, k.user_id, k.kind, k.key, k.due_date, k.message, k.params, k.url, True)
    next_id = max(rows, default=0) + 1
    for w in p.insert:
        rows[next_id] = Kept(next_id, w.user_id, w.kind, w.key, w.due_date, w.message, w.params, w.url, False)
        next_id += 1
    return list(rows.values())


def test_new_changed_resolved_and_back():
    kept = [
        Kept(1, 1, "a", "x", DAY, "m", {}, "/u/", False),
        Kept(2, 1, "a", "y", DAY, "m", {}, "/u/", False),
        Kept(3, 1, "a", "z", DAY, "m", {}, "/u/", True),
    ]
    p = plan([wanted(1, "x", 2), wanted(1, "z"), wanted(2, "x")], kept, {"a"})
    assert [(pk, moved) for pk, _w, moved in p.update] == [(1, True)]
    assert [pk for pk, _w in p.reopen] == [3]
    assert p.resolve == [2]
    assert [(w.user_id, w.key) for w in p.insert] == [(2, "x")]


def test_a_source_that_did_not_run_keeps_its_rows():
    kept = [Kept(1, 1, "b", "x", DAY, "m", {}, "/u/", False)]
    assert plan([], kept, {"a"}).resolve == []
    assert plan([], kept, {"b"}).resolve == [1]


def test_uid_is_stable_and_safe():
    assert event_uid("gate:1:2", 7, "k.example") == "gate:1:2-u7@k.example"
    assert event_uid("a b/c", 7, "h") == "a-b-c-u7@h"


items = st.lists(st.tuples(st.integers(1, 3), st.sampled_from("pqrs"), st.integers(-3, 3)), max_size=12)


@settings(deadline=None)  # a shared machine: time is not the property
@given(items, items)
def test_applied_plan_leaves_nothing_to_do(first, second):
    kept = apply([], [wanted(u, k, d) for u, k, d in first], {"a"})
    kept = apply(kept, [wanted(u, k, d) for u, k, d in second], {"a"})
    again = plan([wanted(u, k, d) for u, k, d in second], kept, {"a"})
    assert (again.insert, again.update, again.reopen, again.resolve) == ([], [], [], [])
