"""Capacity and velocity check (METHODOLOGY §8.4) with exact numbers. No database."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import capacity as cap

END = date(2025, 6, 30)


def test_capacity_figures_worked_example():
    # Target 1,000 for the quarter, 400 won: 600 to go. 1,500 open due in the quarter (weighted 450),
    # win rate 25% → required coverage 4×; velocity 5 a day over 61 days left.
    f = cap.capacity_check(
        target=D(1000),
        won=D(400),
        pipeline_due=D(1500),
        weighted_due=D(450),
        win_rate=D("0.25"),
        velocity=D(5),
        days_left=61,
    )
    assert f.remaining == D(600)
    assert f.coverage == D("2.5") and f.required_coverage == D(4) and f.coverage_short
    assert f.weighted_ratio == D("0.75") and f.weighted_short
    assert f.velocity_forecast == D(305)
    assert f.gap == D(150) and f.velocity_gap == D(295)
    assert not f.on_track


def test_target_reached_and_missing_target_and_zero_denominators():
    done = cap.capacity_check(
        target=D(500),
        won=D(700),
        pipeline_due=D(100),
        weighted_due=D(10),
        win_rate=D("0.5"),
        velocity=None,
        days_left=10,
    )
    assert done.remaining == 0 and done.coverage is None and done.weighted_ratio is None
    assert not done.coverage_short and not done.weighted_short and done.gap == 0 and done.on_track
    assert done.velocity_forecast is None and done.velocity_gap is None
    none = cap.capacity_check(
        target=None,
        won=D(0),
        pipeline_due=D(100),
        weighted_due=D(10),
        win_rate=None,
        velocity=D(1),
        days_left=10,
    )
    assert (
        none.remaining is None and none.gap is None and none.required_coverage is None and not none.on_track
    )
    assert cap.required_coverage(D(0)) is None
    assert cap.velocity_forecast(D(3), -5) == 0


def test_days_remaining_counts_today_and_whole_future_periods():
    start = date(2025, 4, 1)
    assert cap.days_remaining(date(2025, 6, 30), start, END) == 1
    assert cap.days_remaining(date(2025, 5, 1), start, END) == 61
    assert cap.days_remaining(date(2025, 3, 1), start, END) == 91
    assert cap.days_remaining(date(2025, 7, 1), start, END) == 0


def test_new_deals_needed_and_entry_deadline():
    # gap 150, A 100, p_I 10% → each new deal is worth 10 expected → 15 deals
    assert cap.new_deals_needed(D(150), D(100), D("0.10")) == 15
    assert cap.new_deals_needed(D(151), D(100), D("0.10")) == 16
    assert cap.new_deals_needed(D(0), D(100), D("0.10")) == 0
    assert cap.new_deals_needed(D(10), None, D("0.10")) is None
    assert cap.entry_deadline(END, D("165")) == date(2025, 1, 16)
    assert cap.entry_deadline(END, D("0.5")) == date(2025, 6, 29)


def test_stage_pace_slow_and_late():
    pace = cap.stage_pace(
        [("I", D(50), D(45)), ("C", D(10), D(45)), ("Q", None, D(30))], date(2025, 6, 1), END
    )
    assert [p.slow for p in pace] == [True, False, False]
    assert [p.remaining_days for p in pace] == [D(75), D(65), D(30)]
    assert [p.projected_close for p in pace] == [date(2025, 8, 15), date(2025, 8, 5), date(2025, 7, 1)]
    assert [p.late for p in pace] == [True, True, True]
    assert not cap.stage_pace([("Q", D(0), D(29))], date(2025, 6, 1), END)[0].late


def test_actions_in_order_with_parameters():
    f = cap.capacity_check(
        target=D(1000),
        won=D(400),
        pipeline_due=D(1500),
        weighted_due=D(450),
        win_rate=D("0.25"),
        velocity=None,
        days_left=61,
    )
    found = cap.actions(
        f,
        avg_deal=D(100),
        first_probability=D("0.1"),
        period_end=END,
        lead_days=D(30),
        as_of=date(2025, 5, 1),
        stalled_count=3,
        stalled_ids=[7, 5],
    )
    assert [a.kind for a in found] == [cap.NEW_DEALS, cap.COVERAGE_LOW, cap.PUSH_STALLED]
    assert found[0].count == 15 and found[0].by == date(2025, 5, 31) and found[0].value == D(150)
    assert found[1].value == D("2.5") and found[1].required == D(4)
    assert found[2].count == 3 and found[2].deal_ids == (7, 5)
    late = cap.actions(
        f,
        avg_deal=D(100),
        first_probability=D("0.1"),
        period_end=END,
        lead_days=D(165),
        as_of=date(2025, 5, 1),
    )
    assert late[0].kind == cap.TOO_LATE and late[0].by == date(2025, 1, 16)
    ok = cap.capacity_check(
        target=D(100),
        won=D(0),
        pipeline_due=D(500),
        weighted_due=D(200),
        win_rate=D("0.5"),
        velocity=None,
        days_left=5,
    )
    assert [
        a.kind
        for a in cap.actions(
            ok,
            avg_deal=D(10),
            first_probability=D("0.1"),
            period_end=END,
            lead_days=D(1),
            as_of=date(2025, 6, 1),
        )
    ] == [cap.ON_TRACK]
    missing = cap.capacity_check(
        target=None, won=D(0), pipeline_due=D(0), weighted_due=D(0), win_rate=None, velocity=None, days_left=5
    )
    assert [
        a.kind
        for a in cap.actions(
            missing,
            avg_deal=None,
            first_probability=None,
            period_end=END,
            lead_days=D(0),
            as_of=date(2025, 6, 1),
        )
    ] == [cap.NO_TARGET]


@given(
    target=st.decimals(0, 10**9, places=2),
    won=st.decimals(0, 10**9, places=2),
    due=st.decimals(0, 10**9, places=2),
    p=st.decimals("0.01", 1, places=2),
)
def test_gap_is_never_negative_and_never_more_than_the_remaining_target(target, won, due, p):
    f = cap.capacity_check(
        target=target, won=won, pipeline_due=due, weighted_due=due * p, win_rate=p, velocity=None, days_left=0
    )
    assert f.remaining is not None and f.gap is not None
    assert 0 <= f.gap <= f.remaining
    assert f.weighted_short == (f.gap > 0)


@pytest.mark.parametrize("gap", [D("0.01"), D(1), D(99), D(100)])
def test_new_deals_fill_the_gap(gap):
    n = cap.new_deals_needed(gap, D(50), D("0.25"))
    assert n * D(50) * D("0.25") >= gap > (n - 1) * D(50) * D("0.25")
