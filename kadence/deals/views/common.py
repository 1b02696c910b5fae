"""What every deal-control page shares: the deal's header and tabs, access checks, and the answer
to a form post (back to the page with a message, or, refused, back to the page by post-redirect-get
with the form shown again and the error in place)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.prg import (
    action_post,
    place_field_errors,
    pop_failed_post,
    redirect_invalid_form,
    show_refused,
)
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_date_param
from kadence.core.visibility import (
    access_opportunity,
    can_approve_for_opportunity,
    can_write_opportunity,
)
from kadence.deals.selectors.expenses import year_bounds
from kadence.pipeline.models import Opportunity

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# (tab code, URL name, label); the opportunity page itself is the first tab.
TABS = [
    ("overview", "opportunity_detail", _("Overview")),
    ("gates", "deal_gates", _("Stage gates")),
    ("c139", "deal_c139", _("C139")),
    ("bid", "deal_bid", _("Bid / no-bid")),
    ("buying_centre", "deal_buying_centre", _("Buying centre")),
    ("milestones", "deal_milestones", _("Milestones")),
    ("tasks", "deal_tasks", _("Tasks & roles")),
    ("expenses", "deal_expenses", _("Expenses")),
    ("diagnosis", "deal_diagnosis", _("Diagnosis")),
]


# What the header shows of the deal, and what the tabs' selectors read with it (one fetch).
HEADER_RELATED = ("account", "owner", "team", "template", "stage", "level")


def deal_header(user, pk: int) -> tuple[Opportunity, dict[str, bool]]:
    """The visible opportunity (404 otherwise) with what its header shows, and what `user` may do."""
    opp = access_opportunity(user, pk, related=HEADER_RELATED)
    perms = {
        "can_edit": can_write_opportunity(user, opp),
        "can_approve": can_approve_for_opportunity(user, opp),
        "is_open": opp.status == Opportunity.Status.OPEN,
    }
    return opp, perms


def render_deal(
    request: PageRequest,
    pk: int,
    tab: str,
    template: str,
    build: Callable[[Opportunity, dict[str, bool]], dict[str, Any]],
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """Render one deal-control page: `build(opp, perms)` adds the tab's own context."""
    opp, perms = deal_header(request.user, pk)
    context = {
        "opp": opp,
        "perms": perms,
        "tab": tab,
        "tabs": TABS,
        "today": timezone.localdate(),
        **build(opp, perms),
        **extra,
    }
    return render(request, template, context, status=status)


# How a deal-control page builds one of its forms from posted data, to show it again after a refused
# post: form_maker(data, url_kwargs) → (form, extra page arguments); keyed by the POST view's URL name.
FormMaker = Callable[[QueryDict, dict[str, Any]], tuple[Any, dict[str, Any]]]


def deal_post(
    request: PageRequest,
    pk: int,
    *,
    run: Callable[[], Any],
    done: StrOrPromise,
    redirect_to: str,
    form: Any = None,
) -> HttpResponse:
    """Run the service call `run()`; on success redirect to `redirect_to` (a URL name taking pk) with
    the message `done`. Refused (a bound `form` that fails validation, or a domain error): the post
    and the error are kept and the answer redirects (303) to the same page, whose GET (deal_get)
    shows the form again with the error in place: post-redirect-get, so a reload never resends.
    Not found / not allowed answer their error pages."""
    back = reverse(redirect_to, args=[pk])
    if form is not None and not form.is_valid():
        return redirect_invalid_form(request, back, form)
    return action_post(request, run, back=back, done=done)


def deal_get(
    request: PageRequest,
    pk: int,
    page: Callable[..., HttpResponse],
    forms: Mapping[str, FormMaker] | None = None,
) -> HttpResponse:
    """A deal-control page's GET: `page(request, pk)`, or after a refused post (deal_post) the page
    with the error and, when `forms` knows how to build it, the form that failed, filled in again with
    its errors (the form's own, or the service's next to their fields), answered with the error's 4xx
    status as the refused post was (a reload gets the page as it is now, 200)."""
    failed = pop_failed_post(request)
    if failed is None:
        return page(request, pk)
    make = (forms or {}).get(failed.slot)
    if make is None:
        return page(request, pk, error=failed.error, status=failed.error.status)
    form, extra = make(failed.data, failed.kwargs)
    if form is not None:
        show_refused(form, failed.error, place=place_field_errors)
    return page(request, pk, error=failed.error, form=form, status=failed.error.status, **extra)


def period_from_query(request: PageRequest) -> tuple[date, date, DomainError | None]:
    """The report period from ?from=&to= (YYYY-MM-DD), default this calendar year; with an error
    (and this year) when a date is malformed, outside the accepted years, or the period is reversed."""
    start, end = year_bounds(timezone.localdate())
    errors: dict[str, list[str]] = {}
    values = []
    for name, default in (("from", start), ("to", end)):
        try:
            parsed = parse_date_param(request.GET.get(name), name) or default
        except ValidationFailed as exc:
            errors.update(exc.errors)
            parsed = default
        values.append(parsed)
    date_from, date_to = values
    if not errors and date_from > date_to:
        errors["to"] = [_("Use a date after the start.")]
    if errors:
        return start, end, ValidationFailed(_("The period is not valid; showing this year."), errors)
    return date_from, date_to, None
