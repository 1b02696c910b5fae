"""Peer outliers (kadence.domain.outliers): worked examples with exact numbers."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import outliers as ol

D = Decimal
RULES = ol.Rules(z_threshold=D("2"), iqr_factor=D("1.5"), min_peers=4)


def test_quantiles_interpolate():
    values = [D(1), D(2), D(3), D(4)]
    assert ol.quantile(values, D("0.25")) == D("1.75")
    assert ol.quantile(values, D("0.5")) == D("2.5")
    assert ol.quantile(values, D("0.75")) == D("3.25")
    assert ol.quantile([D(7)], D("0.25")) == D(7)


def test_mean_and_population_sd():
    assert ol.mean([D(2), D(4), D(4), D(4), D(5), D(5), D(7), D(9)]) == D(5)
    assert ol.std_dev([D(2), D(4), D(4), D(4), D(5), D(5), D(7), D(9)]) == D(2)
    assert ol.std_dev([]) == D(0)


def test_one_region_far_below_by_iqr_only():
    # attainment of five regions: 0.90 0.95 1.00 1.05 and 0.20
    values = {"a": D("0.90"), "b": D("0.95"), "c": D("1.00"), "d": D("1.05"), "e": D("0.20")}
    found = ol.outliers(values, RULES)
    assert [o.key for o in found] == ["e"]
    e = found[0]
    # Q1 0.90, Q3 1.00, IQR 0.10 → fences 0.75 … 1.15; mean 0.82, sd √0.0986 = 0.3140… → z = −1.97 (< 2: not by z)
    assert (e.low_fence, e.high_fence, e.mean, e.z) == (D("0.75"), D("1.15"), D("0.82"), D("-1.97"))
    assert e.by_iqr and not e.by_z and e.side == "low"


def test_z_rule_with_enough_peers():
    values = {i: D(1) for i in range(9)} | {"x": D(10)}
    found = ol.outliers(values, RULES)
    # mean 1.9, sd 2.7 → z of x = 3.00; IQR 0: every value but 1 is outside the fences
    assert [(o.key, o.z, o.by_z, o.by_iqr) for o in found] == [("x", D("3.00"), True, True)]


def test_too_few_peers_or_all_equal():
    assert ol.outliers({"a": D(1), "b": D(100), "c": None}, RULES) == []
    assert ol.outliers({k: D(5) for k in "abcdef"}, RULES) == []


def test_coverage_drop():
    assert ol.coverage_drop(D("0.60"), D("0.50"), D("0.10")) == D("0.17")
    assert ol.coverage_drop(D("0.60"), D("0.50"), D("0.20")) is None
    assert ol.coverage_drop(None, D("0.50"), D("0.10")) is None
    assert ol.coverage_drop(D(0), D(0), D("0.10")) is None
    assert ol.coverage_drop(D(1), None, D("0.10")) is None
    assert ol.coverage_drop(D(2), D(0), D("0.5")) == D("1.00")


@given(st.lists(st.decimals(min_value=-1000, max_value=1000, places=2), min_size=4, max_size=30))
def test_z_never_exceeds_the_bound(values):
    """With n peers |z| ≤ √(n − 1): the docstring's reason a threshold needs enough peers."""
    keyed = dict(enumerate(values))
    n = len(values)
    bound = D(n - 1).sqrt()
    for o in ol.outliers(keyed, ol.Rules(D(0), D("1.5"), 1)):
        assert o.z is None or abs(o.z) <= bound + D("0.01")
