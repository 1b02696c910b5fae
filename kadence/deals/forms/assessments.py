"""Page forms of deal assessments: the C139 form (13 items × status, contact, date, note) and the bid /
no-bid form. They only parse and present input; the rules live in kadence.deals.services.assessments,
whose field errors ("answers.C3.confirmed_on", "note", …) come back onto the matching fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Contact
from kadence.core.formfields import DateField
from kadence.core.widgets import DateInput
from kadence.deals.models import BidAssessment, C139Answer, C139Assessment, C139Question
from kadence.domain import bid as bid_domain

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ITEM_STATUS = [
    (C139Answer.Status.CONFIRMED, _("Confirmed")),
    (C139Answer.Status.UNKNOWN, _("Unknown")),
    (C139Answer.Status.NEGATIVE, _("Negative")),
]
# W1 asks whether the top decision maker is with us: the same codes read for / unknown / against.
WIN_STATUS = [
    (C139Answer.Status.CONFIRMED, _("For us")),
    (C139Answer.Status.UNKNOWN, _("Unknown")),
    (C139Answer.Status.NEGATIVE, _("Against us")),
]
PARTS = ("status", "contact", "date", "note")


class C139Form(forms.Form):
    """One row per item, fields named "<code>-status", "<code>-contact", "<code>-date", "<code>-note",
    plus the assessment's note. Pre-filled from the latest assessment when given."""

    note = forms.CharField(
        label=_("Note on this assessment"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        questions: Iterable[C139Question],
        contacts: Iterable[Contact],
        latest: C139Assessment | None = None,
        **kwargs: Any,
    ) -> None:
        self.questions = list(questions)
        choices = [("", "—")] + [(str(c.pk), str(c)) for c in contacts]
        if latest is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(latest)
        super().__init__(*args, **kwargs)
        for q in self.questions:
            self.fields[f"{q.code}-status"] = forms.ChoiceField(
                label=_("Status"),
                choices=WIN_STATUS if q.tier == C139Question.Tier.WIN else ITEM_STATUS,
                initial=C139Answer.Status.UNKNOWN,
                widget=forms.Select(attrs={"data-testid": f"c139-{q.code}-status"}),
            )
            self.fields[f"{q.code}-contact"] = forms.TypedChoiceField(
                label=_("Confirmed with"),
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.Select(attrs={"data-testid": f"c139-{q.code}-contact"}),
            )
            self.fields[f"{q.code}-date"] = DateField(
                label=_("Confirmed on"),
                required=False,
                widget=DateInput(attrs={"data-testid": f"c139-{q.code}-date"}),
            )
            self.fields[f"{q.code}-note"] = forms.CharField(
                label=_("Note"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"data-testid": f"c139-{q.code}-note"}),
            )

    @staticmethod
    def initial_from(latest: C139Assessment) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for answer in latest.answers.all():
            initial[f"{answer.item}-status"] = answer.status
            initial[f"{answer.item}-contact"] = str(answer.confirmed_with_id or "")
            initial[f"{answer.item}-date"] = answer.confirmed_on
            initial[f"{answer.item}-note"] = answer.note
        return initial

    def rows(self) -> list[dict[str, Any]]:
        """The items in order with their bound fields, for the template."""
        return [{"question": q, **{part: self[f"{q.code}-{part}"] for part in PARTS}} for q in self.questions]

    def by_tier(self) -> list[tuple[str, StrOrPromise, list[dict[str, Any]]]]:
        """(tier code, label, rows) in the order Clear, First, Win."""
        labels = dict(C139Question.Tier.choices)
        rows = self.rows()
        return [
            (tier, labels[tier], [r for r in rows if r["question"].tier == tier])
            for tier in C139Question.Tier.values
            if any(r["question"].tier == tier for r in rows)
        ]

    def answers(self) -> dict[str, dict[str, Any]]:
        data = self.cleaned_data
        return {
            q.code: {
                "status": data.get(f"{q.code}-status") or C139Answer.Status.UNKNOWN,
                "confirmed_with_id": data.get(f"{q.code}-contact"),
                "confirmed_on": data.get(f"{q.code}-date"),
                "note": data.get(f"{q.code}-note") or "",
            }
            for q in self.questions
        }

    def error_field(self, key: str) -> str | None:
        """The field a service's error key names (kadence.core.prg.field_for): "answers.C3.confirmed_on"
        and the like are "C3-date"; anything else goes above the form."""
        names = {"status": "status", "confirmed_with_id": "contact", "confirmed_on": "date", "note": "note"}
        parts = key.split(".")
        field = None
        if len(parts) == 3 and parts[0] == "answers" and parts[2] in names:
            field = f"{parts[1]}-{names[parts[2]]}"
        elif key == "note":
            field = "note"
        return field if field in self.fields else None


ANSWER_CHOICES = [(1, "+1"), (0, "0"), (-1, "−1")]


class BidForm(forms.Form):
    """The bid / no-bid form: buyer type, four questions (+1 / 0 / −1), the pursue-type conditions
    and abandon-type signs, the decision, its deadline (for "qualify further") and a note."""

    buyer_type = forms.ChoiceField(
        label=_("Buyer type"),
        choices=BidAssessment.BuyerType.choices,
        initial=BidAssessment.BuyerType.ENTERPRISE,
    )
    real_opportunity = forms.TypedChoiceField(
        label=_("Is there a real opportunity?"),
        help_text=_("Scope, funding, urgency."),
        choices=ANSWER_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    can_compete = forms.TypedChoiceField(
        label=_("Can we compete?"), choices=ANSWER_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    can_win = forms.TypedChoiceField(
        label=_("Can we win?"), choices=ANSWER_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    worth_winning = forms.TypedChoiceField(
        label=_("Is it worth winning?"),
        help_text=_("Revenue, margin, strategic value."),
        choices=ANSWER_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    meets_minimum_spec = forms.BooleanField(
        label=_("Our product meets the minimum technical requirements"), required=False
    )
    close_relationship = forms.BooleanField(
        label=_("We (or our distributor) have a close relationship with the buyer"), required=False
    )
    genuine_competition = forms.BooleanField(
        label=_("The purchase seeks genuine best-value competition"), required=False
    )
    spec_biased = forms.BooleanField(
        label=_("Technical parameters are unreasonable (written for a competitor)"), required=False
    )
    relationship_vague = forms.BooleanField(
        label=_("The relationship with the buyer is vague"), required=False
    )
    competitor_advantage = forms.BooleanField(label=_("A competitor's advantage is obvious"), required=False)
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=BidAssessment.Outcome.choices, widget=forms.RadioSelect
    )
    qualify_by = DateField(
        label=_("Qualify further by"),
        required=False,
        help_text=_("Only for “qualify further”; empty: the policy's default deadline."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when your decision differs from the suggestion."),
    )

    QUESTIONS = bid_domain.QUESTIONS
    CONDITIONS = bid_domain.PURSUE_CONDITIONS
    SIGNS = bid_domain.ABANDON_SIGNS

    @staticmethod
    def initial_from(latest: BidAssessment) -> dict[str, Any]:
        names = (
            ("buyer_type",) + bid_domain.QUESTIONS + bid_domain.PURSUE_CONDITIONS + bid_domain.ABANDON_SIGNS
        )
        initial = {name: getattr(latest, name) for name in names}
        initial["outcome"] = latest.outcome
        return initial

    def questions(self) -> list[forms.BoundField]:
        return [self[name] for name in self.QUESTIONS]

    def conditions(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONDITIONS]

    def signs(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SIGNS]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["note"] = data.get("note") or ""
        return data
