"""Page forms of the pipeline: list and board filters, the opportunity form, and the small action
forms (move, close, reopen, reassign, deal team). Forms only parse and present input; the rules live
in kadence.pipeline.services, whose ValidationFailed errors come back onto these forms."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.core.formfields import DateField, choice_field
from kadence.core.i18n import in_language
from kadence.core.models import OrgUnit, User
from kadence.core.validation import MAX_ID, MAX_VERSION
from kadence.core.visibility import (
    assignable_users,
    list_owners,
    visible_accounts,
    visible_units,
    visible_users,
)
from kadence.pipeline.models import (
    Competitor,
    DealRole,
    ForecastCategory,
    LossReason,
    Opportunity,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    Stage,
    StagingFlag,
)
from kadence.pipeline.selectors import OpportunityFilters

ANY = [("", _("Any"))]
ACCOUNT_CHOICES_LIMIT = 500
USER_CHOICES_LIMIT = 1000


def _name(row: Mapping[str, Any], prefix: str = "") -> str:
    return in_language(row[f"{prefix}name_zh"], row[f"{prefix}name_en"])


def _user_label(row: dict) -> str:
    return (
        row["display_name"]
        or " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        or row["username"]
    )


def user_choices(qs) -> list[tuple[int, str]]:
    rows = qs.order_by("display_name", "username").values(
        "id", "display_name", "first_name", "last_name", "username"
    )
    return [(r["id"], _user_label(r)) for r in rows[:USER_CHOICES_LIMIT]]


def unit_choices(user: User) -> list[tuple[int, str]]:
    rows = (
        visible_units(user)
        .exclude(kind=OrgUnit.Kind.COMPANY)
        .order_by("path")
        .values("id", "name_zh", "name_en", "path")
    )
    return [(r["id"], "\u2003" * max(0, r["path"].count("/") - 3) + _name(r)) for r in rows]


def stage_choices(template_id: int | None = None) -> list:
    """Stages grouped by template (one query); only `template_id`'s when given."""
    qs = Stage.objects.filter(template__is_active=True)
    if template_id:
        qs = qs.filter(template_id=template_id)
    rows = qs.order_by("-template__is_default", "template__code", "order").values(
        "id", "order", "name_zh", "name_en", "template_id", "template__name_zh", "template__name_en"
    )
    groups: dict[int, tuple[str, list]] = {}
    for r in rows:
        label = _name(r, "template__")
        groups.setdefault(r["template_id"], (label, []))[1].append((r["id"], f"{r['order']}. {_name(r)}"))
    if len(groups) == 1:
        return next(iter(groups.values()))[1]
    return list(groups.values())  # [(template label, [(id, label), ...]), ...], default template first


def template_choices() -> list[tuple[int, str]]:
    rows = (
        ProcessTemplate.objects.filter(is_active=True)
        .order_by("-is_default", "code")
        .values("id", "name_zh", "name_en")
    )
    return [(r["id"], _name(r)) for r in rows]


def named_choices(model) -> list[tuple[int, str]]:
    return [(r["id"], _name(r)) for r in model.objects.values("id", "name_zh", "name_en")]


class OpportunityFilterForm(forms.Form):
    """The opportunity list's filters (all optional; an invalid value is ignored and flagged)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or account")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=ANY + list(Opportunity.Status.choices)
    )
    template = forms.TypedChoiceField(label=_("Process"), required=False, coerce=int, empty_value=None)
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int, empty_value=None)
    level = forms.TypedChoiceField(label=_("Level"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    forecast_category = forms.ChoiceField(
        label=_("Forecast category"), required=False, choices=ANY + list(ForecastCategory.choices)
    )
    product_line = forms.TypedChoiceField(
        label=_("Product line"), required=False, coerce=int, empty_value=None
    )
    staging = forms.ChoiceField(label=_("Staging"), required=False, choices=ANY + list(StagingFlag.choices))
    close_from = DateField(label=_("Close from"), required=False)
    close_to = DateField(label=_("Close to"), required=False)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "template").choices = [*ANY, *template_choices()]
        choice_field(self, "stage").choices = [*ANY, *stage_choices()]
        choice_field(self, "level").choices = ANY + [
            (lv.pk, str(lv)) for lv in ProbabilityLevel.objects.all()
        ]
        choice_field(self, "owner").choices = [*ANY, *user_choices(list_owners(user))]
        choice_field(self, "team").choices = [*ANY, *unit_choices(user)]
        choice_field(self, "product_line").choices = [*ANY, *named_choices(ProductLine)]

    def filters(self) -> OpportunityFilters:
        self.is_valid()
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return OpportunityFilters(
            q=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            template_id=data.get("template"),
            stage_id=data.get("stage"),
            level_id=data.get("level"),
            owner_id=data.get("owner"),
            team_id=data.get("team"),
            forecast_category=data.get("forecast_category") or "",
            product_line_id=data.get("product_line"),
            close_from=data.get("close_from"),
            close_to=data.get("close_to"),
            staging=data.get("staging") or "",
        )


class BoardFilterForm(forms.Form):
    template = forms.TypedChoiceField(label=_("Process"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "template").choices = template_choices()
        choice_field(self, "owner").choices = [*ANY, *user_choices(list_owners(user))]
        choice_field(self, "team").choices = [*ANY, *unit_choices(user)]

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return getattr(self, "cleaned_data", {})


class AmountField(forms.CharField):
    """Money as typed by people: "1,200,000", "1 200 000" or "¥1200000" all mean 1200000. The
    service validates the number."""

    def to_python(self, value):
        text = super().to_python(value)
        for junk in (",", " ", "\u00a0", "¥", "￥", "，"):
            text = text.replace(junk, "")
        return text


class OpportunityForm(forms.Form):
    """Create (with account, process, first stage and owner) or edit (with the version read)."""

    account = forms.TypedChoiceField(label=_("Account"), coerce=int, empty_value=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    amount = AmountField(
        label=_("Amount"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="CNY",
        widget=forms.TextInput(attrs={"size": 4, "autocomplete": "off"}),
    )
    expected_close_date = DateField(label=_("Expected close date"))
    forecast_category = forms.ChoiceField(label=_("Forecast category"), required=False)
    template = forms.TypedChoiceField(label=_("Process"), coerce=int, empty_value=None, required=False)
    stage = forms.TypedChoiceField(label=_("Starting stage"), coerce=int, empty_value=None, required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, empty_value=None, required=False)
    product_lines = forms.TypedMultipleChoiceField(
        label=_("Product lines"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    competitors = forms.TypedMultipleChoiceField(
        label=_("Competitors"), coerce=int, required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        required=False,
        help_text=_("Optional; kept in the audit trail."),
    )

    CREATE_ONLY = ("account", "template", "stage", "owner")
    EDIT_ONLY = ("version", "reason")

    def __init__(
        self,
        user: User,
        *args,
        opportunity: Opportunity | None = None,
        account_q: str = "",
        preselected_account=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        editing = opportunity is not None
        for name in self.EDIT_ONLY if not editing else self.CREATE_ONLY:
            del self.fields[name]
        if editing:
            self.fields["version"].required = True
            choice_field(self, "forecast_category").choices = list(ForecastCategory.choices)
        else:
            choice_field(self, "forecast_category").choices = [
                ("", _("Default of the stage's level"))
            ] + list(ForecastCategory.choices)
            choice_field(self, "account").choices = [
                ("", "—"),
                *self._account_choices(user, account_q, preselected_account),
            ]
            choice_field(self, "template").choices = template_choices()
            choice_field(self, "stage").choices = [("", _("First stage"))] + stage_choices()
            owners = user_choices(assignable_users(user))
            if owners:
                if user.pk not in {pk for pk, _label in owners}:
                    owners = [(user.pk, str(user)), *owners]
                choice_field(self, "owner").choices = owners
                self.fields["owner"].initial = user.pk
            else:
                del self.fields["owner"]  # a rep opens deals for themselves
        choice_field(self, "product_lines").choices = named_choices(ProductLine)
        choice_field(self, "competitors").choices = list(Competitor.objects.values_list("id", "name"))

    @staticmethod
    def _account_choices(user: User, account_q: str, preselected) -> list[tuple[int, str]]:
        qs = visible_accounts(user)
        if account_q:
            qs = qs.filter(name__icontains=account_q)
        rows = list(qs.order_by("name", "id").values_list("id", "name")[:ACCOUNT_CHOICES_LIMIT])
        if preselected is not None and preselected.pk not in {pk for pk, _n in rows}:
            rows.insert(0, (preselected.pk, preselected.name))
        return rows

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        values: dict[str, Any] = {
            "name": d["name"],
            "amount": d["amount"],
            "currency": d["currency"],
            "expected_close_date": d["expected_close_date"],
            "next_step": d.get("next_step") or "",
            "description": d.get("description") or "",
            "product_line_ids": d.get("product_lines") or [],
            "competitor_ids": d.get("competitors") or [],
        }
        if self.opportunity is None:
            values.update(
                account_id=d["account"],
                template_id=d.get("template"),
                stage_id=d.get("stage"),
                forecast_category=d.get("forecast_category") or None,
            )
            if "owner" in self.fields:
                values["owner_id"] = d.get("owner")
        else:
            values.update(
                version=d["version"],
                reason=d.get("reason") or "",
                forecast_category=d.get("forecast_category"),
            )
        return values

    @classmethod
    def initial_for(cls, opp: Opportunity) -> dict[str, Any]:
        amount: Decimal = opp.amount
        shown = f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:f}"
        return {
            "name": opp.name,
            "amount": shown,
            "currency": opp.currency,
            "expected_close_date": opp.expected_close_date,
            "forecast_category": opp.forecast_category,
            "next_step": opp.next_step,
            "description": opp.description,
            "version": opp.version,
            "product_lines": [p.pk for p in opp.product_lines.all()],
            "competitors": [c.pk for c in opp.competitors.all()],
        }


class MoveForm(forms.Form):
    stage_id = forms.IntegerField(label=_("Stage"), min_value=1, max_value=MAX_ID)
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    override = forms.BooleanField(label=_("Advance without evidence (manager override)"), required=False)


class CloseWonForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Note"), max_length=500, required=False)


class CloseLostForm(forms.Form):
    # Optional here on purpose: the service owns the rule "a loss needs a reason" and says so.
    loss_reason = forms.TypedChoiceField(label=_("Loss reason"), coerce=int, empty_value=None, required=False)
    winning_competitor = forms.TypedChoiceField(
        label=_("Winning competitor"), coerce=int, empty_value=None, required=False
    )
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "loss_reason").choices = [("", "—"), *named_choices(LossReason)]
        choice_field(self, "winning_competitor").choices = [("", _("Unknown"))] + list(
            Competitor.objects.values_list("id", "name")
        )


class ReopenForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why reopen?"), max_length=500, required=False)


class ReassignForm(forms.Form):
    # The menu offers the people in the user's scope; who may receive the deal (and who may
    # reassign at all) is the service's rule, so any id is passed on for it to decide.
    owner = forms.IntegerField(label=_("New owner"), widget=forms.Select, min_value=1, max_value=MAX_ID)
    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget.choices = [("", "—"), *user_choices(assignable_users(user))]


class TeamAddForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Person"), coerce=int, empty_value=None)
    role = forms.TypedChoiceField(label=_("Role"), coerce=int, empty_value=None)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "user").choices = [("", "—"), *user_choices(visible_users(user))]
        choice_field(self, "role").choices = [("", "—"), *named_choices(DealRole)]


class TeamRemoveForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
