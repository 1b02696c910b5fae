"""One pagination for pages, API and exports: a page number and a bounded page size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


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


def paginate(qs: QuerySet, page: int | str | None = 1, page_size: int | str | None = DEFAULT_PAGE_SIZE) -> Page:
    """Slice `qs` to one page. Bad or out-of-range numbers are clamped, never an error."""
    try:
        size = int(page_size or DEFAULT_PAGE_SIZE)
    except (TypeError, ValueError):
        size = DEFAULT_PAGE_SIZE
    size = min(max(size, 1), MAX_PAGE_SIZE)
    try:
        number = max(int(page or 1), 1)
    except (TypeError, ValueError):
        number = 1
    count = qs.count()
    last = max(1, -(-count // size))
    number = min(number, last)
    start = (number - 1) * size
    return Page(items=list(qs[start : start + size]), count=count, page=number, page_size=size)
