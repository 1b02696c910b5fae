"""Streamed exports of lists (CSV and xlsx) of any length: rows are read in chunks and written as they
come, so a million rows never sit in memory (issue 12 §9).

- **CSV**: UTF-8 with a byte-order mark (so Excel, the Chinese one included, opens it as UTF-8), one
  line per row, streamed to the client as it is written.
- **xlsx**: the sheet's XML written row by row into a zip that is itself streamed as it is written (see
  `xlsx_chunks`), so it needs no temporary file and no more memory for a million rows than for ten;
  at most a sheet's 1,048,575 rows (CSV has no limit). Amounts are numbers with a thousands format, rates percentages, dates
  dates, each column a width fitted to what it holds.
- Every text cell goes through kadence.core.xlsx.safe_cell: a value a spreadsheet would read as a formula
  is written as text (formula injection), characters no sheet can hold are dropped.

A list's export says what its columns are (`Column`: a header, a key into each row, a kind); the rows are
dicts, typically a `.values()` queryset read with `.iterator()`.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, Literal, cast

from django.http import StreamingHttpResponse
from django.utils import timezone
from openpyxl.utils import get_column_letter

from kadence.core.xlsx import CONTENT_TYPE, FILENAME_UNSAFE, safe_cell, sheet_title

Kind = Literal["text", "int", "money", "percent", "date", "datetime"]
WIDTHS: Mapping[str, int] = {"int": 10, "money": 16, "percent": 9, "date": 12, "datetime": 17, "text": 24}
EXCEL_MAX_ROWS = 1_048_576  # a worksheet's rows, its header included
FORMATS_OFFERED = ("csv", "xlsx")
BATCH = 500  # rows per chunk sent


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


def _csv_writer(column: Column) -> Callable[[Mapping[str, Any]], str]:
    """The function that writes one column's cell of a row as CSV text (chosen once per column)."""
    if column.kind == "date":
        return lambda row: "" if (v := column.value(row)) is None else v.isoformat()
    if column.kind == "datetime":
        return lambda row: "" if (v := column.value(row)) is None else v.strftime("%Y-%m-%d %H:%M")
    if column.kind in ("int", "money", "percent"):
        return lambda row: "" if (v := column.value(row)) is None else str(v)
    return lambda row: "" if (v := column.value(row)) is None else str(safe_cell(v))


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

STYLE = {"header": 1, "money": 2, "percent": 3, "date": 4, "datetime": 5, "int": 6}
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
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="0.0%"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd"/><numFmt numFmtId="167" formatCode="yyyy-mm-dd hh:mm"/>'
    "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
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

    elif column.kind in ("int", "money", "percent"):

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


def _name(filename: str, extension: str) -> str:
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
    response["Content-Disposition"] = f'attachment; filename="{_name(filename, fmt)}"'
    return response
