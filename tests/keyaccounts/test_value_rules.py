"""Worked examples of the value rules (kadence.domain.kam.value) with exact results, and properties."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.kam import value as dv
from kadence.domain.kam.groups import subtree_of


@pytest.mark.parametrize(
    ("revenue", "bp", "cell"),
    [
        ("1200000", "2000000", "R1"),  # SOW 60 %, BP 2M
        ("1000000", "2000000", "D1"),  # SOW exactly 50 % is D
        ("500001", "1000000", "R2"),  # BP exactly 1M is 2
        ("80000", "800000", "D2"),  # SOW exactly 10 % is D
        ("79999", "800000", "A2"),
        ("300000", "500000", "R2"),  # BP exactly 500K is 2
        ("0", "499999.99", "A3"),
        ("100000", "400000", "D3"),
        ("3000000", "1000001", "R1"),  # more revenue than BP: still R
    ],
)
def test_rad_cells_for_given_sow_and_bp(revenue, bp, cell):
    assert dv.rad_cell(D(revenue), D(bp)) == cell


def test_no_cell_without_buying_power():
    assert dv.rad_cell(D(100), None) is None
    assert dv.rad_cell(D(100), D(0)) is None
    assert dv.sow(D(5), None) is None


def test_thresholds_are_configuration():
    t = dv.RadThresholds(sow_high=D("0.3"), sow_low=D("0.05"), bp_high=D(100), bp_low=D(10))
    assert dv.rad_cell(D(40), D(100), t) == "R2"
    assert dv.rad_cell(D(4), D(101), t) == "A1"
    with pytest.raises(ValueError):
        dv.RadThresholds(sow_high=D("0.1"), sow_low=D("0.2"))


def test_abc_classes_for_a_revenue_list():
    values = {1: D(500), 2: D(300), 3: D(100), 4: D(50), 5: D(30), 6: D(20), 7: D(0)}
    rows = dv.abc_classes(values)
    assert [(r.key, r.klass) for r in rows] == [
        (1, "A"),
        (2, "A"),
        (3, "B"),
        (4, "B"),
        (5, "C"),
        (6, "C"),
        (7, "C"),
    ]
    assert [r.cumulative_share for r in rows] == [
        D("0.5"),
        D("0.8"),
        D("0.9"),
        D("0.95"),
        D("0.98"),
        D(1),
        D(1),
    ]
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5, 6, 7]


def test_abc_thresholds_and_ties():
    rows = dv.abc_classes({3: D(10), 1: D(10), 2: D(10)}, dv.AbcThresholds(a=D("0.5"), b=D("0.9")))
    # ties by key; before-shares 0, 1/3, 2/3
    assert [(r.key, r.klass) for r in rows] == [(1, "A"), (2, "A"), (3, "B")]
    assert dv.abc_classes({}) == []
    assert [r.klass for r in dv.abc_classes({1: D(0), 2: D(0)})] == ["C", "C"]


def test_sow_soa_and_remaining_for_a_small_group_tree():
    # 1 (group) → 2, 3; 3 → 4. Won: 1 100K, 4 50K; an open deal at 2. BP: 1 1M, 3 200K, 4 300K, 2 unknown.
    parents = {1: None, 2: 1, 3: 1, 4: 3, 5: None}
    units = subtree_of(1, parents)
    assert units == [1, 2, 3, 4]
    g = dv.group_value(
        units, {1: D(100000), 4: D(50000)}, [2], {1: D(1000000), 2: None, 3: D(200000), 4: D(300000)}
    )
    assert (g.units, g.covered, g.soa) == (4, 3, D("0.75"))
    assert (g.revenue, g.bp, g.sow, g.remaining) == (D(150000), D(1500000), D("0.1"), D(1350000))
    assert subtree_of(3, parents) == [3, 4]
    # an account's own figures
    assert dv.sow(D(50000), D(300000)) == D(50000) / D(300000)
    assert dv.remaining(D(400000), D(300000)) == 0
    assert dv.remaining(D(100000), D(300000)) == D(200000)


def test_a_cycle_in_the_tree_is_cut():
    assert sorted(subtree_of(1, {1: 2, 2: 1})) == [1, 2]


def test_bp_falls_back_on_the_account_field_once():
    assert dv.bp_for_year(D(7), D(9)) == D(7)
    assert dv.bp_for_year(None, D(9)) == D(9)
    assert dv.bp_for_year(None, None) is None


def test_focus_rule():
    assert dv.focus_check(12, 10).flags == ()
    assert dv.focus_check(3, 20).flags == ("few_r", "many_d")
    assert dv.focus_check(16, 9, low=5, high=15).flags == ("many_r",)


def test_coverage_rate():
    assert dv.coverage_rate(4, 3) == D("0.75")
    assert dv.coverage_rate(0, 0) is None


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(money, money)
def test_every_account_with_bp_has_one_of_nine_cells(revenue, bp):
    cell = dv.rad_cell(revenue, bp)
    assert (cell is None) == (bp == 0)
    if cell:
        assert cell in dv.RAD_CELLS
        rest = dv.remaining(revenue, bp)
        assert rest >= 0 and rest + revenue >= bp


@given(st.dictionaries(st.integers(1, 500), money, max_size=60))
def test_abc_classes_are_ordered_and_cover_at_least_the_a_share(values):
    rows = dv.abc_classes(values)
    order = "ABC"
    assert [order.index(r.klass) for r in rows] == sorted(order.index(r.klass) for r in rows)
    total = sum(values.values(), D(0))
    if total > 0:
        a_sum = sum((r.value for r in rows if r.klass == "A"), D(0))
        assert a_sum / total >= D("0.8")
        b_sum = sum((r.value for r in rows if r.klass in "AB"), D(0))
        assert b_sum / total >= D("0.95")
