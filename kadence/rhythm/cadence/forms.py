"""Page forms of the cadence and the debriefs: they only parse what the browser sends; the services
own the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.activities.models import Activity
from kadence.core.formfields import DateField
from kadence.core.validation import MAX_ID, MAX_VERSION
from kadence.rhythm.cadence.models import CadenceItem, Debrief
from kadence.rhythm.cadence.services import NEXT_STEP_MAX, NOTE_MAX

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class ReviewForm(forms.Form):
    opportunity_id = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    account_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    reviewed_on = DateField(label=_("Reviewed on"), required=False)
    work_done = forms.CharField(
        label=_("What was done"), required=False, max_length=NOTE_MAX, widget=TEXTAREA
    )
    progress = forms.CharField(label=_("Progress"), required=False, max_length=NOTE_MAX, widget=TEXTAREA)
    problems = forms.CharField(label=_("Problems"), required=False, max_length=NOTE_MAX, widget=TEXTAREA)


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("How is it progressing?"), max_length=NOTE_MAX, widget=TEXTAREA)
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)


class JudgementForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Judgement"),
        choices=[
            (CadenceItem.Outcome.CONTINUE, _("Continue, with a dated next step")),
            (CadenceItem.Outcome.DOWNGRADE, _("Downgrade")),
            (CadenceItem.Outcome.STOP, _("Stop investing / close lost")),
        ],
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=NEXT_STEP_MAX)
    next_step_on = DateField(label=_("Next step date"), required=False)
    activity_kind = forms.ChoiceField(label=_("Planned as"), choices=Activity.Kind.choices, required=False)
    loss_reason_id = forms.IntegerField(label=_("Loss reason"), required=False, min_value=1, max_value=MAX_ID)
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX, widget=TEXTAREA)
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)


class DebriefForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Debrief.Kind.choices)
    held_on = DateField(label=_("Date"))
    rep_id = forms.IntegerField(label=_("Rep"), min_value=1, max_value=MAX_ID)
    account_id = forms.IntegerField(label=_("Account id"), required=False, min_value=1, max_value=MAX_ID)
    opportunity_id = forms.IntegerField(label=_("Deal id"), required=False, min_value=1, max_value=MAX_ID)
    customer_situation = forms.CharField(
        label=_("The customer's real situation"), required=False, max_length=NOTE_MAX, widget=TEXTAREA
    )
    rep_ability = forms.CharField(
        label=_("The rep's real ability"), required=False, max_length=NOTE_MAX, widget=TEXTAREA
    )
    market_conditions = forms.CharField(
        label=_("Market conditions"), required=False, max_length=NOTE_MAX, widget=TEXTAREA
    )
    coaching = forms.CharField(
        label=_("Coaching given"), required=False, max_length=NOTE_MAX, widget=TEXTAREA
    )
    findings = forms.CharField(label=_("Findings"), required=False, max_length=NOTE_MAX, widget=TEXTAREA)
    actions = forms.CharField(label=_("Actions"), required=False, max_length=NOTE_MAX, widget=TEXTAREA)
