"""Small input checks shared by the services, so that bad input is a ValidationFailed (4xx), never a
database error (500): ids, texts (None, non-strings, NUL characters, length), booleans, dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from kadence.core.errors import ValidationFailed

MAX_ID = 2**63 - 1


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
            raise ValidationFailed(_("Ids must be whole numbers."), {field: [_("Not an id: %(v)s") % {"v": value}]}) from None
        if isinstance(value, bool) or not 0 < number <= MAX_ID:
            raise ValidationFailed(_("Ids must be whole numbers."), {field: [_("Not an id: %(v)s") % {"v": value}]})
        ids.append(number)
    return list(dict.fromkeys(ids))


def clean_text(value: Any, field: str, max_length: int, *, label: str | None = None) -> str:
    """A string (None → ""), without NUL characters, at most `max_length` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(_("%(field)s must be text.") % {"field": label or field}, {field: [_("Enter text.")]})
    if "\x00" in value:
        raise ValidationFailed(_("%(field)s contains a NUL character.") % {"field": label or field},
                               {field: [_("Remove the NUL character.")]})
    if len(value) > max_length:
        raise ValidationFailed(
            _("%(field)s is too long (%(n)d characters, at most %(max)d).") % {"field": label or field, "n": len(value), "max": max_length},
            {field: [_("At most %(max)d characters.") % {"max": max_length}]},
        )
    return value


def clean_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(_("%(field)s must be true or false.") % {"field": field}, {field: [_("Choose yes or no.")]})
    return value


def clean_search(value: Any) -> str:
    """A search term for list filters: NUL characters removed, trimmed, at most 200 characters."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:200]


def not_in_future(value: date | None, today: date, field: str) -> None:
    if value is not None and value > today:
        raise ValidationFailed(_("The date cannot be in the future."), {field: [_("Use today or an earlier date.")]})


def parse_date_param(raw: str | None, field: str) -> date | None:
    """A date from a query or form parameter (YYYY-MM-DD): None when empty, ValidationFailed when
    malformed."""
    from django.utils.dateparse import parse_date

    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = parse_date(text)
    except ValueError:
        value = None
    if value is None:
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), {field: [_("Enter a date as YYYY-MM-DD.")]})
    return value
