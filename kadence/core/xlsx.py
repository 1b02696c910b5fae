"""What any exported cell may hold (xlsx and CSV, lists and reports: kadence.core.export writes them),
so formula injection is neutralised in one place. A text cell a spreadsheet would read as a formula
(starting with = + - @, a tab or a carriage return) is written with a leading apostrophe, so it stays visible text and is never evaluated.
Numbers and dates keep their types, so the sheet still calculates. Characters a worksheet cannot hold
(control characters, which openpyxl refuses with an error) are dropped, so an export never fails on
text stored before the input rules refused them."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

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
