"""Each SQL expression of kadence.pipeline.expressions agrees with its domain function: Hypothesis writes
random rows, the database evaluates the expression on them, and the domain function evaluates the
same facts in Python. Run on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Model, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kadence.core.audit import audit_changes
from kadence.core.models import AuditEntry
from kadence.core.validation import MAX_MONEY
from kadence.domain.forecast import category_of
from kadence.domain.funnel import weighted_amount
from kadence.domain.ladder import MARKS, ladder_of
from kadence.domain.periods import LAST_DAY, bucket_for
from kadence.domain.stall import StallPolicy, is_close_date_push, stage_time_since, stalled_in_stage
from kadence.pipeline.expressions import (
    WEIGHTED,
    Cents,
    close_date_pushed,
    day_number,
    forecast_category,
    qualified,
    stall_candidates,
    time_bucket,
)
from kadence.pipeline.expressions import stage_time_since as stage_time_since_sql
from kadence.pipeline.expressions import stalled_in_stage as stalled_in_stage_sql
from kadence.pipeline.ladder import LadderMisconfigured, level_ladder
from kadence.pipeline.models import ForecastCategory, Opportunity, ProbabilityLevel, Stage, StageChange

pytestmark = pytest.mark.django_db
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CENT = Decimal("0.01")

amounts = st.one_of(
    st.integers(0, int(MAX_MONEY) - 1).map(Decimal),  # whole yuan: SQLite stores them as INTEGERs
    st.integers(0, int(MAX_MONEY * 100) - 1).map(lambda cents: Decimal(cents) * CENT),
    st.sampled_from([Decimal("0.01"), Decimal("3.10"), Decimal("155"), Decimal("999999999999.99")]),
)
percentages = st.one_of(
    st.integers(0, 100).map(Decimal),
    st.integers(0, 10000).map(lambda hundredths: Decimal(hundredths) * CENT),
)


def agrees(sql: Decimal | None, exact: Decimal, *, terms: int = 1) -> bool:
    """PostgreSQL's numeric is exact. SQLite computes DECIMAL columns in binary floating point, 15
    significant digits: there the SQL may differ from the exact value by a few units in the last of
    them per term summed (and by nothing at all like a truncated fraction)."""
    if sql is None:
        return False
    if connection.vendor == "postgresql":
        return sql == exact
    return abs(sql - exact) <= max(abs(exact), Decimal(1)) * Decimal("1e-14") * terms


@contextmanager
def copies(row: Model, changes: Sequence[dict[str, Any]]) -> Iterator[list[int]]:
    """Rows like `row` with `changes` applied, written for one example and removed after it."""
    model = type(row)
    made = []
    for change in changes:
        copy = model.objects.get(pk=row.pk)
        copy.pk = None
        for name, value in change.items():
            setattr(copy, name, value)
        made.append(copy)
    ids = [r.pk for r in model.objects.bulk_create(made)]
    try:
        yield ids
    finally:
        model.objects.filter(pk__in=ids).delete()


# --- weighted amount ---------------------------------------------------------------------------------


@PROPERTY
@given(st.lists(st.tuples(amounts, percentages), min_size=1, max_size=8))
def test_weighted_amount_in_sql_is_the_domain_weighted_amount(org, deals):
    changes = [{"amount": amount, "probability": p} for amount, p in deals]
    with copies(org.opp, changes) as ids:
        rows = Opportunity.objects.filter(pk__in=ids)
        got = dict(rows.annotate(w=WEIGHTED).values_list("pk", "w"))
        total = rows.aggregate(total=Sum(WEIGHTED))["total"]
    expected = [weighted_amount(amount, p) for amount, p in deals]
    assert all(agrees(got[pk], exact) for pk, exact in zip(ids, expected, strict=True)), (got, expected)
    assert agrees(total, sum(expected, Decimal(0)), terms=len(deals)), (total, expected)


@PROPERTY
@given(st.lists(st.tuples(amounts, percentages), min_size=1, max_size=5))
def test_weighted_amount_in_sql_reads_the_stage_history_alike(org, changes):
    """The funnel at a past date weighs StageChange rows with the same expression."""
    first = StageChange.objects.filter(opportunity=org.opp).first()
    with copies(first, [{"amount": a, "probability": p} for a, p in changes]) as ids:
        got = dict(StageChange.objects.filter(pk__in=ids).annotate(w=WEIGHTED).values_list("pk", "w"))
    for pk, (amount, p) in zip(ids, changes, strict=True):
        assert agrees(got[pk], weighted_amount(amount, p)), (got[pk], amount, p)


def test_whole_amounts_keep_their_fraction_in_sql(org):
    """SQLite stores 1,234,567.00 and 25.00 as INTEGERs; an integer division gave 308,641."""
    Opportunity.objects.filter(pk=org.opp.pk).update(amount=Decimal("1234567"), probability=Decimal(25))
    got = Opportunity.objects.filter(pk=org.opp.pk).annotate(w=WEIGHTED).values_list("w", flat=True).get()
    assert got == Decimal("308641.75")


# --- forecast category -------------------------------------------------------------------------------

statuses = st.sampled_from([s.value for s in Opportunity.Status])
categories = st.one_of(
    st.sampled_from([c.value for c in ForecastCategory]),
    st.text("abcdefghijklmnopqrstuvwxyz_", max_size=20),  # a value no choice names (written around the forms)
)


@PROPERTY
@given(st.lists(st.tuples(statuses, categories), min_size=1, max_size=10))
def test_forecast_category_in_sql_is_category_of(org, deals):
    changes = [{"status": status, "forecast_category": category} for status, category in deals]
    with copies(org.opp, changes) as ids:
        rows = Opportunity.objects.filter(pk__in=ids)
        got = dict(rows.annotate(c=forecast_category()).values_list("pk", "c"))
        open_only = dict(rows.annotate(c=forecast_category(status=None)).values_list("pk", "c"))
    for pk, (status, category) in zip(ids, deals, strict=True):
        assert got[pk] == category_of(status, category), (status, category)
        assert open_only[pk] == category_of(Opportunity.Status.OPEN, category), category


# --- stalled in stage --------------------------------------------------------------------------------

AS_OF = date(2026, 3, 15)
entries = st.tuples(
    st.integers(-30, 400).map(lambda back: AS_OF - timedelta(days=back)),  # a day in the future too
    st.sampled_from([time(0, 0), time(0, 30), time(8, 0), time(23, 59, 59)]),  # local day ends
    st.integers(0, 7),  # which stage of the template
)
standards = st.lists(st.one_of(st.integers(0, 400), st.integers(0, 2**31 - 1)), min_size=8, max_size=8)


@PROPERTY
@given(
    st.lists(entries, min_size=1, max_size=8),
    standards,
    st.integers(0, 9999),  # the policy's factor in hundredths (0.00–99.99)
    st.integers(-5, 5).map(lambda shift: AS_OF + timedelta(days=shift)),
)
def test_stalled_in_stage_in_sql_is_the_domain_rule(org, deals, standard_days, hundredths, as_of):
    stages = list(Stage.objects.filter(template=org.opp.template).order_by("order"))
    for stage, days in zip(stages, standard_days, strict=False):
        Stage.objects.filter(pk=stage.pk).update(standard_days=days)
    policy = StallPolicy(factor=Decimal(hundredths) / 100)
    tz = timezone.get_default_timezone()
    changes = [
        {"stage_id": stages[index].pk, "stage_entered_at": timezone.make_aware(datetime.combine(day, at), tz)}
        for day, at, index in deals
    ]
    with copies(org.opp, changes) as ids:
        rows = Opportunity.objects.filter(pk__in=ids)
        since = dict(rows.annotate(since=stage_time_since_sql(policy)).values_list("pk", "since"))
        stalled = set(rows.filter(stalled_in_stage_sql(policy, as_of)).values_list("pk", flat=True))
        counted = rows.aggregate(n=Count("id", filter=stalled_in_stage_sql(policy, as_of)))["n"]
        every_stage = [(stage.pk, days) for stage, days in zip(stages, standard_days, strict=False)]
        candidates = rows.filter(stall_candidates(every_stage, policy, as_of))
        narrowed = set(candidates.filter(stalled_in_stage_sql(policy, as_of)).values_list("pk", flat=True))
    expected = set()
    for pk, (day, _at, index) in zip(ids, deals, strict=True):
        standard = standard_days[index]
        first = stage_time_since(day, standard, policy)
        if first < LAST_DAY:  # the domain's calendar ends there; SQL counts on
            assert since[pk] == day_number(first), (day, standard, hundredths)
        if stalled_in_stage(day, standard, policy, as_of):
            expected.add(pk)
    assert stalled == expected and counted == len(expected)
    assert narrowed == expected  # the candidates keep every stalled deal


# --- the ladder's marked rungs -----------------------------------------------------------------------


def set_ladder(orders: Sequence[int], marked: Sequence[int]) -> list[ProbabilityLevel]:
    """Renumber the open rungs (I … C90) with `orders` and mark contacted, qualified and developed on
    the rungs at the indexes `marked`; returns the open rungs."""
    rungs = list(ProbabilityLevel.objects.filter(is_won=False, is_lost=False).order_by("order"))
    ProbabilityLevel.objects.update(mark="")
    for rung, order in zip(rungs, orders, strict=True):
        ProbabilityLevel.objects.filter(pk=rung.pk).update(order=order)
    for mark, index in zip(MARKS, marked, strict=True):
        ProbabilityLevel.objects.filter(pk=rungs[index].pk).update(mark=mark)
    return rungs


ladder_orders = st.lists(st.integers(1, 60), min_size=5, max_size=5, unique=True).map(sorted)
ladder_marks = st.lists(st.integers(0, 4), min_size=3, max_size=3, unique=True).map(sorted)


@PROPERTY
@given(ladder_orders, ladder_marks, st.lists(st.integers(0, 4), min_size=1, max_size=8))
def test_the_level_lookup_reads_the_marks_and_qualified_in_sql_is_the_domain_rule(org, orders, marked, picks):
    rungs = set_ladder(orders, marked)
    expected = ladder_of({mark: orders[index] for mark, index in zip(MARKS, marked, strict=True)})
    assert level_ladder() == expected  # found by its marks, whatever the codes and numbers
    with copies(org.opp, [{"level_id": rungs[pick].pk} for pick in picks]) as ids:
        rows = Opportunity.objects.filter(pk__in=ids)
        found = set(rows.filter(qualified(expected)).values_list("pk", flat=True))
        counted = rows.aggregate(n=Count("id", filter=qualified(expected)))["n"]
    wanted = {pk for pk, pick in zip(ids, picks, strict=True) if expected.is_qualified(orders[pick])}
    assert found == wanted and counted == len(wanted)


@pytest.mark.parametrize("lost", ["contacted", "qualified", "developed"])
def test_a_ladder_without_a_mark_fails_loudly(org, lost):
    """It used to fall back to the shipped orders (Q 3, D 4, C 2) and go on judging deals."""
    ProbabilityLevel.objects.filter(mark=lost).update(mark="")
    with pytest.raises(LadderMisconfigured, match=lost):
        level_ladder()


# --- close-date pushes -------------------------------------------------------------------------------

close_dates = st.one_of(st.none(), st.dates(date(1000, 1, 1), date(9999, 12, 31)))


@PROPERTY
@given(st.lists(st.tuples(close_dates, close_dates), min_size=1, max_size=10))
def test_a_close_date_push_in_sql_is_the_domain_rule(org, changes):
    """The audit trail writes the old and new close date as text; SQL reads them back as dates
    (year 999 before year 2025 is earlier, whatever the text says)."""
    AuditEntry.objects.filter(field="expected_close_date").delete()
    written = []
    for old, new in changes:
        written += audit_changes(
            "pipeline.opportunity", org.opp.pk, {"expected_close_date": (old, new)}, None
        )
    by_id = {
        row.pk: (old, new)
        for row, (old, new) in zip(written, [c for c in changes if c[0] != c[1]], strict=True)
    }
    found = set(
        AuditEntry.objects.filter(pk__in=by_id).filter(close_date_pushed()).values_list("pk", flat=True)
    )
    assert found == {pk for pk, (old, new) in by_id.items() if is_close_date_push(old, new)}


# --- forecast time buckets ---------------------------------------------------------------------------


@PROPERTY
@given(
    st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    st.lists(st.integers(-400, 500), min_size=1, max_size=10),
)
def test_the_time_bucket_in_sql_is_bucket_for(org, as_of, offsets):
    closes = [as_of + timedelta(days=offset) for offset in offsets]
    with copies(org.opp, [{"expected_close_date": close} for close in closes]) as ids:
        got = dict(
            Opportunity.objects.filter(pk__in=ids).annotate(b=time_bucket(as_of)).values_list("pk", "b")
        )
    for pk, close in zip(ids, closes, strict=True):
        assert got[pk] == bucket_for(as_of, close), (as_of, close)
        # what lets the summary answer by close month (time_bucket(as_of, "close_month")):
        assert bucket_for(as_of, close) == bucket_for(as_of, close.replace(day=1))


# --- cents ----------------------------------------------------------------------------------------------


@PROPERTY
@given(st.decimals(min_value=0, max_value=MAX_MONEY, places=2, allow_nan=False, allow_infinity=False))
def test_cents_in_sql_are_the_exact_whole_cents(org, amount):
    """Cents (the forecast's amounts as integers): exact on both databases, SQLite's floats rounded."""
    Opportunity.objects.filter(pk=org.opp.pk).update(amount=amount)
    got = (
        Opportunity.objects.filter(pk=org.opp.pk)
        .annotate(c=Cents("amount"))
        .values_list("c", flat=True)
        .get()
    )
    assert got == int(amount * 100)
