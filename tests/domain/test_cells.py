"""Reading the cells of Chinese sales sheets (kadence.domain.cells): dates, amounts, encodings, headers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.cells import (
    CellError,
    detect_encoding,
    excel_serial_date,
    header_key,
    match_headers,
    parse_amount,
    parse_date,
)


@pytest.mark.parametrize(
    "cell",
    [
        "2026-11-07",
        "2026/11/07",
        "2026/11/7",
        "2026.11.07",
        "2026年11月7日",
        "2026年11月07号",
        "2026 年 11 月 7 日",
        "２０２６－１１－０７",
        "20261107",
        "2026-11-07 10:30",
        "2026/11/7 10:30:15",
        "2026-11-07T08:00:00",
        46333,
        46333.75,
        "46333",
        date(2026, 11, 7),
        datetime(2026, 11, 7, 23, 59),
    ],
)
def test_the_date_forms_of_chinese_sheets(cell):
    assert parse_date(cell) == date(2026, 11, 7)


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("2026-02-30", "date_invalid"),
        ("2026年13月1日", "date_invalid"),
        ("11/07/2026", "date_format"),  # month first or day first: ambiguous, refused
        ("下周三", "date_format"),
        ("", "date_empty"),
        (None, "date_empty"),
        (60, "date_invalid"),  # Excel's 1900-02-29 does not exist
        (0, "date_invalid"),
        (True, "date_format"),
    ],
)
def test_dates_that_are_refused_say_why(cell, code):
    with pytest.raises(CellError) as refused:
        parse_date(cell)
    assert refused.value.code == code


def test_excel_serials_follow_excel_around_its_phantom_leap_day():
    assert excel_serial_date(1) == date(1900, 1, 1)
    assert excel_serial_date(59) == date(1900, 2, 28)
    assert excel_serial_date(61) == date(1900, 3, 1)
    assert excel_serial_date(45000) == date(2023, 3, 15)


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_a_serial_reads_back_as_its_day(day):
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial) == day == parse_date(str(serial))


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("1234567.89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1，234，567", "1234567"),
        ("¥1,200,000", "1200000"),
        ("￥35万", "350000"),
        ("35万元", "350000"),
        ("1.2亿", "120000000"),
        ("1.2亿元", "120000000"),
        ("RMB 800,000", "800000"),
        ("人民币120万元", "1200000"),
        ("(1,000.50)", "-1000.50"),
        ("-250万", "-2500000"),
        ("¥-100", "-100"),
        ("１２０万", "1200000"),
        (".5万", "5000"),
        (1200000, "1200000"),
        (0.1, "0.1"),
        (Decimal("9.99"), "9.99"),
    ],
)
def test_the_amount_forms_of_chinese_sheets(cell, amount):
    assert parse_amount(cell) == Decimal(amount)


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("1,5", "amount_format"),  # a decimal comma or a typo: ambiguous
        ("12,34,567", "amount_format"),
        ("1.2.3", "amount_format"),
        ("about 5万", "amount_format"),
        ("万", "amount_format"),
        ("", "amount_empty"),
        (None, "amount_empty"),
        (float("nan"), "amount_format"),
        (True, "amount_format"),
    ],
)
def test_amounts_that_are_refused_say_why(cell, code):
    with pytest.raises(CellError) as refused:
        parse_amount(cell)
    assert refused.value.code == code


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_an_amount_written_with_separators_reads_back_exactly(amount):
    assert parse_amount(f"¥{amount:,}") == amount
    assert parse_amount(f"{amount / 10000}万") == amount


def test_the_encoding_of_a_csv_file():
    text = "客户名称,金额\n国网江苏电力,120万\n"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(text.encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding(text.encode("gb18030")) == "gb18030"
    assert detect_encoding(text.encode("gbk")) == "gb18030"
    assert detect_encoding(text.encode("utf-16")) == "utf-16"
    # a sample cut in the middle of a character is still UTF-8
    long = ("客户" * 40_000).encode("utf-8")
    assert detect_encoding(long[: (1 << 16) + 1]) == "utf-8"


def test_headers_match_fields_by_their_chinese_and_english_names():
    names = {
        "account": ["客户名称", "客户", "Account Name"],
        "name": ["商机名称", "项目名称", "Opportunity"],
        "amount": ["金额", "金额(万元)", "Amount"],
        "expected_close_date": ["预计成交日期", "Close Date"],
    }
    headers = ["客户名称 ", "商机名称*", "金额（万元）", "备注", "close_date", "CLOSE DATE", None]
    matches = match_headers(headers, names)
    assert [(m.column, m.field) for m in matches] == [
        (0, "account"),
        (1, "name"),
        (2, "amount"),
        (4, "expected_close_date"),  # close_date: underscores are noise; CLOSE DATE after it is a duplicate
    ]
    assert header_key("  预计成交日期（必填）") == "预计成交日期必填"
