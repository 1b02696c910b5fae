"""Pages of the 1-15-30 cadence (/rhythm/cadence/) and of the debriefs (/rhythm/debriefs/): what is
due and overdue, for a rep on their phone and for a manager over their team, with the follow-up and
judgement forms on each open item; the review form (reached from a deal's or an account's page); the
debrief talks and ride-alongs with their monthly count per manager. Forms post to the services;
refusals come back by post-redirect-get (kadence.core.prg)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.core.errors import DomainError
from kadence.core.prg import pop_failed_post, redirect_invalid_form, refuse
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_int
from kadence.core.visibility import (
    access_account,
    access_debrief,
    access_opportunity,
    can_act_on_cadence,
    debrief_reps,
    is_seller,
    list_owners,
    visible_accounts,
)
from kadence.pipeline.models import LossReason, Opportunity
from kadence.rhythm.cadence import selectors, services
from kadence.rhythm.cadence.forms import DebriefForm, FollowUpForm, JudgementForm, ReviewForm
from kadence.rhythm.cadence.models import CadenceItem, CadencePolicy, Debrief

STATES = (
    ("overdue", gettext_lazy("Overdue")),
    ("due", gettext_lazy("Due soon")),
    ("open", gettext_lazy("All open")),
    ("done", gettext_lazy("Done")),
)


def _state(value: Any) -> str:
    return value if value in dict(STATES) else "open"


def _back(data: Any) -> str:
    kept = {key: data.get(key) for key in ("state", "rep_id", "page") if data.get(key)}
    url = reverse("rhythm_cadence")
    return f"{url}?{urlencode(kept)}" if kept else url


@login_required
@require_GET
def cadence_page(request: PageRequest) -> HttpResponse:
    """The items due, overdue, open or done, with the counts per rep."""
    user = request.user
    today = timezone.localdate()
    state = _state(request.GET.get("state"))
    rep_id = parse_int(request.GET.get("rep_id"))
    failed = pop_failed_post(request)
    page = selectors.items_list(
        user, state=state, rep_id=rep_id, today=today, page=request.GET.get("page"), page_size=25
    )
    counts = selectors.counts(user, today=today, rep_id=rep_id, page=request.GET.get("reps_page"))
    rows = [
        {
            "item": item,
            "subject": selectors.subject_name(item),
            "url": selectors.subject_url(item.review),
            "overdue": item.status == CadenceItem.Status.OPEN and item.due_on < today,
            "can_act": item.status == CadenceItem.Status.OPEN
            and can_act_on_cadence(user, item.rep_id, item.team_id),
            "failed": failed if failed is not None and failed.kwargs.get("pk") == item.pk else None,
        }
        for item in page.items
    ]
    context = {
        "section": "rhythm",
        "state": state,
        "states": STATES,
        "rep_id": rep_id,
        "people": []
        if is_seller(user)
        else list(list_owners(user).order_by("display_name", "username")[:500]),
        "page": page,
        "rows": rows,
        "counts": counts,
        "show_reps": not is_seller(user),
        "policy": CadencePolicy.current(),
        "loss_reasons": list(LossReason.objects.all()),
        "activity_kinds": Activity.Kind.choices,
        "error": failed.error if failed is not None and not failed.kwargs.get("pk") else None,
        "today": today,
        "back": _back(request.GET),
    }
    status = failed.error.status if failed is not None else 200
    return render(request, "rhythm/cadence/cadence.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review_page(request: PageRequest) -> HttpResponse:
    """GET: the review form for ?opportunity=<id> or ?account=<id>, with the subject's earlier
    reviews; POST: record it and go back to the subject's page."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    opp_id = parse_int(source.get("opportunity_id") or source.get("opportunity"))
    account_id = parse_int(source.get("account_id") or source.get("account"))
    if request.method == "POST":
        form = ReviewForm(request.POST)
        back = (
            reverse("rhythm_cadence_review")
            + "?"
            + urlencode({"opportunity": opp_id or ""} if opp_id else {"account": account_id or ""})
        )
        if not form.is_valid():
            return redirect_invalid_form(request, back, form)
        try:
            review = services.review_create(user, **form.cleaned_data)
        except DomainError as exc:
            return refuse(request, back, exc)
        messages.success(
            request,
            _("Review recorded: follow-up due %(follow)s, judgement due %(judge)s.")
            % {
                "follow": min(i.due_on for i in review.items.all()).isoformat(),
                "judge": max(i.due_on for i in review.items.all()).isoformat(),
            },
        )
        return redirect(selectors.subject_url(review))
    subject: Opportunity | Account | None = None
    if opp_id:
        subject = access_opportunity(user, opp_id)
    elif account_id:
        subject = access_account(user, account_id)
    failed = pop_failed_post(request)
    form = (
        ReviewForm(failed.data)
        if failed is not None
        else ReviewForm(
            initial={
                "opportunity_id": opp_id if subject and opp_id else None,
                "account_id": account_id if subject and not opp_id else None,
                "reviewed_on": timezone.localdate(),
            }
        )
    )
    if failed is not None:
        form.is_valid()
    reviews = (
        selectors.reviews_list(
            user, opportunity_id=opp_id, account_id=None if opp_id else account_id, page=1, page_size=10
        )
        if subject is not None
        else None
    )
    context = {
        "section": "rhythm",
        "subject": subject,
        "is_deal": bool(opp_id),
        "form": form,
        "reviews": reviews,
        "policy": CadencePolicy.current(),
        "error": failed.error if failed is not None else None,
    }
    return render(
        request, "rhythm/cadence/review.html", context, status=failed.error.status if failed else 200
    )


@login_required
@require_POST
def follow_up_post(request: PageRequest, pk: int) -> HttpResponse:
    form = FollowUpForm(request.POST)
    back = _back(request.POST)
    if not form.is_valid():
        return redirect_invalid_form(request, back, form)
    try:
        services.follow_up_record(request.user, pk, **form.cleaned_data)
    except DomainError as exc:
        return refuse(request, back, exc)
    messages.success(request, _("Follow-up recorded."))
    return redirect(back)


@login_required
@require_POST
def judgement_post(request: PageRequest, pk: int) -> HttpResponse:
    form = JudgementForm(request.POST)
    back = _back(request.POST)
    if not form.is_valid():
        return redirect_invalid_form(request, back, form)
    data = dict(form.cleaned_data)
    data["activity_kind"] = data.get("activity_kind") or Activity.Kind.VISIT
    try:
        services.judgement_record(request.user, pk, **data)
    except DomainError as exc:
        return refuse(request, back, exc)
    messages.success(request, _("Judgement recorded."))
    return redirect(back)


# --- debriefs -------------------------------------------------------------------------------------


@login_required
@require_GET
def debriefs_page(request: PageRequest) -> HttpResponse:
    """The debriefs and ride-alongs the user sees, the monthly count per manager, and (for managers
    and above) the form to record one."""
    user = request.user
    today = timezone.localdate()
    year = parse_int(request.GET.get("year"), low=2000, high=2100) or today.year
    rep_id = parse_int(request.GET.get("rep_id"))
    kind = request.GET.get("kind") if request.GET.get("kind") in Debrief.Kind.values else None
    failed = pop_failed_post(request)
    reps = list(debrief_reps(user)[:500])
    form = (
        DebriefForm(failed.data)
        if failed is not None
        else DebriefForm(initial={"held_on": today, "kind": Debrief.Kind.DEBRIEF, "rep_id": rep_id})
    )
    chosen_account, chosen_deals = None, []
    if failed is not None:
        form.is_valid()
        # the account and deal pickers come back as they were posted (they are filled by htmx)
        posted_account = parse_int(failed.data.get("account_id"))
        chosen_account = visible_accounts(user).filter(pk=posted_account).first() if posted_account else None
        if chosen_account is not None:
            chosen_deals = selectors.open_deals_of_account(user, chosen_account.pk)
    context = {
        "section": "rhythm",
        "chosen_account": chosen_account,
        "chosen_deals": chosen_deals,
        "chosen_deal": parse_int(failed.data.get("opportunity_id")) if failed is not None else None,
        "page": selectors.debriefs_list(user, rep_id=rep_id, kind=kind, page=request.GET.get("page")),
        "counts": selectors.debrief_counts(user, year=year),
        "year": year,
        "rep_id": rep_id,
        "kind": kind,
        "kinds": Debrief.Kind.choices,
        "reps": reps,
        "form": form,
        "error": failed.error if failed is not None else None,
    }
    return render(
        request, "rhythm/cadence/debriefs.html", context, status=failed.error.status if failed else 200
    )


@login_required
@require_POST
def debrief_post(request: PageRequest) -> HttpResponse:
    form = DebriefForm(request.POST)
    back = reverse("rhythm_debriefs")
    if not form.is_valid():
        return redirect_invalid_form(request, back, form)
    try:
        debrief = services.debrief_create(request.user, **form.cleaned_data)
    except DomainError as exc:
        return refuse(request, back, exc)
    messages.success(request, _("Recorded."))
    return redirect("rhythm_debrief", pk=debrief.pk)


@login_required
@require_GET
def debrief_page(request: PageRequest, pk: int) -> HttpResponse:
    debrief = access_debrief(request.user, pk)
    debrief = Debrief.objects.select_related("rep", "manager", "account", "opportunity").get(pk=debrief.pk)
    return render(request, "rhythm/cadence/debrief.html", {"section": "rhythm", "debrief": debrief})


urlpatterns = [
    path("rhythm/cadence/", cadence_page, name="rhythm_cadence"),
    path("rhythm/cadence/review/", review_page, name="rhythm_cadence_review"),
    path("rhythm/cadence/items/<int:pk>/follow-up/", follow_up_post, name="rhythm_cadence_follow_up"),
    path("rhythm/cadence/items/<int:pk>/judgement/", judgement_post, name="rhythm_cadence_judgement"),
    path("rhythm/debriefs/", debriefs_page, name="rhythm_debriefs"),
    path("rhythm/debriefs/new/", debrief_post, name="rhythm_debrief_create"),
    path("rhythm/debriefs/<int:pk>/", debrief_page, name="rhythm_debrief"),
]
