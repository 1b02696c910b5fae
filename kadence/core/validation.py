"""Small input checks shared by the services, the API schemas and the page forms, so that bad input is
a ValidationFailed (4xx), never a database or arithmetic error (500): ids and other whole numbers, texts
(None, non-strings, control characters, length), booleans, dates (the accepted years), money.

Each rule lives here once; kadence.core.schemas (API), kadence.core.widgets (page forms) and the
services call it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, overload

from django.conf import settings
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kadence.core.errors import NotFound, ValidationFailed

MAX_ID = 2**63 - 1  # the largest id any database column holds (a signed 64-bit integer)
MAX_VERSION = 2**31 - 1  # the largest row version (a signed 32-bit integer column)

# Characters no text may hold: C0 controls other than tab, line feed and carriage return, DEL, the C1
# controls, and lone UTF-16 surrogates (a JSON body may carry them; no database can store them).
# Spreadsheets refuse the C0 ones, PostgreSQL refuses NUL. Tab and line breaks are allowed in long
# text only (a note, a description), never in a name.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")

# Money typed in (amounts, budgets, targets, forecasts, buying power): two decimals, from 0 up to but
# excluding one trillion. The narrowest money column (Expense.amount: 14 digits, 2 decimals) holds it,
# and sums and ratios of such amounts stay far inside Decimal's precision.
MAX_MONEY = Decimal("1e12")
CENT = Decimal("0.01")
# An amount of money as a service takes it: clean_money checks and rounds it.
MoneyInput = Decimal | int | float | str


@overload
def clean_ids(values: None, field: str) -> None: ...
@overload
def clean_ids(values: Iterable[Any], field: str) -> list[int]: ...
@overload
def clean_ids(values: Iterable[Any] | None, field: str) -> list[int] | None: ...
def clean_ids(values: Iterable[Any] | None, field: str) -> list[int] | None:
    """Distinct positive integer ids in the given order (None stays None)."""
    if values is None:
        return None
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationFailed(_("Expected a list of ids."), {field: [_("Expected a list of ids.")]})
    ids: list[int] = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(
                _("Ids must be whole numbers."), {field: [_("Not an id: %(v)s") % {"v": value}]}
            ) from None
        if isinstance(value, bool) or not 0 < number <= MAX_ID:
            raise ValidationFailed(
                _("Ids must be whole numbers."), {field: [_("Not an id: %(v)s") % {"v": value}]}
            )
        ids.append(number)
    return list(dict.fromkeys(ids))


def control_character_error(value: str, *, multiline: bool = True) -> str | None:
    """Why `value` cannot be stored as text (None when it can): a control character anywhere, or a tab
    or line break in single-line text (`multiline` False)."""
    if CONTROL_CHARACTERS.search(value):
        return _("Remove the control characters (invisible characters such as NUL or BEL).")
    if not multiline and LINE_BREAKS.search(value.strip()):  # surrounding whitespace is trimmed anyway
        return _("Keep it on one line (no tabs or line breaks).")
    return None


def clean_text(
    value: Any, field: str, max_length: int, *, label: str | None = None, multiline: bool = False
) -> str:
    """A string (None → ""), at most `max_length` characters, without control characters; tabs and line
    breaks only when `multiline` (notes, descriptions), never in a name or a title."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(
            _("%(field)s must be text.") % {"field": label or field}, {field: [_("Enter text.")]}
        )
    problem = control_character_error(value, multiline=multiline)
    if problem:
        raise ValidationFailed(
            _("%(field)s contains characters that cannot be stored.") % {"field": label or field},
            {field: [problem]},
        )
    if len(value) > max_length:
        raise ValidationFailed(
            _("%(field)s is too long (%(n)d characters, at most %(max)d).")
            % {"field": label or field, "n": len(value), "max": max_length},
            {field: [_("At most %(max)d characters.") % {"max": max_length}]},
        )
    return value


def clean_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(
            _("%(field)s must be true or false.") % {"field": field}, {field: [_("Choose yes or no.")]}
        )
    return value


def clean_search(value: Any) -> str:
    """A search term for list filters: control characters removed, trimmed, at most 200 characters."""
    if not isinstance(value, str):
        return ""
    return CONTROL_CHARACTERS.sub("", value).strip()[:200]


def parse_int(value: Any, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number from a query or form parameter, None when it is missing, not a number, or outside
    [low, high] (so no database sees an out-of-range integer). `str.isdigit` is no test: "³" is a
    digit to it, and int() refuses it."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def id_param(raw: str | None) -> int | None:
    """A record's id from a query or form parameter (?unit_id=): None when empty; NotFound (404) when
    it is no id at all, as for an id no record has (there is nothing to show for it)."""
    text = (raw or "").strip()
    if not text:
        return None
    number = parse_int(text)
    if number is None:
        raise NotFound(_("Not found."))
    return number


def int_param(raw: str | None, field: str, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number from a query or form parameter (?trials=): None when empty; ValidationFailed
    (422, the message next to `field`) when it is not a whole number from `low` to `high`."""
    text = (raw or "").strip()
    if not text:
        return None
    number = parse_int(text, low=low, high=high)
    if number is None:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            {field: [_("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]},
        )
    return number


# --- dates -----------------------------------------------------------------------------------------


def whole_number(value: Any, field: str, low: int, high: int) -> int:
    """A setting's whole number from a form or JSON (an int or its text, not a bool) within [low, high];
    else ValidationFailed naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed(_("Enter a whole number."), {field: [_("Enter a whole number.")]})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a whole number."), {field: [_("Enter a whole number.")]}) from None
    if not low <= number <= high:
        raise ValidationFailed(
            _("%(field)s must be between %(low)d and %(high)d.") % {"field": field, "low": low, "high": high},
            {field: [_("Out of range.")]},
        )
    return number


def year_range() -> tuple[int, int]:
    """The years a date may have (settings KADENCE_MIN_YEAR, KADENCE_MAX_YEAR): far enough from
    date.min and date.max that period ends, history windows and "as_of + N days" never overflow."""
    return settings.KADENCE_MIN_YEAR, settings.KADENCE_MAX_YEAR


def date_range_error(value: date) -> str | None:
    """Why `value` (a date or a datetime) is refused, None when its year is in year_range()."""
    low, high = year_range()
    if low <= value.year <= high:
        return None
    return _("Enter a date between %(first)s and %(last)s.") % {
        "first": f"{low:04d}-01-01",
        "last": f"{high:04d}-12-31",
    }


def clean_date(value: date | None, field: str) -> date | None:
    """`value` when it is None or within the accepted years; otherwise ValidationFailed (422)."""
    if value is None:
        return None
    if not isinstance(value, date):
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), {field: [_("Enter a date as YYYY-MM-DD.")]})
    problem = date_range_error(value)
    if problem:
        raise ValidationFailed(problem, {field: [problem]}, code="date_out_of_range")
    return value


def not_in_future(value: date | None, today: date, field: str) -> None:
    clean_date(value, field)
    if value is not None and value > today:
        raise ValidationFailed(
            _("The date cannot be in the future."), {field: [_("Use today or an earlier date.")]}
        )


def parse_date_param(raw: str | None, field: str) -> date | None:
    """A date from a query or form parameter (YYYY-MM-DD): None when empty, ValidationFailed when
    malformed or outside the accepted years."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = parse_date(text)
    except ValueError:
        value = None
    if value is None:
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), {field: [_("Enter a date as YYYY-MM-DD.")]})
    return clean_date(value, field)


# --- money -----------------------------------------------------------------------------------------


def money_error(amount: Decimal, *, positive: bool = False) -> str | None:
    """Why `amount` (a Decimal) is refused as money typed in, None when it is accepted: finite, at
    least 0 (at least one cent when `positive`), less than MAX_MONEY once rounded to cents."""
    if not amount.is_finite():
        return _("Enter a number.")
    if amount < 0:
        return _("Enter zero or more.")
    # Compared before rounding: quantizing a huge number is itself an error (InvalidOperation).
    if amount >= MAX_MONEY:
        return _("Enter less than 1,000,000,000,000.")
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded >= MAX_MONEY:
        return _("Enter less than 1,000,000,000,000.")
    if positive and rounded <= 0:  # 0.001 rounds to nothing: no amount to divide by
        return _("Enter at least 0.01.")
    return None


def clean_currency(value: Any, field: str = "currency") -> str:
    """A currency as its ISO 4217 code: three ASCII letters, stored in capitals (" cny " → "CNY"). The one
    rule for every currency a user or a file gives: deals, accounts, targets, imports."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationFailed(
            _("Currency must be a three-letter code such as CNY."),
            {field: [_("Use a three-letter ISO code.")]},
        )
    return code


def clean_money(value: Any, field: str, *, positive: bool = False, exact: bool = False) -> Decimal:
    """An amount of money from any input (a Decimal, a number, a numeric string), rounded to cents;
    ValidationFailed when it is not a number or breaks money_error. `exact` refuses more than two
    decimals instead of rounding them."""
    amount: Decimal | None = None
    if value is not None and not isinstance(value, bool):
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            amount = None
    if amount is None:
        raise ValidationFailed(_("Enter an amount."), {field: [_("Enter a number.")]})
    problem = money_error(amount, positive=positive)
    if problem:
        raise ValidationFailed(_("Enter a valid amount."), {field: [problem]})
    if exact and amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValidationFailed(_("Amounts have at most two decimals."), {field: [_("At most two decimals.")]})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
