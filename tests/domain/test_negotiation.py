"""三上三下 rules (kadence.domain.negotiation): the gap, the end of a round, the final figures, worked
examples of a negotiation closing in round 2 and one running to round 3."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import negotiation as rules
from kadence.domain.negotiation import Figures, Policy

POLICY = Policy()


def test_defaults_are_three_rounds_and_five_percent():
    assert POLICY.max_rounds == 3 and POLICY.gap_threshold == D("0.05")


@pytest.mark.parametrize(
    ("proposed", "committed", "gap"),
    [
        (D(1000), D(950), D("0.05")),
        (D(1000), D(1050), D("0.05")),
        (D(1000), D(900), D("0.1")),
        (D(0), D(0), D(0)),
        (D(0), D(10), None),
    ],
)
def test_gap(proposed, committed, gap):
    assert rules.gap(proposed, committed) == gap


def test_within_is_inclusive_at_the_threshold_and_never_without_an_answer():
    assert rules.within(D(1000), D(950), D("0.05"))
    assert not rules.within(D(1000), D("949.99"), D("0.05"))
    assert not rules.within(D(1000), None, D("0.05"))
    assert not rules.within(D(0), D(1), D("0.05"))


def test_gap_pct_rounds_half_up_to_one_decimal():
    assert rules.gap_pct(D(3000), D(2900)) == D("3.3")
    assert rules.gap_pct(D(800), D(700)) == D("12.5")
    assert rules.gap_pct(D(800), None) is None


def test_outcome_waits_for_every_answer():
    lines = {"a": Figures(D(100), D(100)), "b": Figures(D(100))}
    assert rules.outcome(lines, 1, POLICY) == rules.WAITING


def test_outcome_agreed_adjust_imposed():
    close = {"a": Figures(D(1000), D(960)), "b": Figures(D(800), D(800))}
    apart = {"a": Figures(D(1000), D(900)), "b": Figures(D(800), D(800))}
    assert rules.outcome(close, 1, POLICY) == rules.AGREED
    assert rules.outcome(apart, 1, POLICY) == rules.ADJUST
    assert rules.outcome(apart, 2, POLICY) == rules.ADJUST
    assert rules.outcome(apart, 3, POLICY) == rules.IMPOSED
    assert rules.outcome(close, 3, POLICY) == rules.AGREED  # agreement wins even at the last round


def test_final_figures_are_the_committed_when_agreed_and_the_proposed_when_imposed():
    lines = {"a": Figures(D(1000), D(960)), "b": Figures(D(800), D(790))}
    assert rules.final_figures(lines, rules.AGREED) == {"a": D(960), "b": D(790)}
    assert rules.final_figures(lines, rules.IMPOSED) == {"a": D(1000), "b": D(800)}
    with pytest.raises(ValueError):
        rules.final_figures(lines, rules.ADJUST)


def test_worked_example_gap_closes_in_round_2():
    """North is proposed 1,000,000 and commits 900,000 (10 %), south 800,000 and commits 700,000 (12.5 %):
    the top adjusts to 950,000 and 740,000; north commits 930,000 (2.1 %), south 720,000 (2.7 %): agreed,
    the targets are 930,000 and 720,000."""
    r1 = {"north": Figures(D(1_000_000), D(900_000)), "south": Figures(D(800_000), D(700_000))}
    assert rules.outcome(r1, 1, POLICY) == rules.ADJUST
    r2 = {"north": Figures(D(950_000), D(930_000)), "south": Figures(D(740_000), D(720_000))}
    assert rules.outcome(r2, 2, POLICY) == rules.AGREED
    assert rules.final_figures(r2, rules.AGREED) == {"north": D(930_000), "south": D(720_000)}


def test_worked_example_round_3_the_top_stands():
    r3 = {"north": Figures(D(950_000), D(900_000)), "south": Figures(D(740_000), D(739_000))}
    assert rules.outcome(r3, 3, POLICY) == rules.IMPOSED
    assert rules.final_figures(r3, rules.IMPOSED) == {"north": D(950_000), "south": D(740_000)}


def test_a_configured_policy():
    strict = Policy(max_rounds=2, gap_threshold=D("0.01"))
    lines = {"a": Figures(D(1000), D(980))}
    assert rules.outcome(lines, 1, strict) == rules.ADJUST
    assert rules.outcome(lines, 2, strict) == rules.IMPOSED
    with pytest.raises(ValueError):
        Policy(max_rounds=0)
    with pytest.raises(ValueError):
        Policy(gap_threshold=D(1))


def test_bottom_up_and_mean_of_new_business():
    assert rules.bottom_up(D("100.004"), D("50"), D("25.5")) == D("175.50")
    assert rules.mean_cents((100_00, 200_01)) == D("150.01")  # 150.005 half up
    assert rules.mean_cents(()) == D(0)


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(money, money), min_size=1, max_size=6), st.integers(1, 3))
def test_a_round_always_ends_somewhere_and_the_finals_cover_every_unit(pairs, round_no):
    lines = {i: Figures(p, c) for i, (p, c) in enumerate(pairs)}
    result = rules.outcome(lines, round_no, POLICY)
    if round_no == 3:
        assert result in (rules.AGREED, rules.IMPOSED)
    if result in (rules.AGREED, rules.IMPOSED):
        finals = rules.final_figures(lines, result)
        assert set(finals) == set(lines)
        if result == rules.AGREED:
            assert all(rules.within(f.proposed, finals[k], POLICY.gap_threshold) for k, f in lines.items())
