"""Key-account importance, the five types of important customer and the customer satisfaction index
(seed 003, METHODOLOGY §11.5–11.7). Pure rules: numbers in, numbers out.

**Importance score.** Nine criteria, each scored 1–5, weighted (defaults: sales 20, profit 15, growth 15,
share 10, competitive importance 10, market position 10, industry influence 10, loyalty 5, continuity 5;
the weights add to 100):

    score = Σ weightᵢ × scoreᵢ / 5          (0–100; all 5s give 100, all 1s give 20)

A criterion without a score (the owner has not entered it, or the data cannot give it: no buying power,
nothing won the year before) is left out and the others are rescaled to 100:

    score = Σ weightᵢ × scoreᵢ / (5 × Σ weightᵢ) × 100     over the scored criteria

(the same as the first formula when every criterion is scored). Rounded half-up to 0.01. Nothing scored
gives no score.

**Bands.** A computed criterion's value becomes a score by four ascending thresholds (t₂, t₃, t₄, t₅):
value ≥ t₅ → 5, ≥ t₄ → 4, ≥ t₃ → 3, ≥ t₂ → 2, else 1.

**CSI.** A survey answers each question 1–5; each question has a weight:

    CSI = (Σ wₖ × aₖ / Σ wₖ − 1) / 4 × 100      (the weighted mean scaled: all 1s → 0, all 5s → 100)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kadence.domain import kpi
from kadence.domain.kam import value

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)

SALES, PROFIT, GROWTH, SHARE = "sales", "profit", "growth", "share"
COMPETITIVE, MARKET, INFLUENCE = "competitive", "market_position", "industry_influence"
LOYALTY, CONTINUITY = "loyalty", "continuity"

CRITERIA: tuple[str, ...] = (
    SALES,
    PROFIT,
    GROWTH,
    SHARE,
    COMPETITIVE,
    MARKET,
    INFLUENCE,
    LOYALTY,
    CONTINUITY,
)
DEFAULT_WEIGHTS: dict[str, int] = {
    SALES: 20,
    PROFIT: 15,
    GROWTH: 15,
    SHARE: 10,
    COMPETITIVE: 10,
    MARKET: 10,
    INFLUENCE: 10,
    LOYALTY: 5,
    CONTINUITY: 5,
}
COMPUTED: tuple[str, ...] = (SALES, GROWTH, SHARE, LOYALTY, CONTINUITY)
"""Criteria Kadence computes from its data; the others the owner enters."""
ENTERED: tuple[str, ...] = (PROFIT, COMPETITIVE, MARKET, INFLUENCE)

DEFAULT_BANDS: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {
    # our won revenue over the last 12 months (money)
    SALES: (Decimal(100_000), Decimal(500_000), Decimal(1_000_000), Decimal(5_000_000)),
    # growth of that revenue over the 12 months before, in %
    GROWTH: (Decimal(0), Decimal(10), Decimal(25), Decimal(50)),
    # share of wallet: that revenue ÷ buying power, in %
    SHARE: (Decimal(10), Decimal(25), Decimal(50), Decimal(75)),
    # years since the first won deal
    LOYALTY: (Decimal(1), Decimal(3), Decimal(5), Decimal(10)),
    # consecutive calendar years with a won deal, up to this year (or last year)
    CONTINUITY: (Decimal(2), Decimal(3), Decimal(4), Decimal(5)),
}


class RuleError(ValueError):
    """Configuration or input that breaks a rule (weights not adding to 100, a score outside 1–5…)."""


def _round(value: Decimal, step: Decimal = CENT) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def check_weights(weights: Mapping[str, int]) -> None:
    """The weights name exactly the nine criteria, each 0–100, adding to 100."""
    if set(weights) != set(CRITERIA):
        raise RuleError("weights must name the nine criteria")
    if any(not isinstance(w, int) or isinstance(w, bool) or not 0 <= w <= 100 for w in weights.values()):
        raise RuleError("each weight is a whole number from 0 to 100")
    if sum(weights.values()) != 100:
        raise RuleError("the weights add to 100")


def check_bands(bands: Sequence[Decimal]) -> None:
    """Four thresholds, ascending (equal neighbours allowed)."""
    if len(bands) != 4:
        raise RuleError("four thresholds")
    if any(a > b for a, b in zip(bands, bands[1:], strict=False)):
        raise RuleError("thresholds ascend")


def band_score(value: Decimal | None, bands: Sequence[Decimal]) -> int | None:
    """The 1–5 score of a value by its thresholds (t₂, t₃, t₄, t₅); None for no value."""
    if value is None:
        return None
    score = 1
    for n, threshold in enumerate(bands, start=2):
        if value >= threshold:
            score = n
    return score


def importance_score(weights: Mapping[str, int], scores: Mapping[str, int | None]) -> Decimal | None:
    """Σ weight × score / (5 × Σ weight of the scored criteria) × 100, to 0.01; None when nothing with a
    weight is scored. Scores are 1–5 (RuleError otherwise)."""
    total = Decimal(0)
    weight = 0
    for code, w in weights.items():
        s = scores.get(code)
        if s is None:
            continue
        if isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= 5:
            raise RuleError("scores are 1 to 5")
        total += Decimal(w) * s
        weight += w
    if weight == 0:
        return None
    return _round(total * HUNDRED / (5 * weight))


# --- the values Kadence computes --------------------------------------------------------------------


def growth_pct(this_year: Decimal, last_year: Decimal) -> Decimal | None:
    """(this − last) ÷ last × 100 (kadence.domain.kpi.growth, the one growth rule), to 0.1; None when
    nothing was won in the year before (no base)."""
    rate = kpi.growth(this_year, last_year)
    return None if rate is None else _round(rate * HUNDRED, TENTH)


def share_pct(revenue: Decimal, buying_power: Decimal | None) -> Decimal | None:
    """Share of wallet (kadence.domain.kam.value.sow, the one SOW rule) × 100, to 0.1; None without a
    buying power."""
    share = value.sow(revenue, buying_power)
    return None if share is None else _round(share * HUNDRED, TENTH)


def years_as_customer(first_won: date | None, as_of: date) -> Decimal:
    """Years from the first won deal to `as_of`, to 0.1 (365.25 days a year); 0 when nothing was won."""
    if first_won is None or first_won > as_of:
        return Decimal(0)
    return _round(Decimal((as_of - first_won).days) / Decimal("365.25"), TENTH)


def consecutive_years(won_years: set[int] | frozenset[int], as_of: date) -> int:
    """Calendar years in a row with a won deal, ending this year — or last year when nothing is won yet
    this year (the year is not over)."""
    year = as_of.year if as_of.year in won_years else as_of.year - 1
    run = 0
    while year in won_years:
        run += 1
        year -= 1
    return run


# --- the five types ----------------------------------------------------------------------------------

PROFIT_CONTRIBUTOR = "profit"
BRAND_PROBLEM = "brand_problem"
LOYAL = "loyal"
SMALL_GROWTH = "small_growth"
NEW = "new"
TYPES: tuple[str, ...] = (PROFIT_CONTRIBUTOR, BRAND_PROBLEM, LOYAL, SMALL_GROWTH, NEW)


@dataclass(frozen=True)
class TypeRules:
    """The thresholds of the type rules (configuration; these are the defaults)."""

    profit_min_profit: int = 4  # profit contributor: profit score ≥ this …
    profit_min_sales: int = 3  # … and sales score ≥ this
    brand_min_influence: int = 4  # problem customer kept for the brand: market position or influence ≥ this …
    brand_max_profit: int = 2  # … and profit score ≤ this
    loyal_min_years: Decimal = Decimal(5)  # loyal long-time customer: years as customer ≥ this …
    loyal_min_continuity: int = 3  # … and continuity (consecutive years) ≥ this
    small_max_sales: int = 2  # small customer with growth potential: sales score ≤ this …
    small_min_growth: int = 4  # … and growth score ≥ this
    new_max_months: int = 12  # new customer: first won deal at most this many months ago, or none yet


@dataclass(frozen=True)
class TypeFacts:
    """What the type rules read of an account: criterion scores (None = not scored) and its history."""

    scores: Mapping[str, int | None]
    years: Decimal
    continuity: int
    first_won: date | None
    as_of: date


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def customer_type(facts: TypeFacts, rules: TypeRules = TypeRules()) -> str | None:
    """The first type whose rule holds, in this order: profit contributor, brand-maintaining problem
    customer, loyal long-time customer, small customer with growth potential, new customer; None when
    none holds. A missing score never satisfies a rule."""
    s = facts.scores

    def at_least(code: str, n: int) -> bool:
        value = s.get(code)
        return value is not None and value >= n

    def at_most(code: str, n: int) -> bool:
        value = s.get(code)
        return value is not None and value <= n

    if at_least(PROFIT, rules.profit_min_profit) and at_least(SALES, rules.profit_min_sales):
        return PROFIT_CONTRIBUTOR
    if (
        at_least(MARKET, rules.brand_min_influence) or at_least(INFLUENCE, rules.brand_min_influence)
    ) and at_most(PROFIT, rules.brand_max_profit):
        return BRAND_PROBLEM
    if facts.years >= rules.loyal_min_years and facts.continuity >= rules.loyal_min_continuity:
        return LOYAL
    if at_most(SALES, rules.small_max_sales) and at_least(GROWTH, rules.small_min_growth):
        return SMALL_GROWTH
    if facts.first_won is None or _months_between(facts.first_won, facts.as_of) < rules.new_max_months:
        return NEW
    return None


# --- customer satisfaction index ----------------------------------------------------------------------


def csi(answers: Sequence[tuple[Decimal | int, int]]) -> Decimal:
    """(weighted mean of the 1–5 answers − 1) ÷ 4 × 100, to 0.01, from (weight, answer) pairs. RuleError
    for no answers, an answer outside 1–5, a negative weight or weights adding to 0."""
    if not answers:
        raise RuleError("a survey answers at least one question")
    total = Decimal(0)
    weight = Decimal(0)
    for w, a in answers:
        if isinstance(a, bool) or not isinstance(a, int) or not 1 <= a <= 5:
            raise RuleError("answers are 1 to 5")
        w = Decimal(w)
        if w < 0:
            raise RuleError("weights are not negative")
        total += w * a
        weight += w
    if weight == 0:
        raise RuleError("the weights add to more than 0")
    return _round((total / weight - 1) * HUNDRED / 4)
