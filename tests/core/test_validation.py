"""The input rules every entry point shares (kadence.core.validation, .pagination, .formfields): each
is a worked example at its edges."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.formfields import DateField, MoneyField
from kadence.core.pagination import MAX_PAGE_NUMBER, MAX_PAGE_SIZE, page_numbers
from kadence.core.validation import (
    MAX_MONEY,
    clean_currency,
    clean_date,
    clean_money,
    clean_search,
    clean_text,
    id_param,
    int_param,
    parse_date_param,
    parse_int,
)
from kadence.domain.periods import FIRST_DAY, LAST_DAY, add_days


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("³", None),
        ("½", None),
        ("1e3", None),
        ("", None),
        (None, None),
        (True, None),
        ("0", None),
        ("-4", None),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("9" * 5000, None),
    ],
)
def test_parse_int(raw, expected):
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    ("page", "size", "expected"),
    [
        ("3", "10", (3, 10)),
        ("³", "³", (1, 25)),
        ("99999999999999999999", "99999", (MAX_PAGE_NUMBER, MAX_PAGE_SIZE)),
        ("-5", "0", (1, 1)),
        (None, None, (1, 25)),
        ("", "", (1, 25)),
        (0, 0, (1, 25)),
    ],
)
def test_page_numbers_are_clamped(page, size, expected):
    assert page_numbers(page, size) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1200000", Decimal("1200000.00")),
        (Decimal("999999999999.99"), Decimal("999999999999.99")),
        ("0.005", Decimal("0.01")),
        (0, Decimal("0.00")),
        ("12.345", Decimal("12.35")),
    ],
)
def test_clean_money_accepts_and_rounds(value, expected):
    assert clean_money(value, "amount") == expected


@pytest.mark.parametrize(
    "value",
    [
        "999999999999.995",
        "1e12",
        MAX_MONEY,
        "1e400",
        "-0.01",
        "NaN",
        "Infinity",
        "lots",
        None,
        True,
        "1e-300",
    ],
)
def test_clean_money_refuses_what_no_column_or_division_takes(value):
    with pytest.raises(ValidationFailed) as raised:
        clean_money(value, "amount", positive=True)
    assert list(raised.value.errors) == ["amount"]


def test_exact_money_refuses_a_third_decimal():
    with pytest.raises(ValidationFailed):
        clean_money("12.345", "amount", exact=True)


def test_the_year_range_is_a_setting(settings):
    assert clean_date(date(1900, 1, 1), "d") == date(1900, 1, 1)
    assert clean_date(date(2200, 12, 31), "d") == date(2200, 12, 31)
    for day in (date(1899, 12, 31), date(2201, 1, 1), date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValidationFailed) as raised:
            clean_date(day, "d")
        assert raised.value.code == "date_out_of_range"
    settings.KADENCE_MAX_YEAR = 2300
    assert clean_date(date(2250, 1, 1), "d") == date(2250, 1, 1)
    with pytest.raises(ValidationFailed):
        parse_date_param("2301-01-01", "as_of")
    with pytest.raises(ValidationFailed):
        clean_date("2026-01-01", "d")  # type: ignore[arg-type]


def test_text_refuses_control_characters_and_line_breaks_in_one_line():
    assert clean_text("第一行\n第二行\t", "note", 100, multiline=True) == "第一行\n第二行\t"
    assert clean_text(" 国网电力\n", "name", 100) == " 国网电力\n"  # the caller trims; no break inside
    for value, multiline in (
        ("国网\x07", True),
        ("国网\x00", True),
        ("\u0085", True),
        ("国网\n电力", False),
        ("国网\t电力", False),
        ("国\u2028网", False),
    ):
        with pytest.raises(ValidationFailed) as raised:
            clean_text(value, "name", 100, multiline=multiline)
        assert list(raised.value.errors) == ["name"]
    assert clean_search(" 国网\x07\x00 ") == "国网"


def test_form_fields_share_the_rules():
    field = DateField(required=False)
    assert field.clean("2026-11-07") == date(2026, 11, 7)
    for bad in ("0001-01-01", "9999-12-31"):
        with pytest.raises(Exception, match="1900-01-01"):
            field.clean(bad)
    money = MoneyField(positive=True)
    assert money.clean("0.01") == Decimal("0.01")
    for bad in ("0", "1e12", "1000000000000"):
        with pytest.raises(Exception):  # noqa: B017 - Django's ValidationError, message per case
            money.clean(bad)


def test_add_days_stays_inside_the_calendar():
    assert add_days(date(2026, 1, 31), 1) == date(2026, 2, 1)
    assert add_days(date(2026, 1, 1), 2**31) == LAST_DAY  # a configured 2 billion standard days
    assert add_days(date(2026, 1, 1), -(2**31)) == FIRST_DAY
    assert add_days(date(9999, 12, 1), 365) == LAST_DAY


@pytest.mark.parametrize("command", ["calibrate", "forecast_snapshot"])
def test_the_commands_take_dates_by_the_same_rule(command):
    try:
        with pytest.raises(CommandError, match="--date"):
            call_command(command, "--date", "9999-12-31")
    finally:
        translation.deactivate()  # a command leaves LANGUAGE_CODE active; later tests expect none


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("", None), ("  ", None), (" 12 ", 12)])
def test_id_param_reads_an_id_or_nothing(raw, expected):
    assert id_param(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "x", "³", str(2**63)])
def test_id_param_that_is_no_id_is_not_found(raw):
    with pytest.raises(NotFound):
        id_param(raw)


def test_int_param_reads_a_bounded_whole_number():
    assert int_param(None, "trials") is None
    assert int_param(" 0 ", "seed", low=0, high=9) == 0
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        int_param("10", "seed", low=0, high=9)
    assert refused.value.errors == {"seed": ["Enter a whole number from 0 to 9."]}


@pytest.mark.parametrize(
    ("value", "expected"), [("CNY", "CNY"), (" cny ", "CNY"), ("usd", "USD"), ("Eur", "EUR")]
)
def test_clean_currency_takes_three_ascii_letters_in_any_case(value: str, expected: str) -> None:
    assert clean_currency(value) == expected


@pytest.mark.parametrize("value", ["", "RMB1", "CN", "CNYY", "人民币", "ÉUR", "C Y", None, 156, ["CNY"]])
def test_clean_currency_refuses_anything_else_with_the_field_named(value: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_currency(value, "quote_currency")
    assert list(caught.value.errors) == ["quote_currency"]
