"""Page forms of the buying centre: add a contact, edit a member. They only parse input; the rules
live in kadence.deals.services.buying_centre."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Contact
from kadence.core.formfields import DateField
from kadence.core.validation import MAX_ID
from kadence.deals.models import BuyingCentreMember

FROM_CONTACT = [("", _("As on the contact"))]


class MemberFields(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Buying roles"),
        choices=Contact.BuyingRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_key = forms.BooleanField(label=_("Key contact"), required=False)
    last_contact_on = DateField(label=_("Last contact"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def member_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "roles": data["roles"],
            "is_key": data["is_key"],
            "last_contact_on": data["last_contact_on"],
            "note": data["note"],
        }


class MemberAddForm(MemberFields):
    """Empty roles, attitude or influence: copied from the contact's record."""

    # Choices are only shown: the service decides which contacts may join (visible, of the account, not in yet).
    contact_id = forms.IntegerField(label=_("Contact"), min_value=1, widget=forms.Select, max_value=MAX_ID)
    attitude = forms.ChoiceField(
        label=_("Attitude"), choices=FROM_CONTACT + list(Contact.Attitude.choices), required=False
    )
    influence = forms.ChoiceField(
        label=_("Influence"), choices=FROM_CONTACT + list(Contact.Influence.choices), required=False
    )
    field_order = ["contact_id", "roles", "attitude", "influence", "is_key", "last_contact_on", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].help_text = _("Leave empty to take the roles recorded on the contact.")

    def offer(self, candidates: list[Contact]) -> None:
        """The contacts the select lists."""
        self.fields["contact_id"].widget.choices = [("", "—")] + [
            (c.pk, f"{c.name} · {c.title}" if c.title else c.name) for c in candidates
        ]

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = self.member_values()
        values.update(
            contact_id=data["contact_id"],
            roles=data["roles"] or None,
            attitude=data["attitude"] or None,
            influence=data["influence"] or None,
        )
        return values


class MemberEditForm(MemberFields):
    attitude = forms.ChoiceField(label=_("Attitude"), choices=Contact.Attitude.choices)
    influence = forms.ChoiceField(label=_("Influence"), choices=Contact.Influence.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    field_order = ["roles", "attitude", "influence", "is_key", "last_contact_on", "note"]

    @classmethod
    def for_member(cls, member: BuyingCentreMember, data: Any = None) -> MemberEditForm:
        initial = {
            "roles": list(member.roles or []),
            "attitude": member.attitude,
            "influence": member.influence,
            "is_key": member.is_key,
            "last_contact_on": member.last_contact_on,
            "note": member.note,
            "version": member.version,
        }
        return cls(data, initial=initial, prefix=f"m{member.pk}")

    def service_values(self) -> dict[str, Any]:
        values = self.member_values()
        values.update(attitude=self.cleaned_data["attitude"], influence=self.cleaned_data["influence"])
        return values
