"""The streamed writers of kadence.core.export: what a spreadsheet reads back is what was written."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from kadence.core.export import Column, csv_lines, xlsx_chunks

COLUMNS = [
    Column("名称 <&>", "name"),
    Column("金额", "amount", "money"),
    Column("概率", "p", "percent"),
    Column("日期", "day", "date"),
    Column("时间", "at", "datetime"),
    Column("编号", "id", "int"),
    Column("备注", lambda row: row["name"][:2]),
]
ROWS = [
    {
        "name": 'A & B <c> "d"',
        "amount": Decimal("1234567.89"),
        "p": Decimal("25"),
        "day": date(2026, 11, 7),
        "at": datetime(2026, 11, 7, 9, 30),
        "id": 7,
    },
    {"name": "=1+1", "amount": None, "p": None, "day": None, "at": None, "id": None},
    {
        "name": "  前后空格  ",
        "amount": Decimal("-5"),
        "p": Decimal("100"),
        "day": date(1900, 3, 1),
        "at": datetime(2026, 1, 1),
        "id": 1,
    },
]


def test_the_xlsx_stream_reads_back_cell_for_cell():
    body = b"".join(xlsx_chunks("商机 [导出]", COLUMNS, iter(ROWS)))
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "商机 导出"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(c.header for c in COLUMNS)
    assert values[1] == (
        'A & B <c> "d"',
        1234567.89,
        0.25,
        datetime(2026, 11, 7),
        datetime(2026, 11, 7, 9, 30),
        7,
        "A ",
    )
    assert values[2] == ("'=1+1", None, None, None, None, None, "'=1")  # a formula stays text
    assert values[3][0] == "  前后空格  " and values[3][1] == -5 and values[3][2] == 1
    assert values[3][3] == datetime(1900, 3, 1)
    first = sheet[2]
    assert [c.number_format for c in first[1:6]] == [
        "#,##0.00",
        "0.0%",
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm",
        "0",
    ]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"


def test_the_xlsx_stream_comes_in_chunks_as_the_rows_are_read():
    read = []

    def rows():
        for n in range(1200):
            read.append(n)
            yield {"name": f"第{n}行", "amount": n, "p": 1, "day": None, "at": None, "id": n}

    stream = xlsx_chunks("x", COLUMNS, rows())
    next(stream)  # the package's fixed parts, before any row is read
    assert read == []
    next(stream)
    assert 0 < len(read) < 1200  # a batch was sent before the last row was read
    body = b"".join(stream)
    assert body  # the rest


def test_the_csv_stream():
    text = b"".join(csv_lines(COLUMNS, iter(ROWS))).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1] == ['A & B <c> "d"', "1234567.89", "0.25", "2026-11-07", "2026-11-07 09:30", "7", "A "]
    assert rows[2] == ["'=1+1", "", "", "", "", "", "'=1"]
