"""Account pages: the list, the 360° customer file, account and contact forms.

Views parse the request, call a selector or service and render. Domain errors: `NotFound` and
`PermissionDenied` become the shared error page (404 / 403, kadence.core.error_pages). A refused form
comes back by post-redirect-get (kadence.core.prg): the POST answers 303 to the form's page, whose
GET shows the form again with the user's input, once, with the refusal's status: `ValidationFailed`
with the service's messages next to the fields (422), `Conflict` with what changed meanwhile (409).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kadence.accounts import selectors, services
from kadence.accounts.duplicates import find_duplicates
from kadence.accounts.forms import AccountFilterForm, AccountForm, ContactForm, may_choose_owner
from kadence.core.errors import NotFound, PermissionDenied
from kadence.core.htmx import render_page_or_fragment
from kadence.core.prg import create_page, edit_page, safe_next, saved
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_int
from kadence.core.visibility import (
    access_account,
    access_contact,
    can_write_activity,
    can_write_contacts_of,
    in_scope,
    visible_accounts,
)

# --- account list and 360 -------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request: PageRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET, user=request.user)
    filters, sort = form.filters(), form.ordering()
    page = selectors.account_list(
        request.user, filters, sort=sort, page=parse_int(request.GET.get("page")) or 1
    )
    context = {"form": form, "page": page, "sort": sort, "default_sort": "name"}
    return render_page_or_fragment(
        request, "accounts/account_list.html", "accounts/_account_results.html", "account-results", context
    )


@login_required
@require_GET
def account_detail(request: PageRequest, account_id: int) -> HttpResponse:
    data = selectors.account_360(request.user, account_id)
    editable = {a.pk for a in data["activities"] if can_write_activity(request.user, a)}
    return render(
        request,
        "accounts/account_detail.html",
        {**data, "editable_activity_ids": editable, "today": timezone.localdate()},
    )


# --- account forms ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: PageRequest) -> HttpResponse:
    user = request.user
    with_owner = may_choose_owner(user)
    unit = user.org_unit
    region = unit.region if unit else None

    def make(data: QueryDict | None, **kwargs: Any) -> AccountForm:
        return AccountForm(data, user=user, with_owner=with_owner, **kwargs)

    return create_page(
        request,
        make,
        {
            "region": region.pk if region else None,
            "owner": user.pk,
            "currency": "CNY",
            "status": "prospect",
            "size": "medium",
        },
        save=lambda form: services.account_create(user, **form.service_kwargs()),
        done=lambda account: saved(
            request,
            _("Account “%(name)s” created.") % {"name": account.name},
            reverse("account_detail", args=[account.pk]),
        ),
        page=lambda form, status: render(
            request,
            "accounts/account_form.html",
            {"form": form, "account": None, **_duplicates_of(user, form)},
            status=status,
        ),
        error_pages=(NotFound,),
    )  # a region or owner out of reach is the form's refusal (403), shown on it


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: PageRequest, account_id: int) -> HttpResponse:
    user = request.user
    account = access_account(user, account_id, for_write=True)
    with_owner = in_scope(user, account.team_id)

    def make(data: QueryDict | None, **kwargs: Any) -> AccountForm:
        return AccountForm(data, user=user, with_owner=with_owner, with_version=True, **kwargs)

    return edit_page(
        request,
        make,
        lambda: AccountForm.initial_for(account),
        version=account.version,
        reload=lambda: selectors.account_detail(user, account.pk),
        save=lambda form: services.account_update(user, account.pk, **form.service_kwargs()),
        done=lambda _saved: saved(request, _("Account saved."), reverse("account_detail", args=[account.pk])),
        page=lambda form, conflict, status: render(
            request,
            "accounts/account_form.html",
            {"form": form, "account": account, "conflict": conflict},
            status=status,
        ),
    )


def _duplicates_of(user: Any, form: AccountForm) -> dict[str, Any]:
    """A refilled create form's possible duplicates (shown above the confirmation box)."""
    if not form.is_bound:
        return {}
    found = find_duplicates(str(form["name"].value() or ""), str(form["credit_code"].value() or ""))
    ids = [d.id for d in found]
    return {
        "duplicates": found,
        "visible_ids": set(visible_accounts(user).filter(pk__in=ids).values_list("pk", flat=True)),
    }


@login_required
@require_GET
def account_duplicates(request: PageRequest) -> HttpResponse:
    """The possible duplicates of the account being typed into the create form (htmx, as the user
    types its name or credit code): the same unified social credit code, or a similar name."""
    name = (request.GET.get("name") or "")[:200]
    code = (request.GET.get("credit_code") or "")[:40]
    found = find_duplicates(name, code)
    visible_ids = set(
        visible_accounts(request.user).filter(pk__in=[d.id for d in found]).values_list("pk", flat=True)
    )
    return render(request, "accounts/_duplicates.html", {"duplicates": found, "visible_ids": visible_ids})


# --- contact forms ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: PageRequest, account_id: int) -> HttpResponse:
    user = request.user
    account = access_account(user, account_id)
    if not can_write_contacts_of(user, account):
        raise PermissionDenied(_("You may view this account but not add contacts to it."))

    def make(data: QueryDict | None, **kwargs: Any) -> ContactForm:
        return ContactForm(data, **kwargs)

    return create_page(
        request,
        make,
        {},
        save=lambda form: services.contact_create(user, account_id=account.pk, **form.service_kwargs()),
        done=lambda contact: saved(
            request,
            _("Contact “%(name)s” added.") % {"name": contact.name},
            safe_next(request, account_url(account.pk, "contacts")),
        ),
        page=lambda form, status: render(
            request,
            "accounts/contact_form.html",
            {"form": form, "account": account, "contact": None},
            status=status,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: PageRequest, contact_id: int) -> HttpResponse:
    user = request.user
    contact = access_contact(user, contact_id, for_write=True)

    def make(data: QueryDict | None, **kwargs: Any) -> ContactForm:
        return ContactForm(data, with_version=True, **kwargs)

    return edit_page(
        request,
        make,
        lambda: ContactForm.initial_for(contact),
        version=contact.version,
        reload=lambda: selectors.contact_detail(user, contact.pk),
        save=lambda form: services.contact_update(user, contact.pk, **form.service_kwargs()),
        done=lambda _saved: saved(
            request, _("Contact saved."), safe_next(request, account_url(contact.account_id, "contacts"))
        ),
        page=lambda form, conflict, status: render(
            request,
            "accounts/contact_form.html",
            {"form": form, "account": contact.account, "contact": contact, "conflict": conflict},
            status=status,
        ),
    )


def account_url(account_id: int, anchor: str = "") -> str:
    url = reverse("account_detail", args=[account_id])
    return f"{url}#{anchor}" if anchor else url
