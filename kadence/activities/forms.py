"""Page forms for activities. They parse; activities.services decides (see accounts.forms.ServiceForm)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.forms import ServiceForm, UserChoiceField
from kadence.activities import services
from kadence.activities.models import Activity
from kadence.activities.selectors import ActivityFilters
from kadence.core.formfields import DateField, choice_field, model_choice_field
from kadence.core.models import User
from kadence.core.validation import MAX_ID
from kadence.core.visibility import list_owners


class ActivityForm(ServiceForm):
    """Log or plan an activity. The account is fixed by the page; the opportunity is chosen from the
    account's deals (on create only: the service keeps it on update), contacts from its contacts."""

    service_fields = {name: name for name in services.FIELDS}  # what the service takes, defined once there

    kind = forms.ChoiceField(label=_("kind"), choices=Activity.Kind.choices)
    subject = forms.CharField(label=_("subject"), max_length=200)
    date = DateField(label=_("date"), initial=timezone.localdate)
    done = forms.BooleanField(
        label=_("done"), required=False, initial=True, help_text=_("Untick to plan it for later.")
    )
    result = forms.ChoiceField(
        label=_("result"),
        required=False,
        choices=Activity.Result.choices,
        help_text=_(
            "A visit, meeting or demo that found an opportunity, advanced one or solved a problem "
            "is an effective visit."
        ),
    )
    opportunity = forms.TypedChoiceField(label=_("opportunity"), coerce=int, required=False, empty_value=None)
    contacts = forms.TypedMultipleChoiceField(
        label=_("contacts"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    outcome = forms.CharField(label=_("outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("next step"), max_length=300, required=False)
    next_step_date = DateField(label=_("next step date"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        contacts: list,
        opportunities: list | None,
        with_version: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        choice_field(self, "contacts").choices = [(c.pk, str(c)) for c in contacts]
        if opportunities is None:
            del self.fields["opportunity"]
        else:
            choice_field(self, "opportunity").choices = [("", _("— none —"))] + [
                (o.pk, f"{o.name} · {o.get_status_display()}" if o.status != "open" else o.name)
                for o in opportunities
            ]
        if with_version:
            self.fields["version"].required = True
        else:
            del self.fields["version"]

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        kwargs["contact_ids"] = self.cleaned_data.get("contacts") or []
        if "opportunity" in self.fields:
            kwargs["opportunity_id"] = self.cleaned_data.get("opportunity")
        if "version" in self.fields:
            kwargs["version"] = self.cleaned_data["version"]
        return kwargs

    @staticmethod
    def initial_for(activity: Activity) -> dict[str, Any]:
        initial = {name: getattr(activity, name) for name in ActivityForm.service_fields}
        initial["contacts"] = [c.pk for c in activity.contacts.all()]
        initial["version"] = activity.version
        return initial


class ActivityFilterForm(forms.Form):
    """The activity list's filters, parsed leniently: a bad value means "any"."""

    DONE_CHOICES = [("", _("All")), ("0", _("Planned")), ("1", _("Done"))]
    DONE_VALUES = {"1": True, "0": False}

    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("All"))] + list(Activity.Kind.choices)
    )
    owner = UserChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    done = forms.ChoiceField(label=_("status"), required=False, choices=DONE_CHOICES)
    date_from = DateField(label=_("from"), required=False)
    date_to = DateField(label=_("to"), required=False)
    account = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "owner").queryset = list_owners(user).order_by("display_name", "username")

    def value_of(self, name: str) -> Any:
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None

    def filters(self) -> ActivityFilters:
        """The filters as the selectors take them (the list page and its export read the same)."""
        owner = self.value_of("owner")
        return ActivityFilters(
            kind=self.value_of("kind") or "",
            account_id=self.value_of("account"),
            opportunity_id=self.value_of("opportunity"),
            owner_id=owner.pk if owner else None,
            done=self.DONE_VALUES.get(self.value_of("done") or ""),
            date_from=self.value_of("date_from"),
            date_to=self.value_of("date_to"),
        )
