"""Account plans' pure rules (kadence.domain.kam.plans): quarters of a period, an action's state, plan vs
actual per quarter — worked examples with exact results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from kadence.domain.kam import plans as rules


def test_a_calendar_year_has_four_whole_quarters():
    qs = rules.plan_quarters(date(2026, 1, 1), date(2026, 12, 31))
    assert [(q.key, q.start, q.end) for q in qs] == [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ]


def test_custom_dates_are_clipped_and_may_cross_a_year():
    qs = rules.plan_quarters(date(2026, 2, 15), date(2027, 1, 10))
    assert [q.key for q in qs] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]
    assert qs[0].start == date(2026, 2, 15) and qs[-1].end == date(2027, 1, 10)
    assert rules.plan_quarters(date(2026, 5, 1), date(2026, 5, 1))[0].key == "2026-Q2"
    assert rules.plan_quarters(date(2026, 5, 2), date(2026, 5, 1)) == []


def test_action_state():
    today = date(2026, 6, 10)
    assert rules.action_state("open", date(2026, 6, 9), today, 14) == "overdue"
    assert rules.action_state("open", date(2026, 6, 10), today, 14) == "due_soon"
    assert rules.action_state("open", date(2026, 6, 24), today, 14) == "due_soon"
    assert rules.action_state("open", date(2026, 6, 25), today, 14) == "open"
    assert rules.action_state("done", date(2026, 1, 1), today, 14) == "done"
    assert rules.action_state("cancelled", date(2026, 1, 1), today, 14) == "cancelled"


def test_plan_vs_actual_per_quarter():
    quarters = rules.plan_quarters(date(2026, 1, 1), date(2026, 12, 31))
    expected = {"2026-Q1": D("400000"), "2026-Q2": D("600000"), "2026-Q3": D("0")}
    actual = {"2026-Q1": D("500000"), "2026-Q2": D("150000"), "2026-Q3": D("80000")}
    actions = [
        rules.ActionFact("done", date(2026, 2, 1)),
        rules.ActionFact("open", date(2026, 3, 1)),  # overdue on 10 June
        rules.ActionFact("cancelled", date(2026, 3, 5)),  # counts nowhere
        rules.ActionFact("open", date(2026, 6, 20)),
        rules.ActionFact("done", date(2027, 2, 1)),  # outside the period: the totals only
    ]
    review = rules.plan_vs_actual(quarters, expected, actual, actions, date(2026, 6, 10))
    q1, q2, q3, q4 = review.quarters
    assert (q1.expected, q1.actual, q1.attainment, q1.gap) == (
        D("400000"),
        D("500000"),
        D("1.2500"),
        D("100000"),
    )
    assert (q1.actions_due, q1.actions_done, q1.actions_overdue, q1.past) == (2, 1, 1, True)
    assert (q2.attainment, q2.gap, q2.actions_due, q2.actions_done, q2.past) == (
        D("0.2500"),
        D("-450000"),
        1,
        0,
        False,
    )
    assert q3.attainment is None and q3.gap == D("80000")
    assert q4.expected == 0 and q4.actual == 0
    assert (review.expected, review.actual, review.attainment, review.gap) == (
        D("1000000"),
        D("730000"),
        D("0.7300"),
        D("-270000"),
    )
    assert (review.actions_due, review.actions_done, review.actions_overdue) == (4, 2, 1)


def test_growth_sow_and_the_period_before():
    assert rules.growth(D("120"), D("100")) == D("0.2000")
    assert rules.growth(D("120"), D("0")) is None
    assert rules.share_of_wallet(D("1500000"), D("5000000")) == D("0.3000")
    assert rules.share_of_wallet(D("1"), None) is None
    assert rules.previous_period(date(2026, 1, 1), date(2026, 12, 31)) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
    )
    assert rules.previous_period(date(2026, 4, 1), date(2026, 4, 30)) == (date(2026, 3, 2), date(2026, 3, 31))
