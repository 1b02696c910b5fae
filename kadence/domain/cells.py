"""Reading the cells of a spreadsheet a sales team keeps (issue 12: data in and out). Pure: no Django.

What Chinese sheets hold, and how each is read:

- **Dates**: 2026-11-07, 2026/11/07, 2026.11.07, 2026年11月7日 (日 or 号), 20261107, with or without a time
  after it (ignored), full-width digits, and Excel's day serials (the 1900 date system: 45000 is
  2023-03-15; serial 60, Excel's phantom 1900-02-29, is refused). Day and month must form a real date.
- **Amounts**: 1234567.89, 1,234,567.89 (commas only as thousands separators: 1,5 is refused as ambiguous),
  with ¥ / ￥ / RMB / CNY / 元 / 人民币 around it, full-width digits, a minus sign or accounting
  parentheses, and the units 万 (× 10,000) and 亿 (× 100,000,000), e.g. 120万, 1.2亿元, ¥35万元.
- **Encodings** of a CSV file: a byte-order mark says it; else strict UTF-8 if the bytes are UTF-8, else
  GB18030 (what Chinese Excel writes by default; a superset of GBK and GB2312).
- **Headers**: a column's header matches a field when its normalised text (NFKC, case, spaces, brackets and
  punctuation removed) equals one of the field's names; the names are data (the transfer app's mappings).

Errors are `CellError(code, value)`; the layer above words them for people (`code` is stable).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 and later: EXCEL_EPOCH + serial days
EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31
SNIFF_BYTES = 1 << 16


class CellError(ValueError):
    """A cell that cannot be read as what its column holds. `code`: date_format, date_invalid,
    amount_format, amount_empty, date_empty."""

    def __init__(self, code: str, value: object) -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value


def _text(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


# --- dates ---------------------------------------------------------------------------------------

_DATE = re.compile(
    r"^(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*(?:日|号)?"
    r"(?:[ T]\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")


def excel_serial_date(serial: float) -> date:
    """The day of an Excel serial in the 1900 date system (a fraction is the time of day: dropped)."""
    whole = int(serial)
    if whole < 1 or whole > EXCEL_MAX_SERIAL or whole == 60:  # 60 is Excel's 1900-02-29, not a day
        raise CellError("date_invalid", serial)
    return EXCEL_EPOCH + timedelta(days=whole + (1 if whole < 60 else 0))


def parse_date(value: object) -> date:
    """A date from a cell (see the module docstring)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError("date_format", value)
    if isinstance(value, int | float):
        return excel_serial_date(value)
    text = _text(value) if value is not None else ""
    if not text:
        raise CellError("date_empty", value)
    found = _DATE.match(text) or _COMPACT.match(text)
    if found is None:
        if _SERIAL.match(text):
            return excel_serial_date(float(text))
        raise CellError("date_format", value)
    try:
        return date(int(found["y"]), int(found["m"]), int(found["d"]))
    except ValueError:
        raise CellError("date_invalid", value) from None


# --- amounts -------------------------------------------------------------------------------------

_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_CURRENCY = re.compile(r"(人民币|RMB|CNY|元|¥|\$|USD)", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$|^\.\d+$")


def parse_amount(value: object) -> Decimal:
    """An amount from a cell, exact (see the module docstring)."""
    if isinstance(value, bool):
        raise CellError("amount_format", value)
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("amount_format", value)
        return Decimal(repr(value))  # the shortest decimal that is this float: 0.1 → 0.1
    text = _text(value) if value is not None else ""
    if not text:
        raise CellError("amount_empty", value)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    text = text.replace("，", ",").replace(" ", "")
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    text = _CURRENCY.sub("", text)
    if text.startswith("-") and not negative:  # ¥-100
        negative, text = True, text[1:]
    unit = Decimal(1)
    if text and text[-1] in _UNITS:
        unit, text = _UNITS[text[-1]], text[:-1]
    if not _NUMBER.match(text):
        raise CellError("amount_format", value)
    try:
        amount = Decimal(text.replace(",", "")) * unit
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        raise CellError("amount_format", value) from None
    return -amount if negative else amount


# --- encodings -----------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _decodes(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(data, final=False)  # a character cut at the end of the sample is not an error
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(sample: bytes) -> str:
    """The encoding of a CSV file from its first bytes (SNIFF_BYTES are enough): the BOM's, else UTF-8
    when they are valid UTF-8, else GB18030. The user can always override it."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    sample = sample[:SNIFF_BYTES]
    if _decodes(sample, "utf-8"):
        return "utf-8"
    return "gb18030"


# --- headers -------------------------------------------------------------------------------------

_NOISE = re.compile(r"[\s_\-/\\()（）\[\]【】<>《》:：*＊#.,，、'\"“”‘’]+")


def header_key(header: object) -> str:
    """A header as compared: NFKC, lower case, without spaces, brackets and punctuation."""
    return _NOISE.sub("", _text(header if header is not None else "").lower())


@dataclass(frozen=True)
class HeaderMatch:
    """Column `column` (0-based) is read into `field`."""

    column: int
    header: str
    field: str


def match_headers(headers: Sequence[object], names: Mapping[str, Iterable[str]]) -> list[HeaderMatch]:
    """Match the columns to fields: `names` gives each field its names (any language); a column matches
    the field one of whose names has its key. A field takes the first column that matches it; columns
    that match nothing are left to the user."""
    by_key: dict[str, str] = {}
    for field, field_names in names.items():
        for name in (field, *field_names):
            by_key.setdefault(header_key(name), field)
    taken: set[str] = set()
    matches = []
    for column, header in enumerate(headers):
        found = by_key.get(header_key(header))
        if found is not None and found not in taken:
            taken.add(found)
            matches.append(HeaderMatch(column, "" if header is None else str(header), found))
    return matches
