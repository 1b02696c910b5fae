"""Reading an import file row by row, never whole: CSV in the encoding detected or chosen (UTF-8, UTF-8 with a
BOM, GB18030 / GBK), xlsx / xls / ods through python-calamine, which reads whole rows natively instead of
cell by cell. Values come as the file holds them: text from a CSV; text, numbers, dates and datetimes
from a workbook (kadence.domain.cells reads each as its field needs)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import python_calamine
from django.utils.translation import gettext as _

from kadence.core.errors import ValidationFailed
from kadence.domain.cells import SNIFF_BYTES, detect_encoding

WORKBOOK_TYPES = ("xlsx", "xls", "xlsm", "ods")
FILE_TYPES = ("csv", *WORKBOOK_TYPES)
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16")
csv.field_size_limit(1 << 20)


def file_type(name: str) -> str:
    """The type of an upload from its name's extension; an unknown one is refused."""
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind == "txt":
        kind = "csv"
    if kind not in FILE_TYPES:
        raise ValidationFailed(
            _("Upload a CSV or Excel file (.csv, .xlsx, .xls)."), {"file": [_("Unsupported file type.")]}
        )
    return kind


def sniff_encoding(handle: IO[bytes]) -> str:
    handle.seek(0)
    sample = handle.read(SNIFF_BYTES)
    handle.seek(0)
    return detect_encoding(sample)


@dataclass
class Sheet:
    """The rows of a file: `headers` (row 1) and `rows()`, each (row number as a spreadsheet shows it,
    values); `sheets` the workbook's sheet names (empty for a CSV)."""

    headers: list[str]
    sheets: list[str]
    _rows: Any

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        number = 1
        for values in self._rows:
            number += 1
            if not any(v not in (None, "") for v in values):
                continue  # an empty line is not a row
            yield number, list(values)


CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _header(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else CONTROL.sub("", str(value)).strip()[:200]


def open_sheet(handle: IO[bytes], kind: str, *, encoding: str = "", sheet: str = "") -> Sheet:
    """Open `handle` (a binary file) as `kind`; a CSV in `encoding` (detected when empty), a workbook's
    `sheet` (the first when empty). Unreadable files raise ValidationFailed with what to do."""
    handle.seek(0)
    if kind == "csv":
        encoding = encoding or sniff_encoding(handle)
        if encoding not in ENCODINGS:
            raise ValidationFailed(_("Unknown encoding."), {"encoding": [_("Choose a listed encoding.")]})
        text = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
        try:
            sample = text.read(SNIFF_BYTES)
            text.seek(0)
        except UnicodeDecodeError:
            raise ValidationFailed(
                _("The file is not in %(encoding)s: choose its encoding.") % {"encoding": encoding},
                {"encoding": [_("The file does not decode in this encoding.")]},
            ) from None
        if "\x00" in sample:
            raise ValidationFailed(
                _(
                    "The file does not read as text in %(encoding)s (it holds NUL characters): choose its "
                    "encoding, e.g. UTF-16, or save it from Excel as CSV UTF-8."
                )
                % {"encoding": encoding},
                {"encoding": [_("The file does not decode in this encoding.")]},
            )
        try:
            dialect: Any = csv.Sniffer().sniff(sample.split("\n", 5)[0] if sample else ",", ",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, delimiter=dialect.delimiter, quotechar='"')
        try:
            headers = [_header(h).lstrip("\ufeff") for h in next(reader, [])]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ValidationFailed(_("The file cannot be read: %(error)s") % {"error": exc}) from None
        return Sheet(headers, [], _decoding(reader, encoding, text))
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(handle)
        names = list(book.sheet_names)
        chosen = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
    except python_calamine.WorksheetNotFound:
        raise ValidationFailed(_("The workbook has no sheet %(sheet)s.") % {"sheet": sheet}) from None
    except Exception as exc:  # calamine's errors: not a workbook, encrypted, corrupt
        raise ValidationFailed(
            _("The file cannot be read as a spreadsheet: %(error)s") % {"error": str(exc)[:200]},
            {"file": [_("Not a readable spreadsheet.")]},
        ) from None
    rows = chosen.iter_rows()
    headers = [_header(h) for h in next(rows, [])]
    return Sheet(headers, names, rows)


def _decoding(reader: Any, encoding: str, text: io.TextIOWrapper) -> Iterator[list[str]]:
    """The CSV's rows; at the end (or when abandoned) the text layer lets go of the file without closing
    it: the caller owns the file (an upload is still hashed and stored after it was read)."""
    try:
        yield from reader
    except UnicodeDecodeError:
        raise ValidationFailed(
            _("Part of the file is not in %(encoding)s: choose its encoding.") % {"encoding": encoding},
            {"encoding": [_("The file does not decode in this encoding.")]},
        ) from None
    except csv.Error as exc:
        raise ValidationFailed(_("The file cannot be read: %(error)s") % {"error": exc}) from None
    finally:
        text.detach()
