"""kadence.domain.quotas: the effective-visit rule, working days, quotas over a period, attainment, the
user row over the role row (worked examples with exact numbers)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import quotas as dq

RULE = dq.EffectiveVisitRule(
    frozenset({"visit", "meeting", "demo"}), frozenset({"found", "advanced", "solved"})
)


def test_an_effective_visit_is_done_face_to_face_with_a_counted_result():
    assert dq.is_effective(RULE, kind="visit", done=True, result="found")
    assert dq.is_effective(RULE, kind="demo", done=True, result="solved")
    assert not dq.is_effective(RULE, kind="visit", done=True, result="")  # nothing of the three
    assert not dq.is_effective(RULE, kind="visit", done=False, result="found")  # planned
    assert not dq.is_effective(RULE, kind="call_out", done=True, result="found")  # not face to face
    narrower = dq.EffectiveVisitRule(frozenset({"visit"}), frozenset({"found"}))
    assert not dq.is_effective(narrower, kind="meeting", done=True, result="found")
    assert not dq.is_effective(narrower, kind="visit", done=True, result="advanced")


def test_an_effective_call_is_a_done_outbound_call_with_a_counted_result():
    assert dq.is_effective_call(RULE, kind="call_out", done=True, result="advanced", call_kind="call_out")
    assert not dq.is_effective_call(RULE, kind="call_in", done=True, result="advanced", call_kind="call_out")
    assert not dq.is_effective_call(RULE, kind="call_out", done=True, result="", call_kind="call_out")


def test_working_days_are_monday_to_friday():
    monday = date(2026, 11, 30)
    assert dq.working_days(monday, monday + timedelta(days=6)) == 5
    assert dq.working_days(date(2026, 12, 5), date(2026, 12, 6)) == 0  # a weekend
    assert dq.working_days(date(2026, 12, 1), date(2026, 12, 31)) == 23
    assert dq.working_days(date(2026, 2, 1), date(2026, 2, 28)) == 20
    assert dq.working_days(monday, monday - timedelta(days=1)) == 0


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 400))
def test_working_days_agree_with_counting_them_one_by_one(start, length):
    end = start + timedelta(days=length)
    expected = sum(1 for n in range(length + 1) if (start + timedelta(days=n)).weekday() < 5)
    assert dq.working_days(start, end) == expected


def test_a_quota_over_a_period_is_pro_rata_of_working_days():
    week = (date(2026, 11, 30), date(2026, 12, 6))
    assert dq.quota_for_period(12, "week", *week) == Decimal("12.0")
    assert dq.quota_for_period(5, "day", *week) == Decimal("25.0")
    # December 2026 has 23 working days: 5 a day is 115, 12 a week is 12 × 23 / 5 = 55.2
    december = (date(2026, 12, 1), date(2026, 12, 31))
    assert dq.quota_for_period(5, "day", *december) == Decimal("115.0")
    assert dq.quota_for_period(12, "week", *december) == Decimal("55.2")
    assert dq.quota_for_period(2, "month", *december) == Decimal("2.0")
    # a quarter holds three monthly quotas; a week in one month holds 5/23 of it
    assert dq.quota_for_period(2, "month", date(2026, 10, 1), date(2026, 12, 31)) == Decimal("6.0")
    # a week across two months: Monday 30 Nov is 1 of November's 21 working days, 1-4 Dec 4 of 23
    assert dq.quota_for_period(23, "month", *week) == Decimal("5.1")  # 23 / 21 + 23 × 4 / 23 = 5.095
    assert dq.quota_for_period(12, "week", date(2026, 12, 5), date(2026, 12, 6)) == Decimal("0.0")


def test_attainment_gap_and_percentage():
    a = dq.attainment(9, Decimal(12))
    assert (a.actual, a.quota, a.gap, a.pct) == (9, Decimal(12), Decimal("3.0"), Decimal("75.0"))
    over = dq.attainment(15, Decimal(12))
    assert over.gap == 0 and over.pct == Decimal("125.0")
    assert dq.attainment(3, None) == dq.Attainment(3, None, None, None)
    zero = dq.attainment(3, Decimal(0))
    assert zero.pct is None and zero.gap == 0


def test_effort_attainment_is_the_capped_mean():
    assert dq.effort_attainment([Decimal(150), Decimal(50), None]) == Decimal("75.0")
    assert dq.effort_attainment([None]) is None


def test_a_user_row_overrides_the_role_row_of_the_same_metric():
    rows = [
        dq.QuotaRow("effective_visits", "week", 12, role="rep"),
        dq.QuotaRow("new_customers", "month", 2, role="rep"),
        dq.QuotaRow("effective_visits", "week", 8, user_id=7),
        dq.QuotaRow("new_customers", "month", 0, user_id=9),
        dq.QuotaRow("customer_contacts", "day", 5, role="inside"),
    ]
    rita = dq.effective_quotas(rows, user_id=7, role="rep")
    assert rita["effective_visits"].amount == 8 and rita["new_customers"].amount == 2
    assert set(rita) == {"effective_visits", "new_customers"}
    assert dq.effective_quotas(rows, user_id=9, role="rep")["new_customers"].amount == 0
    assert set(dq.effective_quotas(rows, user_id=3, role="inside")) == {"customer_contacts"}
