"""Page forms for accounts and contacts.

Forms only parse what the browser sends into the types the services take; the services own the
rules. What a service refuses (`ValidationFailed`) comes back onto the form's fields through
`ServiceForm.add_domain_error`, so the API and the pages answer a bad value the same way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account, Contact, Industry
from kadence.core.errors import DomainError
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import assignable_users, can_choose_owner, visible_units, visible_users


class ServiceForm(forms.Form):
    """A form whose cleaned data feeds a service call.

    `service_fields` maps service keyword → form field; `service_kwargs()` builds the call's
    keywords and `add_domain_error()` puts a service's field errors back next to the fields.
    """

    service_fields: dict[str, str] = {}

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data[name] for key, name in self.service_fields.items() if name in data}

    def _field_for(self, key: str) -> str | None:
        for service_key, name in self.service_fields.items():
            if service_key == key and name in self.fields:
                return name
        for candidate in (key, key.removesuffix("_id"), key.removesuffix("_ids") + "s"):
            if candidate in self.fields:
                return candidate
        return None

    def add_domain_error(self, exc: DomainError) -> None:
        """Show `exc`: its detail above the form, its per-field messages next to the fields."""
        self.add_error(None, exc.detail)
        for key, messages in (getattr(exc, "errors", None) or {}).items():
            name = self._field_for(key)
            if name is None:
                continue
            for message in messages:
                # add_error drops the field from cleaned_data; fine, the form is re-rendered anyway.
                if name in self.fields:
                    self.add_error(name, message)

    def conflict_rows(self, current: Any) -> list[tuple[str, str, str]]:
        """(label, value saved now, value in this form) for every field where they differ: what the
        user must look at before saving over someone else's change."""
        rows = []
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.HiddenInput) or name not in self.cleaned_data:
                continue
            attr = name if hasattr(current, name) else None
            if attr is None:
                continue
            saved, mine = getattr(current, attr), self.cleaned_data[name]
            if hasattr(saved, "all"):  # a many-to-many: the form compares it itself
                continue
            if _display(field, saved) != _display(field, mine):
                rows.append((str(field.label), _display(field, saved), _display(field, mine)))
        return rows


def _display(field: forms.Field, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if value in (None, ""):
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    choices = dict(getattr(field, "choices", []) or [])
    if isinstance(value, list | tuple):
        return ", ".join(str(choices.get(v, v)) for v in value) or "—"
    return str(choices.get(value, value))


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.label


def assignable_owners(user: User):
    """People `user` may hand an account to (core.visibility decides), by name."""
    return assignable_users(user).order_by("display_name", "username")


def may_choose_owner(user: User) -> bool:
    return can_choose_owner(user)


class AccountForm(ServiceForm):
    """Create or edit an account. `owner` is offered only to managers and above."""

    service_fields = {
        "name": "name",
        "industry_id": "industry",
        "region_id": "region",
        "address": "address",
        "size": "size",
        "status": "status",
        "buying_power": "buying_power",
        "currency": "currency",
        "notes": "notes",
    }

    name = forms.CharField(label=_("name"), max_length=200)
    industry = forms.ModelChoiceField(label=_("industry"), queryset=Industry.objects.all())
    region = forms.ModelChoiceField(label=_("region"), queryset=OrgUnit.objects.none())
    address = forms.CharField(label=_("address"), max_length=300, required=False)
    size = forms.ChoiceField(label=_("size"), choices=Account.Size.choices)
    status = forms.ChoiceField(label=_("business status"), choices=Account.Status.choices)
    # No min_value: the service decides what is in range; the widget only hints the browser.
    buying_power = forms.DecimalField(
        label=_("annual buying power (BP)"),
        required=False,
        max_digits=20,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
    )
    currency = forms.CharField(
        label=_("currency"), max_length=3, initial="CNY", widget=forms.TextInput(attrs={"size": "4"})
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    owner = UserChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, with_owner: bool, with_version: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = visible_units(user).filter(kind=OrgUnit.Kind.REGION)
        if with_owner:
            self.fields["owner"].queryset = assignable_owners(user)
            self.fields["owner"].empty_label = None
        else:
            del self.fields["owner"]
        if not with_version:
            del self.fields["version"]
        else:
            self.fields["version"].required = True

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        kwargs["industry_id"] = kwargs["industry_id"].pk
        kwargs["region_id"] = kwargs["region_id"].pk
        if kwargs.get("buying_power") is None:
            kwargs["buying_power"] = 0
        owner = self.cleaned_data.get("owner")
        if owner is not None:
            kwargs["owner_id"] = owner.pk
        if "version" in self.fields:
            kwargs["version"] = self.cleaned_data["version"]
        return kwargs

    @staticmethod
    def initial_for(account: Account) -> dict[str, Any]:
        return {
            "name": account.name,
            "industry": account.industry_id,
            "region": account.region_id,
            "address": account.address,
            "size": account.size,
            "status": account.status,
            "buying_power": account.buying_power,
            "currency": account.currency,
            "notes": account.notes,
            "owner": account.owner_id,
            "version": account.version,
        }


class ContactForm(ServiceForm):
    """Create or edit a contact: who they are, their part in the buying decision, their profile."""

    service_fields = {
        name: name
        for name in (
            "name",
            "title",
            "phone",
            "email",
            "buying_roles",
            "attitude",
            "influence",
            "ambitions",
            "character",
            "preferences",
            "strengths",
            "notes",
        )
    }

    name = forms.CharField(label=_("name"), max_length=100)
    title = forms.CharField(label=_("title"), max_length=100, required=False)
    phone = forms.CharField(label=_("phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    buying_roles = forms.MultipleChoiceField(
        label=_("buying roles"),
        choices=Contact.BuyingRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attitude = forms.ChoiceField(
        label=_("attitude"),
        choices=Contact.Attitude.choices,
        initial=Contact.Attitude.NEUTRAL,
        widget=forms.RadioSelect,
    )
    influence = forms.ChoiceField(
        label=_("influence"),
        choices=Contact.Influence.choices,
        initial=Contact.Influence.MEDIUM,
        widget=forms.RadioSelect,
    )
    ambitions = forms.CharField(
        label=_("ambitions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    character = forms.CharField(
        label=_("character"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    preferences = forms.CharField(
        label=_("preferences"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    strengths = forms.CharField(
        label=_("strengths"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, with_version: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not with_version:
            del self.fields["version"]
        else:
            self.fields["version"].required = True

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        if "version" in self.fields:
            kwargs["version"] = self.cleaned_data["version"]
        return kwargs

    @staticmethod
    def initial_for(contact: Contact) -> dict[str, Any]:
        initial = {name: getattr(contact, name) for name in ContactForm.service_fields}
        initial["version"] = contact.version
        return initial


class AccountFilterForm(forms.Form):
    """The account list's filters, parsed leniently: a bad value means "any", never an error page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or address")}),
    )
    industry = forms.ModelChoiceField(
        label=_("industry"), queryset=Industry.objects.all(), required=False, empty_label=_("All")
    )
    region = forms.ModelChoiceField(
        label=_("region"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    owner = UserChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("business status"), required=False, choices=[("", _("All"))] + list(Account.Status.choices)
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = visible_units(user).filter(kind=OrgUnit.Kind.REGION)
        self.fields["owner"].queryset = visible_users(user).order_by("display_name", "username")

    def value_of(self, name: str) -> Any:
        """The cleaned value of one filter, or empty when it did not parse."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None
