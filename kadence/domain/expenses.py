"""The expense flow of a deal (费用流, METHODOLOGY §6) and the cost of sale (营销费用执行状况). Pure:
Decimal in, Decimal out; no clock, no ORM.

Budget use is spent ÷ budget, shown as a percentage. The state of a budget line follows two
thresholds given in percent of the budget (defaults: warn at 80, limit at 100, from the policy):

- "ok"    used below the warning threshold;
- "warn"  used at or above the warning threshold (exactly 80 % is a warning);
- "over"  used at or above the limit (exactly 100 % is over);
- "none"  no budget (0) and nothing spent.

Zero denominator: with a budget of 0 the percentage is undefined (None); any spend against it is
"over" (money went out without a budget), no spend is "none". The state is decided on exact
amounts (spent × 100 against budget × threshold), never on the rounded percentage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PCT_STEP = Decimal("0.1")
CENT = Decimal("0.01")

NONE, OK, WARN, OVER = "none", "ok", "warn", "over"
SEVERITY = {NONE: 0, OK: 0, WARN: 1, OVER: 2}


@dataclass(frozen=True)
class Thresholds:
    """Warning and limit in percent of the budget (e.g. 80 and 100)."""

    warn_pct: Decimal = Decimal(80)
    limit_pct: Decimal = Decimal(100)


@dataclass(frozen=True)
class Usage:
    """A budget line: budget, spent, what remains (negative when overspent), the share used in
    percent (rounded down to 0.1, None for a budget of 0) and the state."""

    budget: Decimal
    spent: Decimal
    remaining: Decimal
    used_pct: Decimal | None
    state: str


def used_pct(budget: Decimal, spent: Decimal) -> Decimal | None:
    """spent ÷ budget × 100, rounded down to 0.1 (so 79.96 % shows 79.9 %, as its state is "ok");
    None when the budget is 0 or less."""
    if budget <= 0:
        return None
    return (spent * HUNDRED / budget).quantize(PCT_STEP, rounding=ROUND_DOWN)


def state_of(budget: Decimal, spent: Decimal, thresholds: Thresholds) -> str:
    """ "over" at or above the limit, "warn" at or above the warning, else "ok"; with no budget,
    "over" if anything was spent and "none" otherwise."""
    if budget <= 0:
        return OVER if spent > 0 else NONE
    if spent * HUNDRED >= budget * thresholds.limit_pct:
        return OVER
    if spent * HUNDRED >= budget * thresholds.warn_pct:
        return WARN
    return OK


def usage(budget: Decimal, spent: Decimal, thresholds: Thresholds) -> Usage:
    """The budget line of `budget` and `spent` under `thresholds`."""
    return Usage(budget, spent, budget - spent, used_pct(budget, spent), state_of(budget, spent, thresholds))


@dataclass(frozen=True)
class CategoryAmounts:
    """What one expense category of a deal has: its budget (0 when none is set) and its spend."""

    code: str
    budget: Decimal = ZERO
    spent: Decimal = ZERO


@dataclass(frozen=True)
class CategoryUsage:
    code: str
    usage: Usage


@dataclass(frozen=True)
class BudgetSummary:
    """Per category and in total. The total compares the sum of the budgets with the sum of the
    spend, so spend in a category without a budget counts against the others' budgets in the
    total, and shows as "over" on its own line."""

    categories: tuple[CategoryUsage, ...]
    total: Usage

    def category(self, code: str) -> Usage | None:
        return next((c.usage for c in self.categories if c.code == code), None)


def summary(lines: Sequence[CategoryAmounts], thresholds: Thresholds) -> BudgetSummary:
    """Budget use per category (in the given order) and in total."""
    budget = sum((line.budget for line in lines), ZERO)
    spent = sum((line.spent for line in lines), ZERO)
    return BudgetSummary(
        tuple(CategoryUsage(line.code, usage(line.budget, line.spent, thresholds)) for line in lines),
        usage(budget, spent, thresholds),
    )


def crossed(before: str, after: str) -> bool:
    """Whether a state went up to "warn" or "over" (ok → warn, ok → over, warn → over, none → over):
    the moment to warn someone (及时预警)."""
    return SEVERITY[after] > SEVERITY[before]


def cost_of_sale_pct(expenses: Decimal, won_amount: Decimal) -> Decimal | None:
    """Cost of sale = expenses ÷ won amount × 100, rounded half up to 0.01 %. None when nothing was
    won (a won amount of 0 or less): the ratio has no denominator, whatever was spent."""
    if won_amount <= 0:
        return None
    return (expenses * HUNDRED / won_amount).quantize(CENT, rounding=ROUND_HALF_UP)
