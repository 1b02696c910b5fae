"""Pagination that stays cheap deep into a list (issue 10 §4): keyset cursors that walk every row
exactly once in the list's order, whatever the sort (ties included), counts that are exact up to a
limit and labelled estimates above it, and cursors nobody gave refused with a 422."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from kadence.accounts.models import Account
from kadence.core.pagination import after, bounded_count, paginate
from kadence.pipeline.models import Opportunity
from kadence.pipeline.selectors import SORTS, opportunity_list


@pytest.fixture
def many(org):
    """30 more deals of rita's with repeated amounts, close dates and names, so that every sort has ties."""
    base = org.opp
    rows = []
    for i in range(30):
        rows.append(
            Opportunity(
                name=f"deal {i % 4}",
                account=base.account,
                owner=org.rita,
                team=base.team,
                template=base.template,
                stage=base.stage,
                level=base.level,
                probability=base.probability,
                forecast_category=base.forecast_category,
                amount=Decimal(1000 * (i % 3)),
                expected_close_date=date.today() + timedelta(days=i % 5),
                updated_at=base.updated_at,  # all equal: the id decides
                created_at=base.created_at,
            )
        )
    Opportunity.objects.bulk_create(rows)
    return org


def _walk(user, sort, size):
    """Every row of the list, page by page through next_cursor."""
    seen, cursor, pages = [], None, 0
    while True:
        page = opportunity_list(user, sort=sort, page_size=size, cursor=cursor)
        seen += [o.pk for o in page.items]
        pages += 1
        assert pages < 100
        if page.next_cursor is None:
            assert not page.has_next
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_a_cursor_walk_gives_every_row_once_in_the_lists_order(many, sort):
    everything = [o.pk for o in opportunity_list(many.ada, sort=sort, page_size=200).items]
    assert len(everything) == Opportunity.objects.count()
    assert _walk(many.ada, sort, 7) == everything


def test_page_one_by_number_hands_over_to_the_cursor(many):
    first = opportunity_list(many.rita, page=1, page_size=10)
    assert first.page == 1 and first.next_cursor
    second = opportunity_list(many.rita, page_size=10, cursor=first.next_cursor)
    by_number = opportunity_list(many.rita, page=2, page_size=10)
    assert second.page is None
    assert [o.pk for o in second.items] == [o.pk for o in by_number.items]
    assert second.count == by_number.count == first.count


def test_the_last_page_has_no_cursor(org):
    page = opportunity_list(org.rita, page_size=50)
    assert page.next_cursor is None and not page.has_next


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 ~~~",
        base64.urlsafe_b64encode(b"[1, 2").decode(),
        base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["x", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", 1]).encode()).decode(),  # naive
        base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00+00:00", 2**70]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([None, 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["\x00", 1]).encode()).decode(),
        "A" * 2000,
    ],
)
def test_a_cursor_nobody_gave_is_refused(org, cursor):
    from kadence.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        opportunity_list(org.rita, cursor=cursor)
    assert refused.value.code == "bad_cursor" and "cursor" in refused.value.errors


def test_counts_are_exact_up_to_the_limit_and_labelled_estimates_above(many, settings):
    total = Opportunity.objects.count()
    settings.KADENCE_EXACT_COUNT_LIMIT = total
    assert bounded_count(Opportunity.objects.all()) == (total, True)
    settings.KADENCE_EXACT_COUNT_LIMIT = 5
    count, exact = bounded_count(Opportunity.objects.all())
    from django.db import connection

    if connection.vendor == "postgresql":
        assert not exact and count >= 6  # the planner's estimate, never below what was counted
    else:
        assert (count, exact) == (total, True)  # SQLite has no estimate: it counts
    page = paginate(Opportunity.objects.order_by("-id"), 2, 5)
    assert page.count_exact is exact and page.has_next and len(page.items) == 5


def test_an_estimated_page_past_the_end_is_empty_not_an_error(many, settings):
    settings.KADENCE_EXACT_COUNT_LIMIT = 5
    page = paginate(Opportunity.objects.order_by("-id"), 1000, 5)
    assert page.items == [] or page.count_exact
    assert not page.has_next


def test_account_order_ties_on_name_are_broken_by_id(org):
    for _ in range(5):
        Account.objects.create(
            name="同名客户", industry=org.industry, region=org.north, owner=org.ada, team=org.company
        )
    qs = Account.objects.order_by("name", "id")
    ids = list(qs.values_list("pk", flat=True))
    first = paginate(qs, 1, 2, keyset=True)
    rest = list(after(qs, [("name", False), ("pk", False)], first.next_cursor).values_list("pk", flat=True))
    assert [a.pk for a in first.items] + rest == ids


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize(
    "value", ["1e999999", "-1e-999999", "NaN", "Infinity", "99999999999999999999999", 10**30, "x" * 300]
)
def test_a_position_outside_its_column_is_refused_or_harmless(org, sort, value):
    """A cursor's value must fit the column it is compared with (digits, length, integer range): a
    number PostgreSQL cannot hold was a 500 (value overflows numeric format)."""
    from kadence.core.errors import ValidationFailed

    cursor = base64.urlsafe_b64encode(json.dumps([value, 1]).encode()).decode()
    try:
        opportunity_list(org.rita, sort=sort, cursor=cursor)
    except ValidationFailed as refused:
        assert refused.code == "bad_cursor"
