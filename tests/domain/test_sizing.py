"""Sales-force sizing (METHODOLOGY §10.7, seed 002): hours needed ÷ hours per rep = reps needed."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.sizing import SizingInputs, hours_per_rep, sales_force_size

D = Decimal


def inputs(**kw):
    base = dict(
        target=D("10000000"),
        booked=D("2000000"),
        expected=D("3000000"),
        average_won_deal=D("400000"),
        activities_per_won_deal=D("12.5"),
        hours_per_activity=D("2"),
        hours_per_rep=D("300"),
        headcount=4,
    )
    base.update(kw)
    return SizingInputs(**base)


def test_worked_example():
    # gap 5 000 000 ÷ 400 000 = 12.5 → 13 deals; × 12.5 activities = 162.5; × 2 h = 325 h; ÷ 300 h = 1.08 reps
    s = sales_force_size(inputs())
    assert s.gap == D("5000000")
    assert s.deals_needed == 13
    assert s.activities_needed == D("162.50")
    assert s.hours_needed == D("325.00")
    assert s.reps_needed == D("1.08")
    assert s.shortfall == 2 - 4  # two reps needed (rounded up), four on the team: two to spare


def test_short_of_reps():
    s = sales_force_size(inputs(hours_per_rep=D("50"), headcount=3))
    assert s.reps_needed == D("6.50") and s.shortfall == 4


def test_target_reached_needs_nobody():
    s = sales_force_size(inputs(booked=D("9000000"), expected=D("2000000")))
    assert s.gap == 0 and s.deals_needed == 0 and s.hours_needed == 0 and s.reps_needed == 0
    assert s.shortfall == -4


def test_missing_inputs_give_no_figure():
    assert sales_force_size(inputs(target=None)).reps_needed is None
    no_history = sales_force_size(inputs(average_won_deal=None))
    assert (
        no_history.gap == D("5000000") and no_history.deals_needed is None and no_history.reps_needed is None
    )
    no_activities = sales_force_size(inputs(activities_per_won_deal=None))
    assert no_activities.deals_needed == 13 and no_activities.hours_needed is None
    no_hours = sales_force_size(inputs(hours_per_rep=D("0")))
    assert (
        no_hours.hours_needed == D("325.00") and no_hours.reps_needed is None and no_hours.shortfall is None
    )


def test_hours_per_rep():
    assert hours_per_rep(D("100"), D("3")) == D("300.00")
    assert hours_per_rep(D("100"), D("0.2717")) == D("27.17")


amounts = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False)


@given(amounts, amounts, amounts, st.decimals(min_value=1, max_value=10**7, places=2))
def test_deals_needed_cover_the_gap(target, booked, expected, average):
    s = sales_force_size(inputs(target=target, booked=booked, expected=expected, average_won_deal=average))
    assert s.deals_needed is not None and s.gap is not None
    assert s.deals_needed * average >= s.gap
    assert s.deals_needed == 0 or (s.deals_needed - 1) * average < s.gap
