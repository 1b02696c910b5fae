"""The plan-vs-actual rule (kadence.domain.plans): matching planned items to done activities."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.plans import Done, Planned, best_item, compatible, match, week_days, week_start

MON = date(2026, 11, 30)


def test_week_start_is_the_monday():
    assert week_start(date(2026, 12, 6)) == MON  # a Sunday
    assert week_start(MON) == MON
    assert week_days(MON) == (MON, date(2026, 12, 6))


def test_compatible_kinds():
    assert compatible("visit", "meeting") and compatible("visit", "demo")
    assert compatible("call_out", "call_in")
    assert not compatible("visit", "call_out")
    assert not compatible("email", "visit")


def test_planned_and_done_missed_and_unplanned():
    items = [Planned(1, "visit", 10, MON), Planned(2, "call_out", 11, MON), Planned(3, "visit", 12, MON)]
    acts = [
        Done(100, "visit", 10, MON + timedelta(days=1)),
        Done(101, "visit", 11, MON),
        Done(102, "email", 13, MON),
    ]
    result = match(items, acts)
    assert result.kept == {1: 100}
    assert result.missed == [2, 3]  # the call at 11 is not kept by a visit there
    assert result.unplanned == [101, 102]
    assert (result.planned, result.kept_count, result.kept_rate) == (3, 1, 0.3333)


def test_same_day_preferred_then_nearest():
    items = [Planned(1, "visit", 10, MON), Planned(2, "visit", 10, MON + timedelta(days=3))]
    acts = [Done(100, "visit", 10, MON + timedelta(days=3)), Done(101, "visit", 10, MON + timedelta(days=1))]
    result = match(items, acts)
    assert result.kept == {2: 100, 1: 101}
    assert result.unplanned == []


def test_one_activity_keeps_one_item():
    items = [Planned(1, "visit", 10, MON), Planned(2, "visit", 10, MON)]
    result = match(items, [Done(100, "visit", 10, MON)])
    assert result.kept == {1: 100}
    assert result.missed == [2]


def test_a_pinned_activity_keeps_its_item():
    items = [
        Planned(1, "visit", 10, MON),
        Planned(2, "visit", 10, MON + timedelta(days=2), pinned_activity_id=100),
    ]
    result = match(items, [Done(100, "visit", 10, MON)])
    assert result.kept == {2: 100}


def test_nothing_planned_has_no_rate():
    result = match([], [Done(1, "visit", 1, MON)])
    assert result.kept_rate is None and result.unplanned == [1]


def test_best_item_for_a_new_activity():
    items = [
        Planned(1, "visit", 10, MON),
        Planned(2, "visit", 10, MON + timedelta(days=2)),
        Planned(3, "call_out", 10, MON),
    ]
    assert best_item(Done(9, "visit", 10, MON + timedelta(days=2)), items).id == 2
    assert best_item(Done(9, "call_in", 10, MON + timedelta(days=2)), items).id == 3
    assert best_item(Done(9, "visit", 11, MON), items) is None


KINDS = st.sampled_from(["visit", "meeting", "demo", "call_out", "call_in", "email"])
DAYS = st.integers(0, 6).map(lambda n: MON + timedelta(days=n))


@given(
    st.lists(st.tuples(KINDS, st.integers(1, 3), DAYS), max_size=12),
    st.lists(st.tuples(KINDS, st.integers(1, 3), DAYS), max_size=12),
)
def test_the_rule_partitions_and_keeps_the_most(raw_items, raw_acts):
    items = [Planned(i + 1, k, a, d) for i, (k, a, d) in enumerate(raw_items)]
    acts = [Done(100 + i, k, a, d) for i, (k, a, d) in enumerate(raw_acts)]
    result = match(items, acts)
    assert sorted([*result.kept, *result.missed]) == [i.id for i in items]
    assert sorted([*result.kept.values(), *result.unplanned]) == sorted(a.id for a in acts)
    assert len(set(result.kept.values())) == len(result.kept)
    by_item = {i.id: i for i in items}
    by_act = {a.id: a for a in acts}
    for item_id, act_id in result.kept.items():
        assert by_item[item_id].account_id == by_act[act_id].account_id
        assert compatible(by_item[item_id].kind, by_act[act_id].kind)
    # within an account and kind group, as many items are kept as can be
    for account in {i.account_id for i in items}:
        for group in ({"visit", "meeting", "demo"}, {"call_out", "call_in"}, {"email"}):
            planned = [i for i in items if i.account_id == account and i.kind in group]
            done = [a for a in acts if a.account_id == account and a.kind in group]
            kept = [i for i in planned if i.id in result.kept]
            assert len(kept) == min(len(planned), len(done))
    # the order given changes nothing
    assert match(list(reversed(items)), list(reversed(acts))).kept == result.kept
