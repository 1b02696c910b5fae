"""C139 deal assessment (METHODOLOGY §3): 9 Clear, 3 First, 1 Win items, the `xCyFzW` result,
the "8C1F0W or better" rule and the win-probability band. Pure: plain data in, plain data out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

CLEAR_ITEMS = tuple(f"C{i}" for i in range(1, 10))
FIRST_ITEMS = ("F1", "F2", "F3")
WIN_ITEMS = ("W1",)
ITEMS = CLEAR_ITEMS + FIRST_ITEMS + WIN_ITEMS


class ItemStatus(StrEnum):
    """Per item: confirmed / unknown / negative. For W1 "for" is `confirmed`, "against" is `negative`."""

    CONFIRMED = "confirmed"
    UNKNOWN = "unknown"
    NEGATIVE = "negative"


@dataclass(frozen=True, order=True)
class C139Score:
    """Counts of confirmed items per tier: `clear` of 9, `first` of 3, `win` of 1; `win_against`
    is true when W1 is negative (the top decision maker is against us)."""

    clear: int
    first: int
    win: int
    win_against: bool = False

    def __str__(self) -> str:
        return f"{self.clear}C{self.first}F{self.win}W"

    def at_least(self, other: C139Score) -> bool:
        """ "Or better" = at least as high on every tier (a partial order: 9C0F0W is not ≥ 8C1F0W)."""
        return self.clear >= other.clear and self.first >= other.first and self.win >= other.win


_PATTERN = re.compile(r"^\s*(\d)\s*C\s*(\d)\s*F\s*(\d)\s*W\s*$", re.IGNORECASE)


def parse_score(text: str) -> C139Score:
    """Parse "8C1F0W" into a score; ValueError when malformed or out of range."""
    match = _PATTERN.match(text or "")
    if not match:
        raise ValueError(f"not a C139 result: {text!r} (expected e.g. 8C1F0W)")
    clear, first, win = (int(g) for g in match.groups())
    if clear > len(CLEAR_ITEMS) or first > len(FIRST_ITEMS) or win > len(WIN_ITEMS):
        raise ValueError(f"C139 result out of range: {text!r}")
    return C139Score(clear, first, win)


def score(statuses: dict[str, str | ItemStatus]) -> C139Score:
    """Count confirmed items per tier. Items missing from `statuses` count as unknown; unknown item
    codes raise ValueError."""
    unknown = set(statuses) - set(ITEMS)
    if unknown:
        raise ValueError(f"unknown C139 items: {sorted(unknown)}")

    def confirmed(items: tuple[str, ...]) -> int:
        return sum(
            1 for i in items if ItemStatus(statuses.get(i, ItemStatus.UNKNOWN)) is ItemStatus.CONFIRMED
        )

    against = ItemStatus(statuses.get("W1", ItemStatus.UNKNOWN)) is ItemStatus.NEGATIVE
    return C139Score(confirmed(CLEAR_ITEMS), confirmed(FIRST_ITEMS), confirmed(WIN_ITEMS), against)


@dataclass(frozen=True)
class Band:
    """A probability band of the shipped defaults (§3): a code, bounds in percent and its rule."""

    code: str
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class BandRules:
    """The configurable band thresholds; defaults are METHODOLOGY §3."""

    rule: C139Score = C139Score(8, 1, 0)
    min_clear_mid: int = 6
    against: Band = Band("against", Decimal(0), Decimal(10))
    win: Band = Band("win", Decimal(90), Decimal(100))
    rule_met: Band = Band("rule_met", Decimal(60), Decimal(90))
    developing: Band = Band("developing", Decimal(25), Decimal(50))
    early: Band = Band("early", Decimal(0), Decimal(25))


def band(result: C139Score, rules: BandRules = BandRules()) -> Band:
    """The win-probability band of a result. First match wins: W1 against → ≤10%; W = 1 → ≥90%;
    rule met (≥ 8C1F0W) → ≥60%; C ≥ 6 → 25–50%; else < 25%."""
    if result.win_against:
        return rules.against
    if result.win >= 1:
        return rules.win
    if result.at_least(rules.rule):
        return rules.rule_met
    if result.clear >= rules.min_clear_mid:
        return rules.developing
    return rules.early


# The tier of each item code: "clear", "first" or "win".
TIERS = {
    **dict.fromkeys(CLEAR_ITEMS, "clear"),
    **dict.fromkeys(FIRST_ITEMS, "first"),
    **dict.fromkeys(WIN_ITEMS, "win"),
}


def band_rules(rule: str, min_clear_mid: int) -> BandRules:
    """BandRules from the policy's values ("8C1F0W", 6); ValueError when the rule is malformed."""
    if min_clear_mid < 0 or min_clear_mid > len(CLEAR_ITEMS):
        raise ValueError(f"min_clear_mid out of range: {min_clear_mid}")
    return BandRules(rule=parse_score(rule), min_clear_mid=min_clear_mid)


def band_label(code: str, low: Decimal, high: Decimal) -> str:
    """How a band reads (§3): "≤ 10%" (W1 against), "≥ 90%" (W = 1), "≥ 60%" (rule met),
    "25–50%" (developing), "< 25%" (early); an unknown code reads "low–high%"."""

    def pct(value: Decimal) -> str:
        return f"{value.normalize():f}%"

    if code == "against":
        return f"≤ {pct(high)}"
    if code in ("win", "rule_met"):
        return f"≥ {pct(low)}"
    if code == "early":
        return f"< {pct(high)}"
    return f"{low.normalize():f}–{pct(high)}"
