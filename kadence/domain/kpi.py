"""KPI scoring (绩效考核, METHODOLOGY §10.6, seed 000): a KPI's actual against its target through a
scoring curve → a score 0–100; the weighted total of a scorecard; the grade of a total from bands.

Pure: plain Decimals in, Decimals out. Every score is rounded once, half up to 0.01, so that a card
recomputed from its stored inputs gives exactly the stored figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from kadence.domain.forecast import forecast_error

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

Curve = Literal["linear", "threshold", "floor"]
CURVES: tuple[Curve, ...] = ("linear", "threshold", "floor")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(actual: Decimal, target: Decimal, *, lower_is_better: bool = False) -> Decimal | None:
    """How far the actual goes towards the target, as a fraction (1 = on target).

    Higher is better: actual ÷ target. Lower is better (an expense ratio): target ÷ actual, and an
    actual of 0 or less is on target or better (1 when the target is 0 too, else the target is met
    with nothing spent: also 1, since a score never exceeds 100). A target of 0 or less for a
    higher-is-better KPI has no ratio (None: the KPI is not scored)."""
    if lower_is_better:
        if actual <= 0:
            return Decimal(1)
        return max(target, ZERO) / actual
    if target <= 0:
        return None
    return actual / target


def score(
    curve: str,
    actual: Decimal | None,
    target: Decimal,
    *,
    floor: Decimal = ZERO,
    lower_is_better: bool = False,
) -> Decimal | None:
    """The score 0–100 of one KPI (None when it cannot be scored: no actual, or no ratio):

    - `linear`: ratio × 100, capped at 100 (over-achievement earns no more than the KPI's weight);
    - `threshold`: 100 when the target is met (ratio ≥ 1), else 0;
    - `floor`: 0 below `floor` (a percentage of the target, e.g. 60), then linear from 0 at the floor
      to 100 at the target, capped at 100. A floor of 100 or more acts as a threshold.
    Negative ratios (a negative growth) score 0."""
    if actual is None:
        return None
    r = ratio(actual, target, lower_is_better=lower_is_better)
    if r is None:
        return None
    if curve == "threshold":
        return HUNDRED if r >= 1 else ZERO
    if curve == "floor":
        start = floor / HUNDRED
        if r >= 1:
            return HUNDRED
        if start >= 1 or r < start:
            return ZERO
        return round2((r - start) / (1 - start) * HUNDRED)
    if curve == "linear":
        return round2(min(max(r, ZERO), Decimal(1)) * HUNDRED)
    raise ValueError(f"unknown curve {curve!r}")


@dataclass(frozen=True)
class Weighted:
    weight: Decimal
    score: Decimal | None


def weighted_total(items: Iterable[Weighted]) -> Decimal | None:
    """Σ weight × score ÷ Σ weight over the scored KPIs (an unscored KPI's weight is left out, so the
    others count in proportion), rounded to 0.01. None when nothing weighted is scored."""
    num = ZERO
    den = ZERO
    for item in items:
        if item.score is None or item.weight <= 0:
            continue
        num += item.weight * item.score
        den += item.weight
    if den == 0:
        return None
    return round2(num / den)


def weighted_points(weight: Decimal, score: Decimal | None, total_weight: Decimal) -> Decimal | None:
    """What one KPI adds to the total: weight × score ÷ the scored weights' sum (shown on the card)."""
    if score is None or total_weight <= 0:
        return None
    return round2(weight * score / total_weight)


@dataclass(frozen=True)
class Band:
    """A grade: totals at or above `min_score` (and below the next band's) get `code`."""

    code: str
    min_score: Decimal


def grade(total: Decimal | None, bands: Sequence[Band]) -> str:
    """The code of the highest band whose minimum the total reaches; "" for no total or no band."""
    if total is None:
        return ""
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if total >= band.min_score:
            return band.code
    return ""


def annual_score(totals: Iterable[Decimal | None]) -> Decimal | None:
    """The year's score: the mean of its scored period totals (the seed ranks the year on the months'
    and quarters' results), rounded to 0.01; None when no period was scored."""
    scored = [t for t in totals if t is not None]
    if not scored:
        return None
    return round2(sum(scored, ZERO) / len(scored))


def pct(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator ÷ denominator × 100 rounded to 0.01; None when the denominator is 0 or less."""
    if denominator <= 0:
        return None
    return round2(numerator * HUNDRED / denominator)


def growth(current: Decimal, previous: Decimal) -> Decimal | None:
    """(current − previous) ÷ previous, unrounded: the one growth rule (the KPI's, the importance score's,
    the account plan's); None when the previous period had nothing (growth from nothing is not a rate)."""
    if previous <= 0:
        return None
    return (current - previous) / previous


def growth_pct(current: Decimal, previous: Decimal) -> Decimal | None:
    """growth × 100, rounded to 0.01."""
    rate = growth(current, previous)
    return None if rate is None else round2(rate * HUNDRED)


def forecast_accuracy_pct(forecast: Decimal | None, actual: Decimal) -> Decimal | None:
    """Forecast accuracy = 100 − |forecast error| × 100, floored at 0, rounded to 0.01, the error as
    kadence.domain.forecast.forecast_error: None without a forecast or when the error is undefined
    (an actual of 0 with something forecast); 100 when both are 0."""
    if forecast is None:
        return None
    error = forecast_error(forecast, actual)
    if error is None:
        return None
    return round2(max(ZERO, HUNDRED - abs(error) * HUNDRED))


@dataclass(frozen=True)
class Line:
    """One KPI of a card as scored: its definition's figures and the actual."""

    weight: Decimal
    target: Decimal
    curve: str
    floor: Decimal
    lower_is_better: bool
    actual: Decimal | None


@dataclass(frozen=True)
class CardScore:
    """A card's scores and points per line (in the lines' order), total and grade."""

    scores: tuple[Decimal | None, ...]
    points: tuple[Decimal | None, ...]
    total: Decimal | None
    grade: str


def score_card(lines: Sequence[Line], bands: Sequence[Band]) -> CardScore:
    """Score every line, the weighted total and its grade: the one computation a stored card is
    made with and recomputed with."""
    scores = tuple(
        score(x.curve, x.actual, x.target, floor=x.floor, lower_is_better=x.lower_is_better) for x in lines
    )
    total = weighted_total(Weighted(x.weight, s) for x, s in zip(lines, scores, strict=True))
    scored_weight = sum(
        (x.weight for x, s in zip(lines, scores, strict=True) if s is not None and x.weight > 0), ZERO
    )
    points = tuple(
        weighted_points(x.weight, s, scored_weight) if x.weight > 0 else None
        for x, s in zip(lines, scores, strict=True)
    )
    return CardScore(scores, points, total, grade(total, bands))
