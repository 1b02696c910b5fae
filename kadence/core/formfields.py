"""Form fields every page form uses for dates and money, so that a page refuses what the API refuses,
with the same rule (kadence.core.validation) and as a field error, never a 500; and the typed access to
a form's choice fields, whose choices or queryset a form sets for its user."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

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


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The choice field `name` of `form` (a ChoiceField or a subclass: typed, multiple, model choice),
    to set or read its `choices`: `form.fields` is typed as holding plain Fields. For type-checking
    only, nothing is checked at run time."""
    return cast(forms.ChoiceField, form.fields[name])


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The model choice field `name` of `form`, to set its `queryset` (as `choice_field`)."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])
