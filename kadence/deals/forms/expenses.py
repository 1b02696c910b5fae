"""Forms of the expenses page: log an expense, set the budget of every category. The rules live in
kadence.deals.services.expenses."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.formfields import DateField, MoneyField, choice_field
from kadence.core.validation import MAX_VERSION
from kadence.deals.models import ExpenseCategory


class ExpenseForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    amount = MoneyField(label=_("Amount"), positive=True)
    spent_on = DateField(label=_("Date"))
    description = forms.CharField(label=_("Description"), max_length=300)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "category").choices = [
            (c.code, c.name) for c in ExpenseCategory.objects.filter(is_active=True)
        ]
        self.fields["spent_on"].initial = timezone.localdate()


class BudgetForm(forms.Form):
    """One amount per category (empty or 0: no budget); field names are the category codes, and the
    hidden VERSION_FIELD carries the budget's version as read."""

    VERSION_FIELD = "budget_version"

    def __init__(self, *args, categories=(), budgets=None, version: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        budgets = budgets or {}
        self.fields[self.VERSION_FIELD] = forms.IntegerField(
            min_value=0, max_value=MAX_VERSION, initial=version, widget=forms.HiddenInput
        )
        for category in categories:
            self.fields[category.code] = MoneyField(
                label=category.name,
                required=False,
                initial=budgets.get(category.pk),
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            )

    def amounts(self) -> dict[str, Decimal]:
        return {
            code: value or Decimal(0)
            for code, value in self.cleaned_data.items()
            if code != self.VERSION_FIELD
        }

    def version(self) -> int:
        return self.cleaned_data[self.VERSION_FIELD]
