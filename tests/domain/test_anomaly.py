"""Regional anomalies (METHODOLOGY §8.5): relative deviation from the parent beyond the threshold,
with the direction, exact at the boundary and with a zero parent. No database."""

from decimal import Decimal as D

import pytest

from kadence.domain import anomaly
from kadence.domain.anomaly import Anomaly, Deviation, deviation, find_anomalies

T = D("0.3")


def test_deviation_is_strictly_beyond_the_threshold():
    assert deviation(D("0.35"), D("0.5"), T) is None  # exactly −30 %: not an anomaly
    assert deviation(D("0.65"), D("0.5"), T) is None  # exactly +30 %
    assert deviation(D("0.34"), D("0.5"), T) == Deviation(D("0.34"), D("0.5"), D("-0.32"), "worse")
    assert deviation(D("0.66"), D("0.5"), T) == Deviation(D("0.66"), D("0.5"), D("0.32"), "better")
    assert deviation(D("0.5"), D("0.5"), D(0)) is None
    assert deviation(D("0.51"), D("0.5"), D(0)).relative == D("0.02")


def test_for_the_stall_rate_higher_is_worse():
    assert deviation(D("0.4"), D("0.2"), T, higher_is_better=False) == Deviation(
        D("0.4"), D("0.2"), D(1), "worse"
    )
    assert deviation(D("0.1"), D("0.2"), T, higher_is_better=False).direction == "better"


def test_zero_parent_flags_any_non_zero_sibling_without_a_relative_value():
    assert deviation(D(0), D(0), T) is None
    assert deviation(D("0.01"), D(0), T) == Deviation(D("0.01"), D(0), None, "better")
    assert deviation(D("0.01"), D(0), T, higher_is_better=False) == Deviation(D("0.01"), D(0), None, "worse")


def test_unknown_values_are_never_anomalous():
    assert deviation(None, D("0.5"), T) is None
    assert deviation(D("0.5"), None, T) is None
    assert deviation(None, None, T) is None
    with pytest.raises(ValueError):
        deviation(D(1), D(2), D("-0.1"))


def test_find_anomalies_over_siblings_and_metrics():
    parent = {"win_rate": D("0.25"), "velocity": D(1000), "coverage": D("1.2"), "stall_rate": D("0.2")}
    siblings = {
        "north": {"win_rate": D("0.30"), "velocity": D(1300), "coverage": D("0.6"), "stall_rate": D("0.5")},
        "south": {"win_rate": D("0.10"), "velocity": D(1400), "coverage": None, "stall_rate": D("0.1")},
        "east": {"win_rate": D("0.25")},
    }
    found = find_anomalies(siblings, parent, T)
    assert found == [
        Anomaly("north", "coverage", D("0.6"), D("1.2"), D("-0.5"), "worse"),
        Anomaly("north", "stall_rate", D("0.5"), D("0.2"), D("1.5"), "worse"),
        Anomaly("south", "win_rate", D("0.10"), D("0.25"), D("-0.6"), "worse"),
        Anomaly("south", "velocity", D(1400), D(1000), D("0.4"), "better"),
        Anomaly("south", "stall_rate", D("0.1"), D("0.2"), D("-0.5"), "better"),
    ]
    assert find_anomalies(siblings, parent, T, metrics=[anomaly.WIN_RATE]) == [found[2]]
    assert find_anomalies(siblings, parent, D(2)) == []
    assert find_anomalies({}, parent, T) == []


def test_find_anomalies_with_a_zero_parent_and_unknown_metric():
    parent = {"win_rate": D(0), "stall_rate": D(0), "velocity": None}
    siblings = {1: {"win_rate": D(0), "stall_rate": D("0.25"), "velocity": D(5)}}
    assert find_anomalies(siblings, parent, T) == [Anomaly(1, "stall_rate", D("0.25"), D(0), None, "worse")]
    with pytest.raises(ValueError):
        find_anomalies(siblings, parent, T, metrics=["charm"])
