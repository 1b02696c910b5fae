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

from django.db.models import DecimalField, F, Func


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
