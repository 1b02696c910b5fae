"""The target grid's pure rules (kadence.domain.grid): the remainder rule and the sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kadence.domain import grid

D = Decimal
money = st.integers(min_value=0, max_value=10**12).map(lambda c: D(c) / 100)
weight = st.one_of(st.integers(min_value=0, max_value=10**9).map(D), money)


def test_spread_equal_parts_gives_the_cents_to_the_first():
    assert grid.spread(D("100.00"), [D(0)] * 3) == [D("33.34"), D("33.33"), D("33.33")]
    assert grid.spread(D("0.02"), [D(0)] * 3) == [D("0.01"), D("0.01"), D("0.00")]


def test_spread_by_weights_largest_remainder():
    # exact shares 33.333…, 66.666… → floors 33.33 / 66.66, the missing cent to the larger remainder
    assert grid.spread(D("100.00"), [D(1), D(2)]) == [D("33.33"), D("66.67")]
    assert grid.spread(D("10.00"), [D("0.5"), D("0.25"), D("0.25")]) == [D("5.00"), D("2.50"), D("2.50")]


def test_spread_refuses_bad_input():
    with pytest.raises(ValueError):
        grid.spread(D("-1"), [D(1)])
    with pytest.raises(ValueError):
        grid.spread(D("1.001"), [D(1)])
    assert grid.spread(D(5), []) == []


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(money, st.lists(weight, min_size=1, max_size=30))
def test_spread_adds_up_exactly_and_follows_the_weights(total, weights):
    parts = grid.spread(total, weights)
    assert sum(parts, D(0)) == total
    assert all(p >= 0 and p == p.quantize(grid.CENT) for p in parts)
    wsum = sum(weights, D(0))
    for p, w in zip(parts, weights, strict=True):
        exact = total * w / wsum if wsum else total / len(weights)
        assert abs(p - exact) < D("0.01") + D("1e-9")  # never more than a cent from its exact share


def test_periods_and_set_period():
    months = [D(10)] * 12
    assert grid.period_value(months, "Q2") == D(30)
    assert grid.period_value(months, "Y") == D(120)
    after = grid.set_period(months, "Q1", D("100.00"))
    assert after[:3] == [D("33.34"), D("33.33"), D("33.33")] and after[3:] == months[3:]
    assert grid.set_period(grid.zeros(), "Y", D("1200.00")) == [D("100.00")] * 12
    rate = grid.set_period(months, "Q4", D("5.5"), additive=False)
    assert rate[9:] == [D("5.5")] * 3 and grid.period_value(rate, "Y", additive=False) == D(
        "8.88"
    )  # 106.5 ÷ 12 = 8.875


@st.composite
def trees(draw):
    """A random organisation tree: {node: parent}, node 0 the root, parents before children."""
    n = draw(st.integers(min_value=1, max_value=25))
    parents: dict[int, int | None] = {0: None}
    for node in range(1, n):
        parents[node] = draw(st.integers(min_value=0, max_value=node - 1))
    rows = {node: draw(st.lists(money, min_size=12, max_size=12)) for node in parents}
    return parents, rows


edits = st.lists(
    st.tuples(st.integers(min_value=0, max_value=24), st.sampled_from(grid.PERIOD_ORDER), money), max_size=10
)


def _apply(rows, node, period, amount):
    if node in rows:
        rows[node] = grid.set_period(rows[node], period, amount)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), edits)
def test_any_edit_then_spread_down_balances_every_level(tree_rows, changes):
    parents, rows = tree_rows
    tree = grid.children_of(parents)
    for node, period, amount in changes:
        _apply(rows, node, period, amount)
    year = grid.period_value(rows[0], "Y")
    rows.update(grid.spread_down(tree, rows, 0))
    assert grid.unbalanced(tree, rows) == []
    assert grid.period_value(rows[0], "Y") == year  # the top's figure stands


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), edits)
def test_any_edit_then_roll_up_balances_every_level(tree_rows, changes):
    parents, rows = tree_rows
    tree = grid.children_of(parents)
    rows.update(grid.roll_up(tree, rows, 0))
    for node, period, amount in changes:
        _apply(rows, node, period, amount)
        rows.update(grid.roll_up(tree, rows, node, parents))
        assert grid.unbalanced(tree, rows) == []  # after each edit, not only at the end
    leaves = [n for n, kids in tree.items() if not kids]
    assert grid.period_value(rows[0], "Y") == sum((grid.period_value(rows[n], "Y") for n in leaves), D(0))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_gaps_are_parent_minus_children(tree_rows):
    parents, rows = tree_rows
    tree = grid.children_of(parents)
    for node, gap in grid.gaps(tree, rows).items():
        for m in range(12):
            assert gap[m] == rows[node][m] - sum((rows[k][m] for k in tree[node]), D(0))
