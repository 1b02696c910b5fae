"""The SQL twins of the deal-level rules of kadence.domain: each rule a report must apply in the database
(to filter, group, count or sort a whole scope) is written here once, as a query expression, beside
the domain function that states it; tests/pipeline/test_expressions.py runs each on random rows,
on SQLite and on PostgreSQL, and checks it agrees with its domain function.

They live in the pipeline app, the home of the deal (Opportunity, StageChange, the ladder), because
they name its columns; they import no model, so any app above pipeline may use them.

SQLite has no decimal type: its DECIMAL columns hold binary floating point (15 significant digits
survive), and a whole number is stored as an INTEGER, whose division truncates. The expressions here
say where that matters and do their arithmetic so that SQLite divides as a real number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateField,
    DecimalField,
    F,
    Func,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf, TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from kadence.domain import forecast as fc
from kadence.domain.ladder import Ladder
from kadence.domain.periods import time_buckets
from kadence.domain.stall import StallPolicy, stage_allowance

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

EPOCH = date(1970, 1, 1)


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

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,  # Func's, not used: the SQL differs by database
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
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


def time_bucket(as_of: date, close: str = "expected_close_date") -> Case:
    """The forecast time bucket of an open deal's close date (kadence.domain.periods.bucket_for): the
    code of the first of time_buckets(as_of) that ends on or after it (an overdue date is in 0–3); none
    (NULL) beyond the twelfth month. PipelineTotal rows pass `close="close_month"`, the first day of
    the close month: buckets are whole months, so it falls in the same bucket."""
    whens = [
        When(Q(**{f"{close}__lte": bucket.end}), then=Value(bucket.code)) for bucket in time_buckets(as_of)
    ]
    return Case(*whens, default=Value(None), output_field=CharField())


# --- days --------------------------------------------------------------------------------------------


class DayNumber(Func):
    """Days since 1970-01-01 of a date expression, as an integer, on SQLite and PostgreSQL (the day
    arithmetic of the rules below is done on these numbers)."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)


class Cents(Func):
    """An amount (a decimal of two places) as whole cents, an integer, on SQLite and PostgreSQL. PostgreSQL's
    numeric is exact, so × 100 is already whole and the cast alone is exact (and cheaper than ROUND over a
    quarter of a million rows); SQLite keeps decimals as floating point, so it rounds first."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(ROUND(%(expressions)s * 100) AS INTEGER)", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s) * 100)::bigint", **extra)


class EpochDays(DayNumber):
    """The local day number (days since 1970-01-01 in settings.TIME_ZONE, the calendar the users and
    `as_of` live in) of a datetime column: the same number as epoch_days."""

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(TruncDate(expression, tzinfo=timezone.get_default_timezone()), **extra)


def epoch_days(moment: datetime) -> int:
    """The local day number of `moment`, as EpochDays counts in SQL."""
    return (timezone.localtime(moment, timezone.get_default_timezone()).date() - EPOCH).days


def day_number(day: date) -> int:
    """Days since 1970-01-01 of `day`, as DayNumber counts in SQL."""
    return (day - EPOCH).days


# --- stalled in stage --------------------------------------------------------------------------------


def stage_time_since(
    policy: StallPolicy, entered: str = "stage_entered_at", standard_days: str = "stage__standard_days"
) -> Any:
    """The day number of the first day a deal is stalled in its stage (kadence.domain.stall
    .stage_time_since): the local day it entered the stage + ⌊factor × standard days⌋ + 1. The
    allowance is whole-number arithmetic on both databases (standard days × the factor in hundredths,
    divided by 100 as integers), as the domain does it, in 64 bits: a standard of a few hundred
    million days would overflow PostgreSQL's integer."""
    allowance = Cast(F(standard_days), BigIntegerField()) * Value(policy.factor_hundredths) / Value(100)
    return EpochDays(entered) + allowance + Value(1)


def stalled_in_stage(policy: StallPolicy, as_of: date, **columns: str) -> LessThanOrEqual:
    """A condition: the deal has been in its stage longer than factor × the stage's standard days on
    `as_of` (kadence.domain.stall.stalled_in_stage). Filters and counts (`Count(..., filter=)`) take it."""
    return LessThanOrEqual(stage_time_since(policy, **columns), Value(day_number(as_of)))


def stall_candidates(stages: Iterable[tuple[int, int]], policy: StallPolicy, as_of: date) -> Q:
    """A condition every deal stalled on `as_of` meets, on columns an index can range over: per stage
    (id, standard days) of `stages`, entered before the start of the day after the last entry day that
    is not stalled yet (a day of margin, so any time zone between agrees). Not the rule: a filter to
    read fewer deals before stalled_in_stage decides; a deal in a stage not listed is left out."""
    candidates = Q(pk__in=[])
    for stage_id, standard_days in stages:
        allowance = stage_allowance(standard_days, policy)
        try:  # stalled ⇔ entry day ≤ as_of − allowance − 1 < the start of as_of − allowance + 1
            last = as_of - timedelta(days=allowance - 1)
        except (
            OverflowError
        ):  # beyond the calendar: before its first day nobody entered, after its last all did
            if allowance <= 0:
                candidates |= Q(stage_id=stage_id)
            continue
        start = timezone.make_aware(datetime.combine(last, time.min), timezone.get_default_timezone())
        candidates |= Q(stage_id=stage_id, stage_entered_at__lt=start)
    return candidates


# --- the ladder --------------------------------------------------------------------------------------


def qualified(ladder: Ladder, order: str = "level__order") -> Q:
    """A condition: the deal's level (the rung whose order the path `order` reads; "to_level__order"
    for stage-history rows) counts as qualified (kadence.domain.ladder.Ladder.is_qualified)."""
    return Q(**{f"{order}__gte": ladder.qualified})


# --- close-date pushes -------------------------------------------------------------------------------


def _audited_date(column: str) -> Cast:
    """An audit value (text) as the date it records: the audit trail writes dates in ISO form
    (kadence.core.audit), and an empty value (no date) reads as NULL."""
    return Cast(NullIf(F(column), Value("")), DateField())


def close_date_pushed(old: str = "old_value", new: str = "new_value") -> GreaterThan:
    """A condition on AuditEntry rows of a deal's expected close date: the change moved the date
    later (kadence.domain.stall.is_close_date_push), compared as dates, not as text."""
    return GreaterThan(_audited_date(new), _audited_date(old))


# --- who a history row counts under ---------------------------------------------------------------


def holder(field: str) -> Coalesce:
    """For a StageChange query: the owner (`field` "owner") or team ("team") its row counts under in the
    stage flows: the row's own, i.e. who held the deal at that moment; the deal's own where the row
    names none (history written before owners were recorded and not recovered, or a person or unit
    deleted since)."""
    return Coalesce(f"{field}_id", f"opportunity__{field}_id")


def held_in(scope: Any) -> Q:
    """A filter of StageChange rows on the owner and team they count under (`holder`) for a report scope
    (kadence.core.visibility.Scope): the row's own owner and team, or the deal's where the row has none.
    Rows naming theirs are read through the history's owner and team indexes."""
    if not scope.q():
        return Q()
    missing = Q(owner__isnull=True) if scope.owner is not None else Q(team__isnull=True)
    return scope.q() | (missing & scope.q("opportunity__"))
