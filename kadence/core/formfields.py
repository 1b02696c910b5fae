"""Form fields every page form uses for dates and money, so that a page refuses what the API refuses,
with the same rule (kadence.core.validation) and as a field error, never a 500."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from kadence.core.validation import MAX_MONEY, date_range_error, money_error
from kadence.core.widgets import DateInput


class DateField(forms.DateField):
    """A date typed on a page: rendered ISO 8601 in every language (kadence.core.widgets.DateInput),
    within the accepted years (kadence.core.validation.year_range)."""

    widget = DateInput

    def validate(self, value: Any) -> None:
        super().validate(value)
        problem = date_range_error(value) if value is not None else None
        if problem:
            raise ValidationError(problem, code="date_out_of_range")


class MoneyField(forms.DecimalField):
    """An amount typed on a page: the one money rule (kadence.core.validation.money_error), zero or
    more, or at least one cent when `positive`; two decimals at most."""

    def __init__(self, *, positive: bool = False, **kwargs: Any) -> None:
        self.positive = positive
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", len(str(int(MAX_MONEY))) - 1 + 2)
        kwargs.setdefault("min_value", Decimal("0.01") if positive else Decimal(0))
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        problem = money_error(value, positive=self.positive) if value is not None else None
        if problem:
            raise ValidationError(problem, code="money")
