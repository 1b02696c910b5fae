"""The date widget every page form uses. A browser's <input type="date"> accepts only an ISO 8601 value
(YYYY-MM-DD): Django's DateInput renders the active language's first input format instead (2026/11/07
in zh-Hans), which the browser drops, so the field shows empty and saving the form unchanged loses the
date. This one renders ISO 8601 in every language, and offers only the accepted years
(kadence.core.validation.year_range) in the browser's picker."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms

from kadence.core.validation import year_range


def iso_date(value: Any) -> Any:
    """A date (or datetime) as YYYY-MM-DD, whatever its year; anything else (None, text a user typed)
    as it is."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class DateInput(forms.DateInput):
    """<input type="date"> with an ISO 8601 value and the accepted years as its min and max."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")

    def format_value(self, value: Any) -> Any:
        # date.isoformat, not strftime: strftime("%Y") writes year 1 as "1", not "0001".
        return iso_date(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        low, high = year_range()
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.setdefault("min", f"{low:04d}-01-01")
        widget_attrs.setdefault("max", f"{high:04d}-12-31")
        return context
