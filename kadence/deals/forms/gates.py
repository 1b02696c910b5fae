"""Forms of the stage-gates page: attach evidence, approve or revoke, withdraw evidence."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.core.validation import MAX_ID


class EvidenceForm(forms.Form):
    """Proof for a criterion: a file, a link or a note (the service checks that one is given and the
    file's size and type)."""

    criterion_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"), required=False)
    url = forms.CharField(label=_("Link"), max_length=1000, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ApprovalForm(forms.Form):
    criterion_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class EvidenceRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
