"""Spreadsheet exports (xlsx): one helper every report uses, so formula injection is neutralised in
one place. A text cell a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) is written with a leading apostrophe, so it stays visible text and is never evaluated.
Numbers and dates keep their types, so the sheet still calculates. Characters a worksheet cannot hold
(control characters, which openpyxl refuses with an error) are dropped, so an export never fails on
text stored before the input rules refused them."""

from __future__ import annotations

import re
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
# What no cell may hold: C0 controls but tab and line breaks (openpyxl's ILLEGAL_CHARACTERS_RE), DEL and
# the C1 controls, lone surrogates (not encodable) and U+FFFE, U+FFFF (not XML characters).
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What no sheet title may hold (openpyxl's INVALID_TITLE_REGEX) and what a file name keeps.
TITLE_UNSAFE = re.compile(r"[\\*?:/\[\]]")
FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A value as written to a cell: numbers and dates as they are, text neutralised."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:  # as the pages show it: local time
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    text = UNWRITABLE.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def sheet_title(title: Any) -> str:
    """A sheet title openpyxl takes: no unwritable or forbidden characters, at most 31 characters."""
    return TITLE_UNSAFE.sub("", UNWRITABLE.sub("", str(title)))[:31] or "Sheet"


def workbook_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An xlsx file with one sheet per (title, header row, rows)."""
    book = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=sheet_title(title))
        widths = [len(str(h)) for h in headers]
        sheet.append([safe_cell(h) for h in headers])
        for row in rows:
            cells = [safe_cell(v) for v in row]
            widths = [
                max(w, len(str(c)) if c is not None else 0) for w, c in zip(widths, cells, strict=False)
            ]
            sheet.append(cells)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
) -> HttpResponse:
    """An attachment response with the workbook; `filename` without extension (anything but ASCII
    letters, digits, ".", "_" and "-" becomes "-", so no header can break)."""
    response = HttpResponse(workbook_bytes(sheets), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{FILENAME_UNSAFE.sub("-", filename) or "export"}.xlsx"'
    )
    return response
