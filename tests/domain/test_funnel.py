"""Funnel math (METHODOLOGY §8.3, §8.4) with the worked examples' exact numbers. No database."""

from decimal import Decimal as D

import pytest

from kadence.domain import funnel
from kadence.domain.funnel import StageSpec

LADDER = [
    StageSpec("I", D("0.10"), D("1.5")),
    StageSpec("C", D("0.25"), D("1.5")),
    StageSpec("Q", D("0.50"), D(1)),
    StageSpec("D", D("0.75"), D(1)),
    StageSpec("C90", D("0.90"), D("0.5")),
]


def test_task_method_worked_example():
    result = funnel.ideal_funnel_task(D(900), D(100), LADDER)
    assert result == {"I": D(90), "C": D(36), "Q": D(18), "D": D(12), "C90": D(10)}


def test_cycle_method_worked_example_and_littles_law_check():
    T, A, P = D(1200), D(100), D(12)
    result = funnel.ideal_funnel_cycle(T, A, P, LADDER)
    assert result.wins_per_unit == 1
    rounded = {k: v.quantize(D("0.01")) for k, v in result.wip.items()}
    assert rounded == {"I": D("15.00"), "C": D("6.00"), "Q": D("2.00"), "D": D("1.33"), "C90": D("0.56")}
    assert result.lead_time == D("5.5")
    check = sum(result.wip[s.code] * A * s.probability for s in LADDER)
    assert check.quantize(D("0.000001")) == ((T / P) * result.lead_time).quantize(D("0.000001"))


def test_wins_needed_rounds_up_and_rejects_zero_deal_size():
    assert funnel.wins_needed(D(901), D(100)) == 10
    assert funnel.wins_needed(D(0), D(100)) == 0
    with pytest.raises(ValueError):
        funnel.wins_needed(D(900), D(0))


def test_comparison_flags_shortfall_congestion_dry_top_and_jam():
    ideal = {"I": D(90), "C": D(36), "Q": D(18), "D": D(12), "C90": D(10)}
    actual = {"I": D(40), "C": D(20), "Q": D(30), "D": D(5), "C90": D(10)}
    rows, findings = funnel.compare_funnels(actual, ideal, ["I", "C", "Q", "D", "C90"])
    assert [r.status for r in rows] == ["shortfall", "shortfall", "congestion", "shortfall", "ok"]
    assert findings == ["dry_top", "jammed_middle"]


def test_rates_and_velocity_handle_zero_denominators():
    assert funnel.win_rate(0, 0) is None
    assert funnel.win_rate(3, 1) == D("0.75")
    assert funnel.sales_velocity(10, D("0.25"), D(100), D(50)) == D(5)
    assert funnel.sales_velocity(10, None, D(100), D(50)) is None
    assert funnel.sales_velocity(10, D("0.25"), D(100), D(0)) is None


def test_weighted_amount_is_exact():
    assert funnel.weighted_amount(D(100), D(50)) + funnel.weighted_amount(D(200), D(25)) == D(100)
    assert funnel.weighted_amount(D("1234567"), D(25)) == D("308641.75")  # never truncated
    assert funnel.weighted_amount(D("999999999999.99"), D("33.33")) == D("333299999999.996667")


def test_littles_law_check_both_sides_and_the_rounding_note():
    T, A, P = D(1200), D(100), D(12)
    cycle = funnel.ideal_funnel_cycle(T, A, P, LADDER)
    left, right = funnel.littles_law_check(cycle, T, A, P, LADDER)
    assert right == D("550")  # 100 a month × 5.5 months
    assert left.quantize(D("0.000001")) == right.quantize(D("0.000001"))
    # T not a multiple of A: 12.5 wins round up to 13, the left side is 13 × 100 ÷ 12 × 5.5
    cycle = funnel.ideal_funnel_cycle(D(1250), A, P, LADDER)
    left, right = funnel.littles_law_check(cycle, D(1250), A, P, LADDER)
    assert right.quantize(D("0.01")) == D("572.92")
    assert left.quantize(D("0.01")) == D("595.83")
    with pytest.raises(ValueError):
        funnel.littles_law_check(cycle, T, A, D(0), LADDER)


def test_days_to_months_uses_thirty_day_months():
    assert [funnel.days_to_months(D(d)) for d in (45, 30, 15)] == [D("1.5"), D(1), D("0.5")]
