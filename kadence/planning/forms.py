"""Planning forms: set, edit and filter targets (kadence.planning.views.targets)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.formfields import DateField, MoneyField, choice_field
from kadence.core.models import User
from kadence.core.validation import MAX_VERSION
from kadence.core.visibility import settable_sellers, settable_units
from kadence.planning.models import PeriodKind


class TargetForm(forms.Form):
    """Set a target: `scope` is "unit:<id>" or "user:<id>" among those the user may set."""

    service_fields = {"unit_id": "scope", "user_id": "scope"}  # where the service's messages go

    scope = forms.ChoiceField(label=gettext_lazy("For"))
    period_kind = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=PeriodKind.choices, initial="quarter"
    )
    period_start = DateField(label=gettext_lazy("Any day of the period"))
    amount = MoneyField(
        label=gettext_lazy("Target"), widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"})
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="CNY")
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = [(f"unit:{u.pk}", f"{u.get_kind_display()} · {u.name}") for u in settable_units(user)]
        sellers = [(f"user:{s.pk}", s.label) for s in settable_sellers(user)]
        choice_field(self, "scope").choices = [(_("Units"), units), (_("Sellers"), sellers)]
        self.can_set = bool(units or sellers)  # the user may set some target
        self.fields["period_start"].initial = timezone.localdate()

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        kind, _sep, pk = data.pop("scope").partition(":")
        data["unit_id" if kind == "unit" else "user_id"] = int(pk)
        return data


class TargetEditForm(forms.Form):
    period_kind = forms.ChoiceField(label=gettext_lazy("Period"), choices=PeriodKind.choices)
    period_start = DateField(label=gettext_lazy("Any day of the period"))
    amount = MoneyField(
        label=gettext_lazy("Target"), widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"})
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)


class TargetFilterForm(forms.Form):
    period_kind = forms.ChoiceField(
        label=gettext_lazy("Period"), required=False, choices=[("", gettext_lazy("Any")), *PeriodKind.choices]
    )
    period_start = DateField(label=gettext_lazy("Holding the day"), required=False)
