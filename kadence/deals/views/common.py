"""What every deal-control page shares: the deal's header and tabs, access checks, and the answer
to a form post (back to the page with a message, or the page again with the error in place)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from kadence.core.validation import parse_date_param
from kadence.core.views import render_error
from kadence.core.visibility import (
    access_opportunity,
    can_approve_for_opportunity,
    can_contribute_to_opportunity,
    can_write_opportunity,
)
from kadence.deals.selectors.expenses import year_bounds
from kadence.pipeline.models import Opportunity

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


def deal_header(user, pk: int) -> tuple[Opportunity, dict[str, bool]]:
    """The visible opportunity (404 otherwise) with what its header shows, and what `user` may do."""
    access_opportunity(user, pk)
    opp = Opportunity.objects.select_related("account", "owner", "team", "template", "stage", "level").get(pk=pk)
    perms = {
        "can_edit": can_write_opportunity(user, opp),
        "can_contribute": can_contribute_to_opportunity(user, opp),
        "can_approve": can_approve_for_opportunity(user, opp),
        "is_open": opp.status == Opportunity.Status.OPEN,
    }
    return opp, perms


def render_deal(request: HttpRequest, pk: int, tab: str, template: str,
                build: Callable[[Opportunity, dict[str, bool]], dict[str, Any]], *, status: int = 200,
                **extra: Any) -> HttpResponse:
    """Render one deal-control page: `build(opp, perms)` adds the tab's own context."""
    try:
        opp, perms = deal_header(request.user, pk)
        context = {"opp": opp, "perms": perms, "tab": tab, "tabs": TABS, "today": timezone.localdate(),
                   **build(opp, perms), **extra}
    except DomainError as exc:
        return render_error(request, exc)
    return render(request, template, context, status=status)


def deal_post(request: HttpRequest, pk: int, *, run: Callable[[], Any], done: str,
              page: Callable[..., HttpResponse], redirect_to: str, form: Any = None) -> HttpResponse:
    """Run the service call `run()`; on success redirect to `redirect_to` (a URL name taking pk) with
    the message `done`; on a domain error render `page(request, pk, error=..., status=...)` (404/403
    as error pages). A bound Django `form` that failed validation is reported before `run`."""
    if form is not None and not form.is_valid():
        error: DomainError = ValidationFailed(_("Please correct the highlighted fields."), dict(form.errors))
        return page(request, pk, error=error, form=form, status=error.status)
    try:
        run()
    except (NotFound, PermissionDenied) as exc:
        return render_error(request, exc)
    except DomainError as exc:
        if form is not None and isinstance(exc, ValidationFailed):
            for field, errors in exc.errors.items():
                if field in getattr(form, "fields", {}) and not form.errors.get(field):
                    for message in errors:
                        form.add_error(field, message)
        return page(request, pk, error=exc, form=form, status=exc.status)
    messages.success(request, done)
    return redirect(redirect_to, pk=pk)


def period_from_query(request: HttpRequest) -> tuple[date, date, DomainError | None]:
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
