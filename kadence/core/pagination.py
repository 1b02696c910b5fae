"""One pagination for pages, API and exports: a page number and a bounded page size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
# Page numbers are bounded so that no offset the database sees is out of range (bigint).
MAX_PAGE_NUMBER = 2**31 - 1  # a signed 32-bit integer


@dataclass
class Page:
    items: list[Any]
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


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


def paginate(
    qs: QuerySet, page: int | str | None = 1, page_size: int | str | None = DEFAULT_PAGE_SIZE
) -> Page:
    """Slice `qs` to one page. Bad or out-of-range numbers are clamped (page_numbers), never an error;
    a page past the end gives the last page."""
    number, size = page_numbers(page, page_size)
    count = qs.count()
    last = max(1, -(-count // size))
    number = min(number, last)
    start = (number - 1) * size
    return Page(items=list(qs[start : start + size]), count=count, page=number, page_size=size)
