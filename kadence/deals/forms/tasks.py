"""Forms of the tasks page: complete a task (how the standard was met), reopen it, reassign it or move
its due date, add an ad-hoc task. The rules live in kadence.deals.services.tasks."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.core.formfields import DateField, choice_field
from kadence.core.validation import MAX_ID
from kadence.pipeline.models import DealRole


class TaskCompleteForm(forms.Form):
    note = forms.CharField(
        label=_("How the standard was met"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("How the standard was met")}),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TaskReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TaskUpdateForm(forms.Form):
    """Reassign and/or move the due date; an empty due date clears it."""

    assignee = forms.IntegerField(label=_("Assignee"), min_value=1, max_value=MAX_ID)
    due_on = DateField(label=_("Due"), required=False)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TaskAddForm(forms.Form):
    name = forms.CharField(label=_("Task"), max_length=200)
    standard = forms.CharField(
        label=_("Completion standard"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=DealRole.objects.order_by("order", "code"), required=False
    )
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None)
    due_on = DateField(label=_("Due"), required=False)

    def __init__(self, *args, assignable=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "assignee").choices = [("", _("By role, or me"))] + [
            (u.pk, str(u)) for u in assignable
        ]
