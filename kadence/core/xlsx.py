"""Spreadsheet exports (xlsx): one helper every report uses, so formula injection is neutralised in
one place. A text cell a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) is written with a leading apostrophe, so it stays visible text and is never evaluated.
Numbers and dates keep their types, so the sheet still calculates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A value as written to a cell: numbers and dates as they are, text neutralised."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:  # as the pages show it: local time
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def workbook_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An xlsx file with one sheet per (title, header row, rows)."""
    book = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=safe_cell(title)[:31] or "Sheet")
        widths = [len(str(h)) for h in headers]
        sheet.append([safe_cell(h) for h in headers])
        for row in rows:
            cells = [safe_cell(v) for v in row]
            widths = [max(w, len(str(c)) if c is not None else 0) for w, c in zip(widths, cells, strict=False)]
            sheet.append(cells)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> HttpResponse:
    """An attachment response with the workbook; `filename` without extension (ASCII)."""
    response = HttpResponse(workbook_bytes(sheets), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
