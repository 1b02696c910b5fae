"""The SQL twins of the deal-level rules of kadence.domain: each rule a report must apply in the database
(to filter, group, count or sort a whole scope) is written here once, as a query expression, beside
the domain function that states it; kadence/pipeline/tests/test_expressions.py runs each on random rows,
on SQLite and on PostgreSQL, and checks it agrees with its domain function.

They live in the pipeline app, the home of the deal (Opportunity, StageChange, the ladder), because
they name its columns; they import no model, so any app above pipeline may use them.

SQLite has no decimal type: its DECIMAL columns hold binary floating point (15 significant digits
survive), and a whole number is stored as an INTEGER, whose division truncates. The expressions here
say where that matters and do their arithmetic so that SQLite divides as a real number.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, DecimalField, F, Func, Q, Value, When

from kadence.domain import forecast as fc


class WeightedAmount(Func):
    """A deal's weighted amount, amount × probability ÷ 100 (kadence.domain.funnel.weighted_amount), of
    the columns named (the deal's own by default; StageChange rows have the same two columns).

    PostgreSQL computes numeric exactly; dividing the percentage first keeps every digit whatever the
    amount (numeric division keeps at least 16 significant digits, and p ÷ 100 has at most four
    decimals). SQLite multiplies first and divides by the real 100.0: when the amount and the
    percentage are both whole numbers they are stored as INTEGERs, and an integer division would drop
    the fraction (1,234,567 × 25 ÷ 100 would give 308,641, not 308,641.75)."""

    output_field = DecimalField(max_digits=24, decimal_places=6)

    def __init__(self, amount: str = "amount", probability: str = "probability", **extra: Any) -> None:
        super().__init__(F(amount), F(probability), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        amount, probability = self.source_expressions
        amount_sql, amount_params = compiler.compile(amount)
        probability_sql, probability_params = compiler.compile(probability)
        if connection.vendor == "sqlite":
            sql = f"({amount_sql} * {probability_sql} / 100.0)"
        else:
            sql = f"({amount_sql} * ({probability_sql} / 100.0))"
        return sql, (*amount_params, *probability_params)


WEIGHTED = WeightedAmount()
"""The weighted amount of the deal (or stage-history row) a query reads."""


def forecast_category(status: str | None = "status", category: str = "forecast_category") -> Case:
    """The forecast category a deal counts in (kadence.domain.forecast.category_of): won → booked; lost
    → none (NULL); open → its category, except booked → commit (not booked until won), omitted → none,
    and a value that is no open category → pipeline. `status=None` reads rows that hold open deals
    only (the PipelineTotal summary), as category_of("open", category)."""
    whens = []
    if status is not None:
        whens += [
            When(Q(**{status: fc.WON}), then=Value(fc.BOOKED)),
            When(~Q(**{status: fc.OPEN}), then=Value(None)),
        ]
    whens += [
        When(Q(**{category: fc.OMITTED}), then=Value(None)),
        When(Q(**{category: fc.BOOKED}), then=Value(fc.COMMIT)),
        When(Q(**{f"{category}__in": fc.OPEN_CATEGORIES}), then=F(category)),
    ]
    return Case(*whens, default=Value(fc.PIPELINE), output_field=CharField())
