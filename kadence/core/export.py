"""Streamed exports of lists (CSV and xlsx) of any length: rows are read in chunks and written as they
come, so a million rows never sit in memory (issue 12 §9).

- **CSV**: UTF-8 with a byte-order mark (so Excel, the Chinese one included, opens it as UTF-8), one
  line per row, streamed to the client as it is written.
- **xlsx**: openpyxl's write-only workbook, which writes each row to a temporary file as it comes; the
  finished file is then streamed. Amounts are numbers with a thousands format, rates percentages, dates
  dates, each column a width fitted to what it holds.
- Every text cell goes through kadence.core.xlsx.safe_cell: a value a spreadsheet would read as a formula
  is written as text (formula injection), characters no sheet can hold are dropped.

A list's export says what its columns are (`Column`: a header, a key into each row, a kind); the rows are
dicts, typically a `.values()` queryset read with `.iterator()`.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kadence.core.xlsx import CONTENT_TYPE, FILENAME_UNSAFE, safe_cell, sheet_title

Kind = Literal["text", "int", "money", "percent", "date", "datetime"]
FORMATS: Mapping[str, str] = {
    "money": "#,##0.00",
    "percent": "0.0%",
    "int": "0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
WIDTHS: Mapping[str, int] = {"int": 10, "money": 16, "percent": 9, "date": 12, "datetime": 17, "text": 24}
EXCEL_MAX_ROWS = 1_048_576  # a worksheet's rows, its header included
FORMATS_OFFERED = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    """One column: `header` (shown), `key` (into each row dict, or a function of the row), `kind`
    (how it is written), `width` (characters; default by kind, at least the header's)."""

    header: str
    key: str | Callable[[Mapping[str, Any]], Any]
    kind: Kind = "text"
    width: int | None = None

    def value(self, row: Mapping[str, Any]) -> Any:
        found = self.key(row) if callable(self.key) else row.get(self.key)
        if found is None:
            return None
        if self.kind == "percent":  # stored as 0–100, a sheet's percentage is a fraction
            return Decimal(found) / 100
        if self.kind == "datetime" and isinstance(found, datetime) and found.tzinfo is not None:
            return timezone.localtime(found).replace(tzinfo=None)
        return found

    @property
    def columns_wide(self) -> int:
        return max(self.width or WIDTHS[self.kind], len(str(self.header)) * 2 + 2)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float | Decimal):
        return str(value)
    return str(safe_cell(value))


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def csv_lines(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """The CSV file, a line at a time (the first with the byte-order mark)."""
    line = _Line()
    writer = csv.writer(line)
    writer.writerow([_csv_text(c.header) for c in columns])
    yield ("\ufeff" + line.text).encode("utf-8")
    batch: list[str] = []
    for row in rows:
        line.text = ""
        writer.writerow([_csv_text(c.value(row)) for c in columns])
        batch.append(line.text)
        if len(batch) >= 500:  # fewer, larger chunks: cheaper to send
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def xlsx_file(title: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> Any:
    """The workbook written row by row into a temporary file (returned open, at its start)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title(title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(60, column.columns_wide)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [FORMATS.get(c.kind) for c in columns]
    for row in rows:
        cells = []
        for column, number_format in zip(columns, formats, strict=True):
            value = safe_cell(column.value(row))
            if number_format is None or value is None or isinstance(value, str):
                cells.append(value)
            else:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                cells.append(cell)
        sheet.append(cells)
    handle = tempfile.TemporaryFile()
    book.save(handle)
    handle.seek(0)
    return handle


def _name(filename: str, extension: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{FILENAME_UNSAFE.sub('-', filename) or 'export'}-{stamp}.{extension}"


def export_response(
    fmt: str, filename: str, title: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]
) -> StreamingHttpResponse | FileResponse:
    """The export as an attachment: `fmt` "csv" (streamed as written) or "xlsx"."""
    if fmt == "xlsx":
        return FileResponse(
            xlsx_file(title, columns, rows),
            as_attachment=True,
            filename=_name(filename, "xlsx"),
            content_type=CONTENT_TYPE,
        )
    response = StreamingHttpResponse(csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_name(filename, "csv")}"'
    return response
