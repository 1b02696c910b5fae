"""The one form-error adapter and the one conflict pattern (kadence.core.prg): a service's refusal on
its form, and a stale write shown as what is saved now beside what the user typed."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django import forms

from kadence.core.errors import ValidationFailed
from kadence.core.prg import conflict_rows, field_for, place_error, place_field_errors, rebase


class DealForm(forms.Form):
    account = forms.IntegerField()
    name = forms.CharField()
    amount = forms.DecimalField()
    contacts = forms.TypedMultipleChoiceField(coerce=int, choices=[(1, "Wang"), (2, "Li")], required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ScopedForm(forms.Form):
    scope = forms.CharField()
    service_fields = {"unit_id": "scope"}


class OwnNamesForm(forms.Form):
    note = forms.CharField()

    def error_field(self, key: str) -> str | None:
        return "note" if key.startswith("answers.") else None


def _bound(form_class=DealForm, **data):
    values = {"account": "3", "name": "Substation", "amount": "100", "version": "1", **data}
    form = form_class(values)
    form.is_valid()
    return form


def test_field_for_finds_the_field_a_service_key_names():
    form = DealForm()
    assert field_for(form, "account_id") == "account"
    assert field_for(form, "contact_ids") == "contacts"
    assert field_for(form, "name") == "name"
    assert field_for(form, "unknown") is None
    assert field_for(ScopedForm(), "unit_id") == "scope"  # the form's service_fields
    assert field_for(OwnNamesForm(), "answers.C3.note") == "note"  # the form's own error_field
    assert field_for(OwnNamesForm(), "note") is None


def test_place_error_puts_the_detail_above_and_each_message_by_its_field():
    form = _bound()
    error = ValidationFailed("Check the deal.", {"account_id": ["Not yours."], "stage_id": ["Closed."]})
    place_error(form, error)
    assert form.errors["account"] == ["Not yours."]
    assert form.non_field_errors() == ["Check the deal.", "Closed."]  # no field for stage: above


def test_a_page_that_shows_the_detail_itself_gets_only_the_messages():
    form = _bound()
    place_field_errors(form, ValidationFailed("Check the deal.", {"name": ["Too short."]}))
    assert form.errors["name"] == ["Too short."] and form.non_field_errors() == []


def test_a_field_showing_its_own_error_keeps_it():
    form = _bound(amount="x")
    place_error(form, ValidationFailed("No.", {"amount": ["Too much."]}), detail=False)
    assert len(form.errors["amount"]) == 1 and "Too much." not in form.errors["amount"]


def test_rebase_sets_the_version_the_user_now_sees():
    form = rebase(_bound(), 7)
    assert form["version"].value() == "7"


def test_conflict_rows_show_what_is_saved_now_where_the_input_differs():
    form = _bound(name="Substation", amount="100", contacts=["2"])
    saved = SimpleNamespace(
        account=3,
        name="Substation",
        amount=Decimal("140000"),
        version=2,
        contacts=SimpleNamespace(all=lambda: [SimpleNamespace(pk=1)]),
    )
    assert conflict_rows(form, saved) == [
        ("Amount", "140,000.00", "100.00"),
        ("Contacts", "Wang", "Li"),
    ]  # the hidden version is no difference to show
