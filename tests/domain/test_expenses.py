"""The expense flow (METHODOLOGY §6): budget use, states at the thresholds' exact boundaries, the
zero-budget rule, the totals and the cost of sale. No database."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import expenses
from kadence.domain.expenses import CategoryAmounts, Thresholds

T = Thresholds(D(80), D(100))


@pytest.mark.parametrize(
    "spent, state, pct",
    [
        (D("0"), "ok", D("0.0")),
        (D("7999.99"), "ok", D("79.9")),
        (D("8000"), "warn", D("80.0")),  # exactly 80 % is a warning
        (D("8000.01"), "warn", D("80.0")),
        (D("9999.99"), "warn", D("99.9")),
        (D("10000"), "over", D("100.0")),  # exactly 100 % is over
        (D("12500"), "over", D("125.0")),
    ],
)
def test_states_at_the_boundaries(spent, state, pct):
    line = expenses.usage(D("10000"), spent, T)
    assert line.state == state
    assert line.used_pct == pct
    assert line.remaining == D("10000") - spent


def test_percentage_rounds_down_so_it_agrees_with_the_state():
    line = expenses.usage(D("10000"), D("7999.60"), T)
    assert line.used_pct == D("79.9") and line.state == "ok"


def test_zero_budget_rule():
    assert expenses.usage(D(0), D(0), T) == expenses.Usage(D(0), D(0), D(0), None, "none")
    spent = expenses.usage(D(0), D("0.01"), T)
    assert spent.state == "over" and spent.used_pct is None and spent.remaining == D("-0.01")


def test_thresholds_are_parameters():
    strict = Thresholds(D(50), D(90))
    assert expenses.state_of(D(1000), D(499), strict) == "ok"
    assert expenses.state_of(D(1000), D(500), strict) == "warn"
    assert expenses.state_of(D(1000), D(900), strict) == "over"
    assert expenses.state_of(D(1000), D(900), T) == "warn"


def test_summary_per_category_and_total():
    result = expenses.summary(
        [
            CategoryAmounts("travel", D(10000), D(8500)),
            CategoryAmounts("entertainment", D(5000), D(1000)),
            CategoryAmounts("demo", D(0), D(300)),
            CategoryAmounts("bidding", D(0), D(0)),
        ],
        T,
    )
    assert [(c.code, c.usage.state, c.usage.used_pct) for c in result.categories] == [
        ("travel", "warn", D("85.0")),
        ("entertainment", "ok", D("20.0")),
        ("demo", "over", None),
        ("bidding", "none", None),
    ]
    assert result.total == expenses.Usage(D(15000), D(9800), D(5200), D("65.3"), "ok")
    assert result.category("travel").spent == D(8500) and result.category("missing") is None


def test_empty_summary_has_no_budget():
    result = expenses.summary([], T)
    assert result.categories == () and result.total.state == "none" and result.total.budget == 0


@pytest.mark.parametrize(
    "before, after, expected",
    [
        ("ok", "warn", True),
        ("ok", "over", True),
        ("warn", "over", True),
        ("none", "over", True),
        ("ok", "ok", False),
        ("warn", "warn", False),
        ("over", "over", False),
        ("over", "warn", False),
        ("none", "ok", False),
    ],
)
def test_crossed(before, after, expected):
    assert expenses.crossed(before, after) is expected


def test_cost_of_sale():
    assert expenses.cost_of_sale_pct(D(36000), D(1200000)) == D("3.00")
    assert expenses.cost_of_sale_pct(D(1), D(3)) == D("33.33")
    assert expenses.cost_of_sale_pct(D(2), D(3)) == D("66.67")
    assert expenses.cost_of_sale_pct(D(0), D(500000)) == D("0.00")
    assert expenses.cost_of_sale_pct(D(5000), D(0)) is None
    assert expenses.cost_of_sale_pct(D(0), D(0)) is None


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(budget=money, a=money, b=money)
def test_state_never_falls_as_spend_grows(budget, a, b):
    low, high = sorted((a, b))
    order = {"none": 0, "ok": 0, "warn": 1, "over": 2}
    assert order[expenses.state_of(budget, low, T)] <= order[expenses.state_of(budget, high, T)]
