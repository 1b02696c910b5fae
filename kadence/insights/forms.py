"""Page forms of the reports: the scope and slice of the funnel and the analysis, the ideal funnel's
controls, and the outcome posted for a stalled deal. Forms only parse what the browser sends; the
selectors and services own the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.core.formfields import DateField, MoneyField
from kadence.core.models import User
from kadence.core.validation import MAX_ID, MAX_VERSION
from kadence.core.visibility import can_choose_report_scope, scope_choices, scope_unit_ids
from kadence.deals.models import StallAction
from kadence.insights.services.stall import NEXT_STEP_MAX_LENGTH
from kadence.pipeline.models import ProcessTemplate
from kadence.planning.models import PeriodKind


class ScopeForm(forms.Form):
    unit_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    owner_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class FunnelForm(ScopeForm):
    template_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    as_of = DateField(required=False, input_formats=["%Y-%m-%d"])
    product_line_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    industry_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    account_size = forms.ChoiceField(required=False, choices=[("", ""), *Account.Size.choices])
    measure = forms.ChoiceField(
        required=False, choices=[("count", gettext_lazy("Deals")), ("amount", gettext_lazy("Amount"))]
    )


class IdealForm(forms.Form):
    """The ideal-funnel page's controls (GET): scope, template, period, and numbers to try."""

    # Plain ids (the selects only offer what is in reach): a unit or seller out of reach is a 404, as
    # in the API, not a form error.
    unit_id = forms.IntegerField(
        label=gettext_lazy("Unit"), required=False, min_value=1, max_value=MAX_ID, widget=forms.Select
    )
    owner_id = forms.IntegerField(
        label=gettext_lazy("Seller"), required=False, min_value=1, max_value=MAX_ID, widget=forms.Select
    )
    template_id = forms.IntegerField(
        label=gettext_lazy("Process"), required=False, min_value=1, max_value=MAX_ID, widget=forms.Select
    )
    period_kind = forms.ChoiceField(label=gettext_lazy("Period"), choices=PeriodKind.choices, required=False)
    period_start = DateField(label=gettext_lazy("Any day of the period"), required=False)
    target = MoneyField(label=gettext_lazy("Try a target"), required=False)
    avg_deal = MoneyField(label=gettext_lazy("Try an average deal size"), required=False, positive=True)
    durations = forms.ChoiceField(
        label=gettext_lazy("Stage durations"),
        required=False,
        choices=[
            ("configured", gettext_lazy("Configured (standard days)")),
            ("learned", gettext_lazy("Learned from history")),
        ],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = scope_choices(user)
        everything = _("Everything in your scope") if scope_unit_ids(user) is not None else _("Company")
        self.fields["unit_id"].widget.choices = [("", everything), *[(u.pk, u.name) for u in choices.units]]
        self.fields["owner_id"].widget.choices = [("", "—"), *[(s.pk, s.label) for s in choices.people]]
        self.fields["template_id"].widget.choices = [
            ("", _("Default process")),
            *[
                (t.pk, t.name)
                for t in ProcessTemplate.objects.filter(is_active=True).order_by("-is_default", "code")
            ],
        ]
        self.show_scope = can_choose_report_scope(user)


class StallActionForm(forms.Form):
    """One of the three outcomes posted from a row; the service checks what each outcome needs."""

    outcome = forms.ChoiceField(choices=StallAction.Outcome.choices)
    next_step = forms.CharField(
        label=gettext_lazy("Next step"), max_length=NEXT_STEP_MAX_LENGTH, required=False
    )
    next_step_on = DateField(label=gettext_lazy("On"), required=False)
    activity_kind = forms.ChoiceField(label=gettext_lazy("As"), choices=Activity.Kind.choices, required=False)
    stage_id = forms.IntegerField(
        label=gettext_lazy("Back to stage"), min_value=1, required=False, max_value=MAX_ID
    )
    loss_reason_id = forms.IntegerField(
        label=gettext_lazy("Loss reason"), min_value=1, required=False, max_value=MAX_ID
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION)
