"""One pagination for pages, API and exports: a page number and a bounded page size, or a cursor.

Two costs grow with a list and are bounded here (issue 10 §4):

- **Counts.** A list counts at most EXACT_COUNT_LIMIT + 1 rows (``SELECT count(*) FROM (… LIMIT n)``):
  up to the limit the count is exact; above it the count is the database planner's estimate, and the
  page says so (``count_exact`` false, "about 52,000"). So admin's list of a million deals costs a
  bounded count, not a scan.
- **Depth.** An offset costs every row before it. A ``cursor`` (keyset pagination) starts after the
  last row of the previous page instead, through the index of the list's order: page 10,000 costs
  what page 1 does. Every page answers ``next_cursor`` (the position after its last row); a list's
  order must end with its primary key, which makes positions unique.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.errors import ValidationFailed
from kadence.core.validation import MAX_ID, control_character_error

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
# Page numbers are bounded so that no offset the database sees is out of range (bigint).
MAX_PAGE_NUMBER = 2**31 - 1  # a signed 32-bit integer
MAX_CURSOR_LENGTH = 1000


def exact_count_limit() -> int:
    """Lists count exactly up to this many rows, and estimate above (KADENCE_EXACT_COUNT_LIMIT)."""
    return int(settings.KADENCE_EXACT_COUNT_LIMIT)


@dataclass
class Page:
    items: list[Any]
    count: int
    page: int | None
    page_size: int
    count_exact: bool = True
    more: bool | None = None  # whether rows follow this page, when known without the count
    next_cursor: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        if self.more is not None:
            return self.more
        return (self.page or 1) < self.pages

    @property
    def has_previous(self) -> bool:
        return (self.page or 1) > 1


def page_numbers(page: Any, page_size: Any = DEFAULT_PAGE_SIZE) -> tuple[int, int]:
    """(page number, page size) from request values, clamped, never an error: a number from 1 to
    MAX_PAGE_NUMBER (unreadable, "³" say, reads as 1; 10²⁰ as MAX_PAGE_NUMBER), a size from 1 to
    MAX_PAGE_SIZE (unreadable reads as DEFAULT_PAGE_SIZE)."""
    return _clamped(page, 1, 1, MAX_PAGE_NUMBER), _clamped(page_size, DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)


def _clamped(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value or default).strip())
    except ValueError:
        number = default
    return min(max(number, low), high)


def bounded_count(qs: QuerySet) -> tuple[int, bool]:
    """(count, exact): the exact count when it is at most exact_count_limit(), else the planner's
    estimate (at least limit + 1; SQLite, which has no estimate, counts exactly)."""
    limit = exact_count_limit()
    qs = qs.order_by()
    capped = qs[: limit + 1].count()
    if capped <= limit:
        return capped, True
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return qs.count(), True
    sql, params = qs.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(int(plan[0]["Plan"]["Plan Rows"]), limit + 1), False


def page_of(rows: list[Any], number: Any, page_size: int) -> Page:
    """One page of rows already in memory (a report's sellers): the page asked for (read as
    page_numbers does), at most the last one."""
    page, _size = page_numbers(number)
    last = max(1, -(-len(rows) // page_size))
    page = min(page, last)
    return Page(
        items=rows[(page - 1) * page_size : page * page_size], count=len(rows), page=page, page_size=page_size
    )


def paginate(
    qs: QuerySet,
    page: int | str | None = 1,
    page_size: int | str | None = DEFAULT_PAGE_SIZE,
    *,
    cursor: str | None = None,
    keyset: bool = False,
) -> Page:
    """Slice `qs` to one page: by number (bad or out-of-range numbers are clamped, never an error; a
    page past the end gives the last page) or, with `cursor`, the rows after that position (keyset;
    `page` is then None). A cursor that is not one this list gave answers ValidationFailed. With
    `keyset` (lists that take a cursor), a page that has rows after it gives `next_cursor`."""
    number, size = page_numbers(page, page_size)
    count, exact = bounded_count(qs)
    order = _order_of(qs)
    if cursor:
        rows = _rows(after(qs, order, cursor), 0, size + 1)
        items = rows[:size]
        return Page(
            items=items,
            count=count,
            page=None,
            page_size=size,
            count_exact=exact,
            more=len(rows) > size,
            next_cursor=_cursor_of(items[-1], order) if len(rows) > size else None,
        )
    if exact:
        number = min(number, max(1, -(-count // size)))
    start = (number - 1) * size
    rows = _rows(qs, start, start + size + 1)
    items = rows[:size]
    more = len(rows) > size
    return Page(
        items=items,
        count=count,
        page=number,
        page_size=size,
        count_exact=exact,
        more=more,
        next_cursor=_cursor_of(items[-1], order) if more and order and keyset else None,
    )


def _rows(qs: QuerySet, start: int, stop: int) -> list[Any]:
    """Rows start..stop of `qs`. The page's ids are picked first, sorting the list's own table (joined
    only to what the order names), and only those rows are then read with the relations the list
    shows (select_related): a million-row sort does not drag six joined tables along. In one
    statement: `WHERE pk IN (SELECT pk … ORDER BY … LIMIT n)`."""
    query = qs.query
    if (
        not query.select_related
        or query.annotations
        or query.distinct
        or query.combinator
        or query.values_select
    ):
        return list(qs[start:stop])
    ids = qs.select_related(None).values("pk")[start:stop]
    page = qs.model._default_manager.using(qs.db).filter(pk__in=ids)
    if query.order_by:
        page = page.order_by(*query.order_by)
    page.query.select_related = query.select_related
    page = page.prefetch_related(*getattr(qs, "_prefetch_related_lookups", ()))
    return list(page)


# --- keyset -----------------------------------------------------------------------------------


def _order_of(qs: QuerySet) -> list[tuple[str, bool]]:
    """The list's order as (field path, descending), when it ends with the primary key (so that a
    position is unique); else empty (no cursor for this list)."""
    names = list(qs.query.order_by) or list(qs.model._meta.ordering)
    order: list[tuple[str, bool]] = []
    for name in names:
        if not isinstance(name, str):
            return []
        descending = name.startswith("-")
        path = name.lstrip("-")
        order.append(("pk" if path in ("id", "pk") else path, descending))
    if not order or order[-1][0] != "pk":
        return []
    return order


def _value_of(item: Model, path: str) -> Any:
    value: Any = item
    for part in path.split("__"):
        value = getattr(value, part)
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _cursor_of(item: Model, order: list[tuple[str, bool]]) -> str:
    values = [_encode(_value_of(item, path)) for path, _desc in order]
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _field(model: type[Model], path: str) -> Any:
    if path == "pk":
        return model._meta.pk
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model  # type: ignore[assignment]
    return model._meta.get_field(parts[-1])


def _bad_cursor() -> ValidationFailed:
    message = _("This cursor is not one this list gave; start again without it.")
    return ValidationFailed(message, {"cursor": [message]}, code="bad_cursor")


def after(qs: QuerySet, order: list[tuple[str, bool]], cursor: str) -> QuerySet:
    """The rows of `qs` after the position `cursor` in `order`: (a > x) or (a = x and b > y) … with
    each comparison in its column's direction."""
    if not order or len(cursor) > MAX_CURSOR_LENGTH:
        raise _bad_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(values, list) or len(values) != len(order):
        raise _bad_cursor()
    typed = []
    for (path, _desc), value in zip(order, values, strict=True):
        if value is None or isinstance(value, list | dict | bool | float):
            raise _bad_cursor()
        if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
            raise _bad_cursor()
        if isinstance(value, str) and control_character_error(value):
            raise _bad_cursor()
        try:
            field = _field(qs.model, path)
            typed_value = field.to_python(value)
            field.run_validators(typed_value)  # within the column: digits, length, integer range
        except (ValidationError, TypeError, ValueError, ArithmeticError) as exc:
            raise _bad_cursor() from exc
        if isinstance(typed_value, datetime) and timezone.is_naive(typed_value):
            raise _bad_cursor()
        if isinstance(typed_value, Decimal) and not typed_value.is_finite():
            raise _bad_cursor()
        typed.append(typed_value)
    condition = Q(pk__in=[])
    equal = Q()
    for (path, descending), value in zip(order, typed, strict=True):
        condition |= equal & Q(**{f"{path}__{'lt' if descending else 'gt'}": value})
        equal &= Q(**{path: value})
    return qs.filter(condition)
