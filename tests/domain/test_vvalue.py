"""V值 (METHODOLOGY §10.2): remaining opportunity ÷ remaining quota, flagged below 1."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.vvalue import quota_position, v_value

D = Decimal
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


def test_seed_example_below_one_is_flagged():
    p = quota_position(D("1000000"), D("400000"), D("450000"))
    assert p.remaining_quota == D("600000")
    assert p.v == D("0.75")
    assert p.below_one and not p.met
    assert p.attainment == D("0.40")


def test_enough_opportunity_is_not_flagged():
    p = quota_position(D("100"), D("0"), D("300"))
    assert p.v == D("3.00") and not p.below_one


def test_quota_made_has_no_v():
    p = quota_position(D("100"), D("150"), D("10"))
    assert p.remaining_quota == D(0) and p.v is None and p.met and not p.below_one


def test_no_target():
    p = quota_position(None, D("10"), D("10"))
    assert p.quota is None and p.remaining_quota is None and p.v is None and not p.below_one
    assert p.attainment is None


def test_v_value_rounds_half_up():
    assert v_value(D("1"), D("3")) == D("0.33")
    assert v_value(D("2"), D("3")) == D("0.67")
    assert v_value(D("5"), D("0")) is None


@given(quota=money, booked=money, remaining=money)
def test_flag_iff_remaining_opportunity_short_of_remaining_quota(quota, booked, remaining):
    p = quota_position(quota, booked, remaining)
    gap = quota - booked
    if gap <= 0:
        assert p.met and p.v is None and not p.below_one
    else:
        assert p.remaining_quota == gap
        # rounding to cents can only turn a hair below 1 into 1.00
        if remaining >= gap:
            assert not p.below_one
        if p.below_one:
            assert remaining < gap


def test_days_remaining_counts_the_days_after_as_of():
    from datetime import date

    from kadence.domain.vvalue import days_remaining

    start, end = date(2026, 10, 1), date(2026, 12, 31)
    assert days_remaining(start, end, date(2026, 12, 6)) == 25
    assert days_remaining(start, end, date(2026, 12, 31)) == 0
    assert days_remaining(start, end, date(2027, 1, 5)) == 0
    assert days_remaining(start, end, date(2026, 9, 1)) == 92  # before it starts: the whole period


def test_required_run_rate():
    from kadence.domain.vvalue import required_run_rate

    rate = required_run_rate(D("600000"), 25)
    assert rate is not None and rate.per_day == D("24000.00") and rate.per_week == D("168000.00")
    assert required_run_rate(D("100"), 3).per_day == D("33.33")  # type: ignore[union-attr]
    assert required_run_rate(D("0"), 25) is None
    assert required_run_rate(None, 25) is None
    assert required_run_rate(D("100"), 0) is None


@given(money, money, money)
def test_flag_means_winning_everything_is_not_enough(quota, booked, opportunity):
    p = quota_position(quota, booked, opportunity)
    if p.below_one:
        assert booked + opportunity < quota
    elif not p.met:
        assert booked + opportunity >= quota - D("0.005") * (quota - booked)
