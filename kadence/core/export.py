"""Exports of lists and reports, CSV and xlsx (issue 12 §9): one notion of a column and its kind, one way
a value becomes a cell.

Lists (`export_response`) are streamed, rows read in chunks and written as they come, so a million
rows never sit in memory. Reports (`report_response`) are a few small tables (sheets) built in memory.

- **CSV**: UTF-8 with a byte-order mark (so Excel, the Chinese one included, opens it as UTF-8), one
  line per row. A report of several sheets is a .zip of one CSV per sheet (numbered in the workbook's
  order): each CSV is then one table with one header row, which Excel can sort, filter and pivot; one
  CSV holding several tables one under the other would break all three.
- **xlsx**: a list's sheet XML is written row by row into a zip that is itself streamed as it is
  written (see `xlsx_chunks`), so it needs no temporary file and no more memory for a million rows
  than for ten; at most a sheet's 1,048,575 rows (CSV has no limit). A report is a workbook of one
  sheet per table, written with openpyxl.
- Every text cell goes through kadence.core.xlsx.safe_cell: a value a spreadsheet would read as a formula
  is written as text (formula injection), characters no sheet can hold are dropped.

Columns (`Column`: a header, a key into each row, a kind) say how values are written. The kinds:

- "money": an amount, a number with a thousands format (#,##0.00); "int": a whole number;
  "number": any other number (days, a ratio, a Brier score), as it is;
- "percent" and "rate", both shown as a percentage (0.0%). The rule, once: **"percent" is for a number
  stored as a percentage (25 means 25 %: deal and level probabilities, calibration's percentages),
  "rate" for one stored as a fraction (0.25 means 25 %: the domain's win rates, conversions, shares)**.
  Either is written as the fraction (0.25), which is what a percentage cell holds; CSV holds the same;
- "date", "datetime": dates as dates (yyyy-mm-dd, yyyy-mm-dd hh:mm), in local time; CSV ISO text;
- "text": anything else; a date or number met in it still keeps its type.

A list's rows are dicts, typically a `.values()` queryset read with `.iterator()`. A report's rows are
sequences, a cell at its column's position; a `Typed` cell gives its own kind (a Figure / Value sheet
whose values are amounts, rates and dates in turn). Column widths come from the kind (lists, streamed)
or from what the cells hold once formatted (reports), capped at 60 characters.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal, NamedTuple, cast

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kadence.core.xlsx import CONTENT_TYPE, FILENAME_UNSAFE, safe_cell, sheet_title

Kind = Literal["text", "number", "int", "money", "percent", "rate", "date", "datetime"]
WIDTHS: Mapping[str, int] = {
    "int": 10,
    "number": 12,
    "money": 16,
    "percent": 9,
    "rate": 9,
    "date": 12,
    "datetime": 17,
    "text": 24,
}
# The number format of each kind in xlsx, for lists and reports alike (kinds not here: General).
NUMBER_FORMATS: Mapping[str, str] = {
    "money": "#,##0.00",
    "percent": "0.0%",
    "rate": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "int": "0",
}
NUMBERS = (int, float, Decimal)
EXCEL_MAX_ROWS = 1_048_576  # a worksheet's rows, its header included
FORMATS_OFFERED = ("csv", "xlsx")
BATCH = 500  # rows per chunk sent
MAX_WIDTH, MIN_WIDTH = 60, 8
ZIP_NAME_UNSAFE = re.compile(r'[<>|"]')  # what a file name in a zip may not hold (Windows)


def cell_value(kind: str, value: Any) -> Any:
    """What a cell of `kind` holds for a stored value: a percentage as its fraction, an aware
    datetime in local time (as the pages show it); anything else as it is."""
    if value is None:
        return None
    if kind == "percent" and isinstance(value, NUMBERS) and not isinstance(value, bool):
        return Decimal(value) / 100
    if isinstance(value, datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def csv_text(value: Any) -> str:
    """A cell's value (see cell_value) as CSV text: numbers as they are, dates ISO, yes/no in the
    user's language, text neutralised by safe_cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str(safe_cell(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, NUMBERS):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(safe_cell(value))


@dataclass(frozen=True)
class Column:
    """One column: `header` (shown), `key` (into each row dict, or a function of the row; unused in a
    report, whose rows are sequences), `kind` (how it is written, see the module), `width`
    (characters; default by kind, at least the header's)."""

    header: str
    key: str | Callable[[Mapping[str, Any]], Any] = ""
    kind: Kind = "text"
    width: int | None = None

    def value(self, row: Mapping[str, Any]) -> Any:
        return cell_value(self.kind, self.key(row) if callable(self.key) else row.get(self.key))

    @property
    def columns_wide(self) -> int:
        return max(self.width or WIDTHS[self.kind], len(str(self.header)) * 2 + 2)


class Typed(NamedTuple):
    """A report's cell that says its own kind, in a column whose rows differ (Figure / Value)."""

    value: Any
    kind: Kind


def _csv_writer(column: Column) -> Callable[[Mapping[str, Any]], str]:
    """The function that writes one column's cell of a row as CSV text: csv_text, with the test of the
    type the column's kind holds first (a list writes millions of cells)."""
    value = column.value
    if column.kind in ("int", "number", "money", "percent", "rate"):
        return lambda row: str(v) if isinstance(v := value(row), NUMBERS) else csv_text(v)
    if column.kind == "text":
        return lambda row: str(safe_cell(v)) if isinstance(v := value(row), str) else csv_text(v)
    return lambda row: csv_text(value(row))


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_lines(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """The CSV file in chunks of BATCH rows (the first chunk opens with the byte-order mark)."""
    sink = _Line()
    writer = csv.writer(sink)
    writer.writerow([str(safe_cell(c.header)) for c in columns])
    yield ("\ufeff" + sink.take()).encode("utf-8")
    cells = [_csv_writer(c) for c in columns]
    count = 0
    for row in rows:
        writer.writerow([cell(row) for cell in cells])
        count += 1
        if count == BATCH:  # fewer, larger chunks: cheaper to send
            yield sink.take().encode("utf-8")
            count = 0
    if count:
        yield sink.take().encode("utf-8")


# --- xlsx, written as a stream ---------------------------------------------------------------------
#
# A worksheet is XML inside a zip. It is written here directly, row by row, into a zip that is itself
# streamed (zipfile on an unseekable sink writes data descriptors), so nothing is held but the current
# batch: constant memory and about ten times openpyxl's speed. Text cells are inline strings; numbers
# carry a style (xl/styles.xml below) that gives their format.

# Style 1 is the header (bold); then one style per kind with a number format, in NUMBER_FORMATS' order.
STYLE = {"header": 1, **{kind: n for n, kind in enumerate(NUMBER_FORMATS, start=2)}}
EXCEL_EPOCH = datetime(1899, 12, 30)
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_FORMAT_IDS = {kind: n for n, kind in enumerate(NUMBER_FORMATS, start=164)}  # 164 on: custom formats
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    f'<numFmts count="{len(NUMBER_FORMATS)}">'
    + "".join(
        f'<numFmt numFmtId="{_FORMAT_IDS[kind]}" formatCode="{code}"/>'
        for kind, code in NUMBER_FORMATS.items()
    )
    + "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{len(NUMBER_FORMATS) + 2}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    + "".join(
        f'<xf numFmtId="{_FORMAT_IDS[kind]}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for kind in NUMBER_FORMATS
    )
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xml_text(value: Any) -> str:
    return str(value).translate(_XML_ESCAPES)


def _workbook(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_xml_text(sheet_title(title))}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _inline(ref: str, value: Any, style: int = 0) -> str:
    text = _xml_text(safe_cell(value))
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _xlsx_cell(column: Column, letter: str) -> Callable[[Mapping[str, Any], int], str]:
    """The function that writes one column's cell of a row (row number given) as sheet XML."""
    style = STYLE.get(column.kind, 0)
    if column.kind == "date":

        def cell(row: Mapping[str, Any], n: int) -> str:
            v = column.value(row)
            if v is None:
                return ""
            return f'<c r="{letter}{n}" s="{style}"><v>{(v - EXCEL_EPOCH.date()).days}</v></c>'

    elif column.kind == "datetime":

        def cell(row: Mapping[str, Any], n: int) -> str:
            v = column.value(row)
            if v is None:
                return ""
            serial = (v - EXCEL_EPOCH).total_seconds() / 86400
            return f'<c r="{letter}{n}" s="{style}"><v>{serial:.8f}</v></c>'

    elif column.kind in ("int", "number", "money", "percent", "rate"):

        def cell(row: Mapping[str, Any], n: int) -> str:
            v = column.value(row)
            if v is None:
                return ""
            if isinstance(v, bool | int | float | Decimal):
                return f'<c r="{letter}{n}" s="{style}"><v>{v}</v></c>'
            return _inline(f"{letter}{n}", v)

    else:

        def cell(row: Mapping[str, Any], n: int) -> str:
            v = column.value(row)
            return "" if v is None or v == "" else _inline(f"{letter}{n}", v)

    return cell


def _sheet_head(columns: Sequence[Column]) -> str:
    widths = "".join(
        f'<col min="{i}" max="{i}" width="{min(60, c.columns_wide)}" customWidth="1"/>'
        for i, c in enumerate(columns, start=1)
    )
    header = "".join(
        _inline(f"{get_column_letter(i)}1", c.header, STYLE["header"]) for i, c in enumerate(columns, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/></sheetView></sheetViews>'
        f"<cols>{widths}</cols><sheetData>"
        f'<row r="1">{header}</row>'
    )


class _Sink:
    """Where the zip is written: collects bytes until they are taken (no seek: zipfile streams)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def xlsx_chunks(title: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """The xlsx file as a stream of bytes, written as the rows come (constant memory)."""
    sink = _Sink()
    target = cast(IO[bytes], sink)  # file-like enough: zipfile streams to what it cannot seek
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _RELS),
            ("xl/workbook.xml", _workbook(title)),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            archive.writestr(name, text)
        yield sink.take()
        cells = [_xlsx_cell(c, get_column_letter(i)) for i, c in enumerate(columns, start=1)]
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(columns).encode("utf-8"))
            batch: list[str] = []
            for n, row in enumerate(rows, start=2):
                if n > EXCEL_MAX_ROWS:
                    break  # a sheet holds no more; CSV has no limit
                batch.append(f'<row r="{n}">{"".join(cell(row, n) for cell in cells)}</row>')
                if len(batch) == BATCH:
                    sheet.write("".join(batch).encode("utf-8"))
                    batch = []
                    yield sink.take()
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode("utf-8"))
    yield sink.take()


def attachment_name(filename: str, extension: str) -> str:
    """The name a downloaded export is saved under: the list's, the local time, the extension."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{FILENAME_UNSAFE.sub('-', filename) or 'export'}-{stamp}.{extension}"


def export_response(
    fmt: str, filename: str, title: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]
) -> StreamingHttpResponse:
    """The export as an attachment: `fmt` "csv" (streamed as written) or "xlsx"."""
    if fmt == "xlsx":
        response = StreamingHttpResponse(xlsx_chunks(title, columns, rows), content_type=CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{attachment_name(filename, fmt)}"'
    return response


# --- reports: a few small sheets, in memory ------------------------------------------------------------

Sheet = tuple[str, Sequence[Column | str], Iterable[Sequence[Any]]]  # title, columns (a str: text), rows
ZIP_TYPE = "application/zip"


def _columns(columns: Sequence[Column | str]) -> list[Column]:
    return [c if isinstance(c, Column) else Column(str(c)) for c in columns]


def _cells(columns: Sequence[Column], row: Sequence[Any]) -> Iterator[tuple[str, Any]]:
    """Each cell of a report's row as (kind, value as the cell holds it). A date met in a column of
    no date kind is still a date."""
    for column, found in zip(columns, row, strict=False):
        kind, value = (found.kind, found.value) if isinstance(found, Typed) else (column.kind, found)
        value = cell_value(kind, value)
        if kind not in ("date", "datetime") and isinstance(value, date):
            kind = "datetime" if isinstance(value, datetime) else "date"
        yield kind, value


def display_width(text: str) -> int:
    """The characters a text takes in a sheet: a Chinese (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown_width(kind: str, value: Any) -> int:
    """How wide a cell shows once formatted by its kind."""
    if value is None:
        return 0
    if isinstance(value, NUMBERS) and not isinstance(value, bool):
        if kind in ("percent", "rate"):
            return len(f"{value * 100:.1f}%")
        if kind == "money":
            return len(f"{value:,.2f}")
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((display_width(line) for line in str(value).splitlines()), default=0)


def report_workbook(sheets: Sequence[Sheet]) -> bytes:
    """An xlsx file with one sheet per (title, columns, rows): the header bold and frozen, each cell
    with its kind's number format, each column as wide as what it shows (8 to 60 characters)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        columns = _columns(headers)
        sheet = book.create_sheet(title=sheet_title(title))
        lines = [list(_cells(columns, row)) for row in rows]
        widths = [display_width(str(safe_cell(c.header))) for c in columns]
        for line in lines:
            widths = [
                max(w, _shown_width(kind, value)) for w, (kind, value) in zip(widths, line, strict=False)
            ]
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
        sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=safe_cell(column.header))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for line in lines:
            cells = []
            for kind, value in line:
                cell = WriteOnlyCell(sheet, value=safe_cell(value))
                if kind in NUMBER_FORMATS and value is not None:
                    cell.number_format = NUMBER_FORMATS[kind]
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_csv(columns: Sequence[Column | str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet of a report as a CSV file (with the byte-order mark), cells as in its xlsx."""
    shown = _columns(columns)
    sink = io.StringIO()
    writer = csv.writer(sink)
    writer.writerow([str(safe_cell(c.header)) for c in shown])
    for row in rows:
        writer.writerow([csv_text(value) for _kind, value in _cells(shown, row)])
    return ("\ufeff" + sink.getvalue()).encode("utf-8")


def report_csv_file(sheets: Sequence[Sheet]) -> tuple[bytes, str, str]:
    """The report as CSV: (content, content type, extension). One sheet: one CSV file; several: a zip
    of one CSV per sheet, named "<n>-<sheet title>.csv" in the workbook's order."""
    if len(sheets) == 1:
        _title, columns, rows = sheets[0]
        return report_csv(columns, rows), "text/csv; charset=utf-8", "csv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n, (title, columns, rows) in enumerate(sheets, start=1):
            name = ZIP_NAME_UNSAFE.sub("", sheet_title(title))
            archive.writestr(f"{n}-{name}.csv", report_csv(columns, rows))
    return buffer.getvalue(), ZIP_TYPE, "zip"


def report_format(request: HttpRequest) -> str | None:
    """The export a report's page is asked for (?format=xlsx or csv), or None for the page."""
    fmt = request.GET.get("format")
    return fmt if fmt in FORMATS_OFFERED else None


def report_response(fmt: str, filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    """A report as an attachment, `fmt` "xlsx" or "csv" (see report_csv_file); `filename` without
    extension (anything but ASCII letters, digits, ".", "_" and "-" becomes "-", so no header can
    break)."""
    if fmt == "xlsx":
        content, content_type, extension = report_workbook(sheets), CONTENT_TYPE, "xlsx"
    else:
        content, content_type, extension = report_csv_file(sheets)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{FILENAME_UNSAFE.sub("-", filename) or "export"}.{extension}"'
    )
    return response
