"""Target pages (METHODOLOGY §10.1): the targets of a period you may see, set a new one, edit and
delete one. Reads and writes go through kadence.planning.selectors.targets and
kadence.planning.services.targets; the ideal funnel built on the targets is insights'
(kadence.insights.views.ideal)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kadence.core.errors import DomainError, NotFound
from kadence.core.prg import ERROR_PAGES, edit_page, form_post, place_field_errors, refill
from kadence.core.requests import PageRequest
from kadence.core.validation import MAX_VERSION, parse_int
from kadence.core.visibility import access_target, can_edit_target
from kadence.planning.forms import TargetEditForm, TargetFilterForm, TargetForm
from kadence.planning.selectors.targets import period_of, target_list
from kadence.planning.services import targets as services


def _targets_page(
    request: PageRequest,
    *,
    form: TargetForm | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    filters = TargetFilterForm(request.GET or None)
    kind = start = None
    if filters.is_valid():
        kind, start = filters.cleaned_data["period_kind"] or None, filters.cleaned_data["period_start"]
    page = target_list(
        user,
        period_kind=kind,
        period_start=start,
        page=request.GET.get("page"),
        page_size=request.GET.get("page_size"),
    )
    form = form or TargetForm(user=user)
    can_set = form.can_set
    rows = [
        (t, can_edit_target(user, t), period_of(t.period_kind, t.period_start, default_day=t.period_start))
        for t in page.items
    ]
    return render(
        request,
        "insights/targets.html",
        {"page": page, "rows": rows, "form": form, "filters": filters, "can_set": can_set, "error": error},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: PageRequest) -> HttpResponse:
    """The targets you may see, by period; POST sets a new one (the form only offers what you may set).
    Refused, the POST answers 303 back here (post-redirect-get) and the form is shown again, once."""
    user = request.user
    if request.method == "POST":
        return form_post(
            request,
            TargetForm(request.POST, user=user),
            lambda form: services.target_create(user, **form.values()),
            back=reverse("targets"),
            done=lambda _target: _saved(request, _("Target saved.")),
            error_pages=(NotFound,),
        )  # a scope out of reach is the form's refusal
    refilled = refill(request, lambda data: TargetForm(data, user=user), place=place_field_errors)
    if refilled is None:
        return _targets_page(request)
    return _targets_page(request, form=refilled.form, error=refilled.error, status=refilled.status)


def _saved(request: PageRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("targets")


@login_required
@require_http_methods(["GET", "POST"])
def target_edit(request: PageRequest, pk: int) -> HttpResponse:
    """Edit a target you may set (403 for one you only see, 404 for one you do not see). Refused, back
    here by post-redirect-get with the input kept (kadence.core.prg.edit_page: after a stale version,
    the values saved meanwhile beside it and the form based on the current version)."""
    user = request.user
    target = access_target(user, pk, for_write=True)

    def save(form: TargetEditForm) -> Any:
        data = dict(form.cleaned_data)
        version = data.pop("version")
        return services.target_update(user, pk, version=version, **data)

    return edit_page(
        request,
        lambda data, **kwargs: TargetEditForm(data, **kwargs),
        lambda: {
            f: getattr(target, f)
            for f in ("period_kind", "period_start", "amount", "currency", "note", "version")
        },
        version=target.version,
        reload=lambda: access_target(user, pk),
        save=save,
        done=lambda _target: _saved(request, _("Target saved.")),
        page=lambda form, conflict, status: render(
            request,
            "insights/targets_edit.html",
            {"target": target, "form": form, "conflict": conflict},
            status=status,
        ),
    )


@login_required
@require_POST
def target_delete(request: PageRequest, pk: int) -> HttpResponse:
    version = parse_int(request.POST.get("version"), high=MAX_VERSION)
    try:
        services.target_delete(request.user, pk, version=version)
    except ERROR_PAGES:
        raise  # its error page (kadence.core.error_pages)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("target_edit", pk=pk)
    messages.success(request, _("Target deleted."))
    return redirect("targets")


urlpatterns = [
    path("targets/", targets, name="targets"),
    path("targets/<int:pk>/edit/", target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", target_delete, name="target_delete"),
]
