"""API schemas of the expense flow (费用流, METHODOLOGY §6) and the cost-of-sale report. Money and
percentages are decimal strings."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from kadence.core.schemas import (
    MAX_VERSION,
    Clean,
    Day,
    In,
    Money,
    MoneyIn,
    NamedOut,
    PageOut,
    PositiveMoneyIn,
    UserRef,
)


class ExpenseCategoryOut(NamedOut):
    order: int
    is_active: bool


class UsageOut(Schema):
    """Budget against spend. `used_pct` = spent ÷ budget × 100 rounded down to 0.1 (null when the
    budget is 0); `state`: ok, warn (at or above the warning %), over (at or above the limit %, or
    spent without a budget), none (no budget, nothing spent)."""

    budget: Money
    spent: Money
    remaining: Money
    used_pct: Money | None
    state: str


class CategoryUsageOut(UsageOut):
    category: NamedOut


class BudgetSummaryOut(Schema):
    warn_pct: Money
    limit_pct: Money
    categories: list[CategoryUsageOut]
    total: UsageOut
    can_set_budget: bool = Field(description="Whether you may set the budget (who may write the deal).")
    can_log: bool = Field(description="Whether you may log expenses (writers and the deal team).")
    version: int = Field(
        description="The budget's version (0 before it was first set); a budget change names it."
    )


class BudgetIn(In):
    """A change of the deal's budget: the budget's `version` you read (0 before it was first set; a
    stale one answers 409) and the amounts per category."""

    version: int = Field(
        ge=0, le=MAX_VERSION, description="The budget's version you read; a stale one answers 409."
    )
    amounts: dict[str, MoneyIn] = Field(
        description='Category code or id → amount ≥ 0, e.g. {"travel": "20000", "3": "5000"}; 0 removes the '
        "budget; categories not named keep theirs."
    )


class ExpenseOut(Schema):
    id: int
    category: NamedOut
    amount: Money
    spent_on: date
    description: str
    logged_by: UserRef | None
    logged_at: datetime


class DealExpensesOut(Schema):
    opportunity_id: int
    currency: str
    budget: BudgetSummaryOut
    expenses: PageOut[ExpenseOut]


class ExpenseIn(In):
    category: str = Field(max_length=60, description="Category code (travel, entertainment…) or id.")
    amount: PositiveMoneyIn = Field(description="More than zero, at most two decimals (a decimal string).")
    spent_on: Day = Field(description="Not in the future.")
    description: str = Field(max_length=300)


class ExpenseLoggedOut(Schema):
    """The new expense and the budget after it. `crossed` names what just reached the warning or the
    limit ("category", "total"); `state` is the worse of the two states; `message` says it in words
    (empty when nothing was crossed)."""

    expense: ExpenseOut
    category: UsageOut
    total: UsageOut
    state: str
    crossed: list[str]
    message: str


class CostOfSaleQuery(Clean):
    date_from: Day | None = Field(None, description="Default: 1 January of this year.")
    date_to: Day | None = Field(None, description="Default: 31 December of this year.")


class CostRowOut(Schema):
    """Expenses dated in the period on the deals owned; amount and number of deals closed won in it;
    `cost_pct` = expenses ÷ won amount × 100 (null when nothing was won)."""

    id: int
    name: str
    team: str
    expenses: Money
    won_amount: Money
    won_count: int
    cost_pct: Money | None


class CostTotalOut(Schema):
    expenses: Money
    won_amount: Money
    won_count: int
    cost_pct: Money | None


class CostOfSaleOut(Schema):
    date_from: date
    date_to: date
    reps: list[CostRowOut]
    teams: list[CostRowOut] = Field(description="Empty for a rep, who sees only their own row.")
    total: CostTotalOut
