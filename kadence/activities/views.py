"""Activity pages: the list, log / plan an activity, edit it, mark it done (also from lists, via htmx).

Same shape as the account pages (kadence.accounts.views): parse, call a selector or service,
render; domain errors become the shared error page or messages on the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.accounts import selectors as account_selectors
from kadence.accounts.views import account_url
from kadence.activities import selectors, services
from kadence.activities.forms import ActivityFilterForm, ActivityForm
from kadence.core.errors import DomainError, NotFound
from kadence.core.htmx import is_htmx, render_page_or_fragment
from kadence.core.prg import ERROR_PAGES, create_page, edit_page, safe_next, saved
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_int
from kadence.core.visibility import access_activity, access_opportunity, can_write_activity
from kadence.pipeline.selectors import OpportunityFilters, opportunity_list


@login_required
@require_GET
def activity_list(request: PageRequest) -> HttpResponse:
    user = request.user
    form = ActivityFilterForm(request.GET, user=user)
    filters = form.filters()
    page = selectors.activity_list(user, filters, page=parse_int(request.GET.get("page")) or 1)
    account = None
    if filters.account_id:
        try:
            account = account_selectors.account_detail(user, filters.account_id)
        except NotFound:
            account = None  # an account the user cannot see simply lists nothing
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "account": account,
        "today": timezone.localdate(),
        "editable_ids": {a.pk for a in page.items if can_write_activity(user, a)},
    }
    return render_page_or_fragment(
        request,
        "activities/activity_list.html",
        "activities/_activity_results.html",
        "activity-results",
        context,
    )


def _choose_account(request: PageRequest) -> HttpResponse:
    """No account or opportunity given: pick the account first (searchable, one page)."""
    q = (request.GET.get("q") or "").strip()[:100]
    page = account_selectors.account_list(
        request.user, account_selectors.AccountFilters(q=q), sort="name" if q else "-updated", page_size=20
    )
    return render(request, "activities/activity_choose_account.html", {"q": q, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: PageRequest) -> HttpResponse:
    """Log or plan an activity. ?account=<id> and/or ?opportunity=<id> preselect; an opportunity
    fixes the account to its own. A refused form comes back to this page (post-redirect-get) with
    the account in its address, so that its GET finds the same account again."""
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    account_id = parse_int(params.get("account"))
    opp_id = parse_int(request.GET.get("opportunity"))
    if opp_id:
        account_id = access_opportunity(user, opp_id).account_id
    if account_id is None:
        return _choose_account(request)
    account = account_selectors.account_detail(user, account_id)
    contacts = account_selectors.contact_list(user, account_id=account.pk, page_size=200).items
    opportunities = opportunity_list(
        user, OpportunityFilters(account_id=account.pk), sort="-updated", page_size=200
    ).items

    def make(data: QueryDict | None, **kwargs: Any) -> ActivityForm:
        return ActivityForm(data, contacts=contacts, opportunities=opportunities, **kwargs)

    def done(activity: Any) -> HttpResponse:
        fallback = (
            reverse("opportunity_detail", args=[activity.opportunity_id])
            if activity.opportunity_id
            else account_url(account.pk, "activities")
        )
        return saved(
            request,
            _("Activity “%(subject)s” saved.") % {"subject": activity.subject},
            safe_next(request, fallback),
        )

    query = request.GET.copy()
    if not opp_id:
        query["account"] = str(account.pk)
    return create_page(
        request,
        make,
        {"opportunity": opp_id, "kind": "visit"},
        save=lambda form: services.activity_create(user, account_id=account.pk, **form.service_kwargs()),
        done=done,
        back=f"{request.path}?{query.urlencode()}",
        page=lambda form, status: render(
            request,
            "activities/activity_form.html",
            {"form": form, "account": account, "activity": None, "next_url": safe_next(request, "")},
            status=status,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: PageRequest, activity_id: int) -> HttpResponse:
    user = request.user
    activity = access_activity(user, activity_id, for_write=True)
    contacts = account_selectors.contact_list(user, account_id=activity.account_id, page_size=200).items

    def make(data: QueryDict | None, **kwargs: Any) -> ActivityForm:
        return ActivityForm(data, contacts=contacts, opportunities=None, with_version=True, **kwargs)

    return edit_page(
        request,
        make,
        lambda: ActivityForm.initial_for(activity),
        version=activity.version,
        reload=lambda: selectors.activity_detail(user, activity.pk),
        save=lambda form: services.activity_update(user, activity.pk, **form.service_kwargs()),
        done=lambda _saved: saved(
            request, _("Activity saved."), safe_next(request, account_url(activity.account_id, "activities"))
        ),
        page=lambda form, conflict, status: render(
            request,
            "activities/activity_form.html",
            {
                "form": form,
                "account": activity.account,
                "activity": activity,
                "conflict": conflict,
                "next_url": safe_next(request, ""),
            },
            status=status,
        ),
    )


@login_required
@require_POST
def activity_done(request: PageRequest, activity_id: int) -> HttpResponse:
    """Mark a planned activity done. From a list via htmx the answer is the new status cell (or the
    cell with the reason it failed, 4xx); without JS, a redirect back with a message (refused too:
    the list is a GET again, so a reload resends nothing)."""
    user = request.user
    next_url = safe_next(request, reverse("activity_list"))
    context = {"next_url": next_url, "today": timezone.localdate()}
    try:
        activity = services.activity_mark_done(
            user, activity_id, version=parse_int(request.POST.get("version"))
        )
    except ERROR_PAGES:
        raise  # its error page (kadence.core.error_pages)
    except DomainError as exc:  # a stale or missing version
        if not is_htmx(request):
            messages.error(request, exc.detail)
            return redirect(next_url)
        # Not found here: the version was refused before the activity was looked up (error page).
        current = selectors.activity_detail(user, activity_id)
        context.update(activity=current, editable_ids={current.pk}, error=exc.detail)
        return render(request, "activities/_done.html", context, status=exc.status)
    if not is_htmx(request):
        messages.success(request, _("Activity “%(subject)s” marked done.") % {"subject": activity.subject})
        return redirect(next_url)
    context.update(activity=activity, editable_ids={activity.pk})
    return render(request, "activities/_done.html", context)
