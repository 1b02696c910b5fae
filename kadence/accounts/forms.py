"""Page forms for accounts and contacts.

Forms only parse what the browser sends into the types the services take; the services own the
rules. What a service refuses (`ValidationFailed`) comes back onto the form's fields through
kadence.core.prg.place_error (by `service_fields`), so the API and the pages answer a bad value the
same way.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account, Contact, Industry
from kadence.accounts.selectors import SORTS, AccountFilters
from kadence.core.formfields import model_choice_field
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import (
    assignable_users,
    can_choose_owner,
    list_owners,
    visible_units,
)


class ServiceForm(forms.Form):
    """A form whose cleaned data feeds a service call.

    `service_fields` maps service keyword → form field: `service_kwargs()` builds the call's
    keywords from it, and kadence.core.prg.place_error puts a service's field errors back next to
    the fields by it.
    """

    service_fields: dict[str, str] = {}

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data[name] for key, name in self.service_fields.items() if name in data}


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
        "credit_code": "credit_code",
        "parent_id": "parent",
    }

    name = forms.CharField(
        label=_("name"),
        max_length=200,
        widget=forms.TextInput(
            attrs={
                # duplicate detection as the user types (kadence.accounts.duplicates)
                "hx-get": reverse_lazy("account_duplicates"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#account-duplicates",
                "hx-include": "[name=credit_code]",
                "autocomplete": "off",
            }
        ),
    )
    credit_code = forms.CharField(
        label=_("unified social credit code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("account_duplicates"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#account-duplicates",
                "hx-include": "[name=name]",
            }
        ),
    )
    parent = forms.IntegerField(
        label=_("parent account (group)"),
        required=False,
        min_value=1,
        help_text=_("The number (ID) of the group or company this account belongs to; empty: none."),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Create it even though an account has this credit code"), required=False
    )
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
        model_choice_field(self, "region").queryset = visible_units(user).filter(kind=OrgUnit.Kind.REGION)
        if with_owner:
            model_choice_field(self, "owner").queryset = assignable_owners(user)
            model_choice_field(self, "owner").empty_label = None
        else:
            del self.fields["owner"]
        if not with_version:
            del self.fields["version"]
        else:
            self.fields["version"].required = True
            del self.fields["confirm_duplicate"]

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        kwargs["industry_id"] = kwargs["industry_id"].pk
        kwargs["region_id"] = kwargs["region_id"].pk
        if kwargs.get("buying_power") is None:
            kwargs["buying_power"] = 0
        owner = self.cleaned_data.get("owner")
        if owner is not None:
            kwargs["owner_id"] = owner.pk
        if "confirm_duplicate" in self.fields:
            kwargs["confirm_duplicate"] = bool(self.cleaned_data.get("confirm_duplicate"))
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
            "credit_code": account.credit_code,
            "parent": account.parent_id,
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
        model_choice_field(self, "region").queryset = visible_units(user).filter(kind=OrgUnit.Kind.REGION)
        model_choice_field(self, "owner").queryset = list_owners(user).order_by("display_name", "username")

    def value_of(self, name: str) -> Any:
        """The cleaned value of one filter, or empty when it did not parse."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None

    def filters(self) -> AccountFilters:
        """The filters as the selectors take them (the list page and its export read the same)."""
        industry, region, owner = self.value_of("industry"), self.value_of("region"), self.value_of("owner")
        return AccountFilters(
            q=(self.value_of("q") or "").strip(),
            industry_id=industry.pk if industry else None,
            region_id=region.pk if region else None,
            owner_id=owner.pk if owner else None,
            status=self.value_of("status") or "",
        )

    def ordering(self) -> str:
        """The list's order (an unknown one: by name)."""
        sort = self.value_of("sort") or "name"
        return sort if sort in SORTS else "name"
