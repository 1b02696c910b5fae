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
