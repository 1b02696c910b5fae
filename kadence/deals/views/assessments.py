"""Deal-control pages: the C139 assessment (METHODOLOGY §3) and the bid / no-bid decision (§5).

Each page shows the latest assessment on top, the form pre-filled from it (for whoever may work on
an open deal; read-only otherwise) and the history below. A POST to the same address saves a new
assessment through the service and comes back with a message; refused, it redirects back to the page
(post-redirect-get), which shows the form again with the errors in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_int
from kadence.core.visibility import access_opportunity
from kadence.deals.forms.assessments import BidForm, C139Form
from kadence.deals.selectors import assessments as selectors
from kadence.deals.services import assessments as services
from kadence.deals.views.common import deal_get, deal_post, render_deal
from kadence.domain import bid as bid_domain

REASONS = {
    "score_low": gettext_lazy("the score is at or below the abandon threshold"),
    "cannot_win": gettext_lazy("“Can we win?” is answered −1"),
    "abandon_signs": gettext_lazy("at least two abandon-type signs"),
    "score_high": gettext_lazy("the score reaches the pursue threshold with no −1"),
    "answer_negative": gettext_lazy("a question is answered −1"),
    "score_middle": gettext_lazy("the score is below the pursue threshold"),
}


def _reasons(codes: tuple[str, ...]) -> list[str]:
    return [str(REASONS.get(code, code)) for code in codes]


# --- C139 ------------------------------------------------------------------------------------------


def c139_page(
    request: PageRequest,
    pk: int,
    *,
    error: DomainError | None = None,
    form: C139Form | None = None,
    status: int = 200,
) -> HttpResponse:
    def build(opp, perms) -> dict[str, Any]:
        overview = selectors.c139_overview(request.user, opp)
        editable = perms["is_open"]
        shown = form if editable else None
        if shown is None and editable:
            shown = C139Form(
                questions=[q for _t, rows in overview.tiers for q in (r.question for r in rows)],
                contacts=overview.contacts,
                latest=overview.latest,
            )
        return {"c139": overview, "form": shown, "editable": editable}

    return render_deal(request, pk, "c139", "deals/c139.html", build, status=status, error=error)


@login_required
@require_http_methods(["GET", "POST"])
def deal_c139(request: PageRequest, pk: int) -> HttpResponse:
    def make(data: QueryDict) -> C139Form:
        opp = access_opportunity(request.user, pk)
        return C139Form(
            data, questions=selectors.c139_questions(), contacts=selectors.deal_contacts(request.user, opp)
        )

    if request.method == "GET":
        return deal_get(request, pk, c139_page, {"deal_c139": lambda data, kwargs: (make(data), {})})
    form = make(request.POST)

    def run() -> None:
        try:
            saved = services.c139_assess(
                request.user, pk, answers=form.answers(), note=form.cleaned_data["note"]
            )
        except ValidationFailed as exc:
            if not exc.errors:
                raise
            # Shown by the page's GET with the messages next to their answers (C139Form.error_field).
            raise ValidationFailed(
                _("Please correct the highlighted fields."), exc.errors, code=exc.code
            ) from exc
        missing = sum(1 for a in saved.answers.all() if a.status == "confirmed" and not a.confirmed_with_id)
        if missing:
            messages.warning(
                request,
                _(
                    "%(n)d confirmed item(s) do not say with whom they were confirmed; name "
                    "the contact (ideally your coach) to make the assessment verifiable."
                )
                % {"n": missing},
            )

    return deal_post(
        request, pk, run=run, done=_("C139 assessment saved."), redirect_to="deal_c139", form=form
    )


# --- bid / no-bid ----------------------------------------------------------------------------------


def bid_page(
    request: PageRequest,
    pk: int,
    *,
    error: DomainError | None = None,
    form: BidForm | None = None,
    status: int = 200,
) -> HttpResponse:
    def build(opp, perms) -> dict[str, Any]:
        overview = selectors.bid_overview(request.user, opp)
        editable = perms["is_open"]
        shown = form if editable else None
        if shown is None and editable:
            shown = BidForm(initial=BidForm.initial_from(overview.latest) if overview.latest else None)
        reasons = _reasons(overview.reasons)
        if shown is not None and shown.is_bound:
            # The answers of a form being corrected, so that the need for a note is clear.
            suggestion = _suggestion(request, pk, shown.data)
        elif overview.latest is not None:
            latest = overview.latest
            suggestion = {"score": latest.score, "outcome": latest.suggested_outcome, "reasons": reasons}
        else:
            suggestion = None
        return {
            "bid": overview,
            "form": shown,
            "editable": editable,
            "reasons": reasons,
            "suggestion": suggestion,
        }

    return render_deal(request, pk, "bid", "deals/bid.html", build, status=status, error=error)


def _suggestion(request: PageRequest, pk: int, data: Any) -> dict[str, Any] | None:
    answers: dict[str, Any] = {}
    for name in bid_domain.QUESTIONS:
        # −1, 0 or +1; unanswered (None): the selector still checks access, then says "no suggestion"
        answers[name] = parse_int(str(data.get(name, "")).replace("+", ""), low=-1, high=1)
    for name in bid_domain.PURSUE_CONDITIONS + bid_domain.ABANDON_SIGNS:
        answers[name] = str(data.get(name, "")).lower() in ("on", "true", "1", "yes")
    found = selectors.bid_suggestion(request.user, pk, answers)
    if found is None:
        return None
    return {"score": found.score, "outcome": str(found.outcome), "reasons": _reasons(found.reasons)}


@login_required
@require_http_methods(["GET", "POST"])
def deal_bid(request: PageRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return deal_get(request, pk, bid_page, {"deal_bid": lambda data, kwargs: (BidForm(data), {})})
    form = BidForm(request.POST)

    def run() -> None:
        services.bid_assess(request.user, pk, **form.service_kwargs())

    return deal_post(
        request, pk, run=run, done=_("Bid / no-bid decision saved."), redirect_to="deal_bid", form=form
    )


@login_required
@require_GET
def deal_bid_suggest(request: PageRequest, pk: int) -> HttpResponse:
    """The live suggestion for the answers in the form (an htmx fragment); nothing is saved."""
    suggestion = _suggestion(request, pk, request.GET)
    return render(request, "deals/_bid_suggestion.html", {"suggestion": suggestion})


urlpatterns = [
    path("opportunities/<int:pk>/c139/", deal_c139, name="deal_c139"),
    path("opportunities/<int:pk>/bid/", deal_bid, name="deal_bid"),
    path("opportunities/<int:pk>/bid/suggest/", deal_bid_suggest, name="deal_bid_suggest"),
]
