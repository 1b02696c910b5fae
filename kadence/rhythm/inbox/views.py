"""The approval inbox page and its actions (approve or refuse a gate, adjust or accept a forecast,
mark an override reviewed), each posted in place with htmx (the page answers the inbox again)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError, NotFound, PermissionDenied
from kadence.core.requests import PageRequest
from kadence.deals.services.gates import gate_approve
from kadence.planning.services.forecast import forecast_adjust
from kadence.rhythm.inbox import services
from kadence.rhythm.inbox.selectors import inbox


def _back() -> HttpResponse:
    response = HttpResponseRedirect(reverse("rhythm_inbox"))
    response.status_code = 303
    return response


def _post(request: PageRequest, run: Callable[[], Any], done: str) -> HttpResponse:
    try:
        run()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        flash.error(request, exc.detail)
        return _back()
    flash.success(request, done)
    return _back()


@login_required
@require_GET
def inbox_page(request: PageRequest) -> HttpResponse:
    lists = inbox(request.user)
    return render(
        request,
        "rhythm/inbox/inbox.html",
        {"section": "rhythm", "lists": lists, "total": sum(item.count for item in lists)},
    )


@login_required
@require_POST
def approve(request: PageRequest, opp_id: int, criterion_id: int) -> HttpResponse:
    return _post(
        request,
        lambda: gate_approve(
            request.user, opp_id, criterion_id=criterion_id, note=request.POST.get("note", "")
        ),
        _("Gate approved."),
    )


@login_required
@require_POST
def reject(request: PageRequest, opp_id: int, criterion_id: int) -> HttpResponse:
    return _post(
        request,
        lambda: services.gate_reject(
            request.user, opp_id, criterion_id=criterion_id, note=request.POST.get("note", "")
        ),
        _("Approval refused."),
    )


@login_required
@require_POST
def adjust(request: PageRequest, submission_id: int) -> HttpResponse:
    return _post(
        request,
        lambda: forecast_adjust(
            request.user,
            submission_id,
            forecast=request.POST.get("forecast", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("Forecast adjusted."),
    )


@login_required
@require_POST
def reviewed(request: PageRequest, kind: str, ref_id: int) -> HttpResponse:
    return _post(
        request,
        lambda: services.mark_reviewed(request.user, kind, ref_id, note=request.POST.get("note", "")),
        _("Marked reviewed."),
    )


urlpatterns = [
    path("rhythm/inbox/", inbox_page, name="rhythm_inbox"),
    path("rhythm/inbox/gates/<int:opp_id>/<int:criterion_id>/approve/", approve, name="rhythm_inbox_approve"),
    path("rhythm/inbox/gates/<int:opp_id>/<int:criterion_id>/reject/", reject, name="rhythm_inbox_reject"),
    path("rhythm/inbox/forecasts/<int:submission_id>/adjust/", adjust, name="rhythm_inbox_adjust"),
    path("rhythm/inbox/<str:kind>/<int:ref_id>/reviewed/", reviewed, name="rhythm_inbox_reviewed"),
]
