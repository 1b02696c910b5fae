"""C139 (METHODOLOGY §3), exact worked examples. No database."""

from decimal import Decimal

import pytest

from kadence.domain import c139
from kadence.domain.c139 import parse_score


def statuses(clear: int, first: int, win: str = "unknown") -> dict[str, str]:
    result = {f"C{i}": ("confirmed" if i <= clear else "unknown") for i in range(1, 10)}
    result.update({f"F{i}": ("confirmed" if i <= first else "unknown") for i in range(1, 4)})
    result["W1"] = win
    return result


def test_worked_example_8c1f0w_meets_the_rule_and_9c0f0w_does_not():
    rule = parse_score("8C1F0W")
    a = c139.score(statuses(8, 1))
    b = c139.score(statuses(9, 0))
    assert str(a) == "8C1F0W" and str(b) == "9C0F0W"
    assert a.at_least(rule) is True
    assert b.at_least(rule) is False  # more Clears do not make up for a missing First
    assert c139.band(a).code == "rule_met" and c139.band(a).low == Decimal(60)
    assert c139.band(b).code == "developing" and (c139.band(b).low, c139.band(b).high) == (25, 50)


@pytest.mark.parametrize(
    ("clear", "first", "win", "expected"),
    [
        (9, 3, "negative", "against"),
        (3, 0, "confirmed", "win"),
        (9, 3, "unknown", "rule_met"),
        (6, 0, "unknown", "developing"),
        (5, 3, "unknown", "early"),
        (0, 0, "negative", "against"),
    ],
)
def test_bands(clear, first, win, expected):
    assert c139.band(c139.score(statuses(clear, first, win))).code == expected


def test_parse_rejects_bad_text():
    for text in ("", "8C1F", "10C1F0W", "8C4F0W", "abc"):
        with pytest.raises(ValueError):
            parse_score(text)
    with pytest.raises(ValueError):
        c139.score({"C10": "confirmed"})
