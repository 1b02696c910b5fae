"""The 1-15-30 rule's pure parts (METHODOLOGY §10.4): due dates, the forecast-category ladder a
downgrade walks, on time and overdue."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from kadence.domain import cadence


def test_a_review_on_the_first_of_december_is_followed_up_on_the_16th_and_judged_on_the_31st():
    due = cadence.schedule(date(2026, 12, 1), 15, 30)
    assert (due.follow_up_on, due.judgement_on) == (date(2026, 12, 16), date(2026, 12, 31))


def test_the_ladder_goes_down_one_step_and_stops_at_omitted():
    assert cadence.lower_category("commit") == "best_case"
    assert cadence.lower_category("pipeline") == "omitted"
    assert cadence.lower_category("omitted") is None
    assert cadence.lower_category("nonsense") is None


def test_intervals():
    assert cadence.interval_errors(15, 30) == []
    assert cadence.interval_errors(30, 15) == ["judgement_days"]
    assert cadence.interval_errors(0, 400) == ["follow_up_days", "judgement_days"]


def test_on_time_and_overdue():
    due = date(2026, 12, 16)
    assert cadence.done_on_time(due, due) and not cadence.done_on_time(due, date(2026, 12, 17))
    assert not cadence.done_on_time(due, None)
    assert not cadence.is_overdue(due, due) and cadence.is_overdue(due, date(2026, 12, 17))


@settings(deadline=None)
@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.integers(1, 364), st.integers(1, 364))
def test_the_judgement_never_comes_before_the_follow_up(day, a, b):
    follow, judge = min(a, b), max(a, b) + 1
    assert cadence.interval_errors(follow, judge) == []
    due = cadence.schedule(day, follow, judge)
    assert day < due.follow_up_on < due.judgement_on
