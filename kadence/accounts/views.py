"""Account pages: the list, the 360° customer file, account and contact forms.

Views parse the request, call a selector or service and render. Domain errors: `NotFound` and
`PermissionDenied` become the shared error page (404 / 403, core.views.render_error); on a form,
`Conflict` shows the form again with what changed meanwhile (409) and `ValidationFailed` shows the
service's messages next to the fields (422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kadence.accounts import selectors, services
from kadence.accounts.forms import AccountFilterForm, AccountForm, ContactForm, may_choose_owner
from kadence.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from kadence.core.validation import parse_int
from kadence.core.views import render_error
from kadence.core.visibility import (
    access_account,
    access_contact,
    can_write_activity,
    can_write_contacts_of,
    in_scope,
)

# --- helpers shared with the activity pages ----------------------------------------------------


def is_partial(request: HttpRequest, target: str) -> bool:
    """An htmx request that swaps only `target` (a history restore needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == target and not htmx.history_restore_request


def render_list(request: HttpRequest, page_template: str, partial_template: str, target: str,
                context: dict[str, Any]) -> HttpResponse:
    response = render(request, partial_template if is_partial(request, target) else page_template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


# --- account list and 360 -------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET, user=request.user)
    industry, region, owner = form.value_of("industry"), form.value_of("region"), form.value_of("owner")
    filters = selectors.AccountFilters(
        q=(form.value_of("q") or "").strip(),
        industry_id=industry.pk if industry else None,
        region_id=region.pk if region else None,
        owner_id=owner.pk if owner else None,
        status=form.value_of("status") or "",
    )
    sort = request.GET.get("sort") or "name"
    sort = sort if sort in selectors.SORTS else "name"
    page = selectors.account_list(request.user, filters, sort=sort, page=parse_int(request.GET.get("page")) or 1)
    context = {"form": form, "page": page, "sort": sort, "default_sort": "name"}
    return render_list(request, "accounts/account_list.html", "accounts/_account_results.html", "account-results",
                       context)


@login_required
@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    try:
        data = selectors.account_360(request.user, account_id)
    except DomainError as exc:
        return render_error(request, exc)
    editable = {a.pk for a in data["activities"] if can_write_activity(request.user, a)}
    return render(request, "accounts/account_detail.html",
                  {**data, "editable_activity_ids": editable, "today": timezone.localdate()})


# --- account forms ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    with_owner = may_choose_owner(user)
    status = 200
    if request.method == "POST":
        form = AccountForm(request.POST, user=user, with_owner=with_owner)
        if form.is_valid():
            try:
                account = services.account_create(user, **form.service_kwargs())
            except NotFound as exc:
                return render_error(request, exc)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Account “%(name)s” created.") % {"name": account.name})
                return redirect("account_detail", account.pk)
        else:
            status = 422
    else:
        unit = user.org_unit
        region = unit.region if unit else None
        form = AccountForm(user=user, with_owner=with_owner,
                           initial={"region": region.pk if region else None, "owner": user.pk, "currency": "CNY",
                                    "status": "prospect", "size": "medium"})
    return render(request, "accounts/account_form.html", {"form": form, "account": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    user = request.user
    try:
        account = access_account(user, account_id, for_write=True)
    except DomainError as exc:
        return render_error(request, exc)
    with_owner = in_scope(user, account.team_id)
    status, conflict = 200, None
    if request.method == "POST":
        form, conflict, status, error = submit_versioned_edit(
            request, AccountForm, {"user": user, "with_owner": with_owner, "with_version": True},
            save=lambda f: services.account_update(user, account.pk, **f.service_kwargs()),
            reload=lambda: selectors.account_detail(user, account.pk))
        if error:
            return error
        if status is None:
            messages.success(request, _("Account saved."))
            return redirect("account_detail", account.pk)
    else:
        form = AccountForm(user=user, with_owner=with_owner, with_version=True,
                           initial=AccountForm.initial_for(account))
    return render(request, "accounts/account_form.html", {"form": form, "account": account, "conflict": conflict},
                  status=status)


def rebased_form(form_class, request: HttpRequest, current: Any, exc: Conflict, **form_kwargs: Any):
    """After a stale write: the user's input again, now based on the current version, plus the
    fields where it differs from what is saved. Nothing was written; saving again is a deliberate
    choice made with the differences in view."""
    data = request.POST.copy()
    data["version"] = str(exc.extra.get("current_version") or current.version)
    form = form_class(data, **form_kwargs)
    form.is_valid()
    return form, {"detail": exc.detail, "rows": form.conflict_rows(current)}


def submit_versioned_edit(request: HttpRequest, form_class, form_kwargs: dict[str, Any],
                          save: Callable[[Any], Any], reload: Callable[[], Any]):
    """The POST of an edit form that carries a version: validate, `save(form)` through the service,
    and on a stale version rebase the form on `reload()` (see rebased_form).

    Returns (form, conflict, status, error_response): status None means saved; an error response
    (not found / not allowed) is to be returned as is; otherwise render the form with `status`."""
    form = form_class(request.POST, **form_kwargs)
    if not form.is_valid():
        return form, None, 422, None
    try:
        save(form)
    except Conflict as exc:
        form, conflict = rebased_form(form_class, request, reload(), exc, **form_kwargs)
        return form, conflict, exc.status, None
    except (NotFound, PermissionDenied) as exc:
        return form, None, exc.status, render_error(request, exc)
    except DomainError as exc:
        form.add_domain_error(exc)
        return form, None, exc.status, None
    return form, None, None, None


# --- contact forms ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, account_id: int) -> HttpResponse:
    user = request.user
    try:
        account = access_account(user, account_id)
    except DomainError as exc:
        return render_error(request, exc)
    if not can_write_contacts_of(user, account):
        return render_error(request, PermissionDenied(_("You may view this account but not add contacts to it.")))
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                contact = services.contact_create(user, account_id=account.pk, **form.service_kwargs())
            except (NotFound, PermissionDenied) as exc:
                return render_error(request, exc)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Contact “%(name)s” added.") % {"name": contact.name})
                return redirect(safe_next(request, account_url(account.pk, "contacts")))
        else:
            status = 422
    else:
        form = ContactForm()
    return render(request, "accounts/contact_form.html", {"form": form, "account": account, "contact": None},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = request.user
    try:
        contact = access_contact(user, contact_id, for_write=True)
    except DomainError as exc:
        return render_error(request, exc)
    status, conflict = 200, None
    if request.method == "POST":
        form, conflict, status, error = submit_versioned_edit(
            request, ContactForm, {"with_version": True},
            save=lambda f: services.contact_update(user, contact.pk, **f.service_kwargs()),
            reload=lambda: selectors.contact_detail(user, contact.pk))
        if error:
            return error
        if status is None:
            messages.success(request, _("Contact saved."))
            return redirect(safe_next(request, account_url(contact.account_id, "contacts")))
    else:
        form = ContactForm(with_version=True, initial=ContactForm.initial_for(contact))
    return render(request, "accounts/contact_form.html",
                  {"form": form, "account": contact.account, "contact": contact, "conflict": conflict}, status=status)


def account_url(account_id: int, anchor: str = "") -> str:
    url = reverse("account_detail", args=[account_id])
    return f"{url}#{anchor}" if anchor else url
