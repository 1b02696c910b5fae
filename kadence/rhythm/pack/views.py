"""The pages of the weekly 1x1 pack: the list of packs a viewer may open, the pack of a rep and week
(printable, and as a PDF), and the posts of the manager's note and the agreed actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError, NotFound, PermissionDenied
from kadence.core.requests import PageRequest
from kadence.domain.periods import week_start as monday_of
from kadence.rhythm.pack import services
from kadence.rhythm.pack.pdf import pack_pdf
from kadence.rhythm.pack.selectors import pack, pack_list, parse_week


def _version(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _post(request: PageRequest, run: Callable[[], Any], back: str, done: str) -> HttpResponse:
    """Run a service call; refused (bad input, a stale version), the message shows on the page it came
    from (303 back there); not found / not allowed answer their error page."""
    try:
        run()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        flash.error(request, exc.detail)
        return _see_other(back)
    flash.success(request, done)
    return _see_other(back)


def _see_other(to: str) -> HttpResponse:
    response = HttpResponseRedirect(to)
    response.status_code = 303
    return response


def _pack_url(rep_id: int, week: Any) -> str:
    return reverse("rhythm_pack", args=[rep_id, week.isoformat() if hasattr(week, "isoformat") else week])


@login_required
@require_GET
def pack_index(request: PageRequest) -> HttpResponse:
    this_week = monday_of(timezone.localdate())
    rep, week = request.GET.get("rep"), request.GET.get("week")
    if rep and week:  # the picker: straight to the pack (its page checks both)
        return redirect(_pack_url(_version(rep) or 0, parse_week(week)))
    return render(
        request,
        "rhythm/pack/index.html",
        {"section": "rhythm", "rows": pack_list(request.user), "week": this_week},
    )


@login_required
@require_GET
def pack_page(request: PageRequest, rep_id: int, week: str) -> HttpResponse:
    monday = parse_week(week)
    if monday.isoformat() != week:
        return redirect(_pack_url(rep_id, monday))
    return render(
        request, "rhythm/pack/pack.html", {"section": "rhythm", "pack": pack(request.user, rep_id, monday)}
    )


@login_required
@require_GET
def pack_pdf_download(request: PageRequest, rep_id: int, week: str) -> HttpResponse:
    found = pack(request.user, rep_id, week)
    response = HttpResponse(pack_pdf(found), content_type="application/pdf")
    name = f"1x1-{found.rep.username}-{found.week_start.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def note_save(request: PageRequest, rep_id: int, week: str) -> HttpResponse:
    back = _pack_url(rep_id, week)
    return _post(
        request,
        lambda: services.note_save(
            request.user,
            rep_id,
            week,
            text=request.POST.get("text", ""),
            version=_version(request.POST.get("version")),
        ),
        back,
        _("Notes saved."),
    )


@login_required
@require_POST
def action_add(request: PageRequest, rep_id: int, week: str) -> HttpResponse:
    back = _pack_url(rep_id, week)
    return _post(
        request,
        lambda: services.action_add(
            request.user,
            rep_id,
            week,
            text=request.POST.get("text", ""),
            owner_id=request.POST.get("owner_id") or None,
            due_on=request.POST.get("due_on") or None,
        ),
        back,
        _("Action agreed."),
    )


@login_required
@require_POST
def action_mark(request: PageRequest, action_id: int) -> HttpResponse:
    week = request.POST.get("week", "")
    rep_id = _version(request.POST.get("rep_id")) or 0
    try:
        back = _pack_url(rep_id, parse_week(week)) if rep_id else reverse("rhythm_packs")
    except DomainError:
        back = reverse("rhythm_packs")
    done = request.POST.get("done", "1") == "1"
    return _post(
        request,
        lambda: services.action_mark(
            request.user, action_id, version=_version(request.POST.get("version")), done=done
        ),
        back,
        _("Action marked done.") if done else _("Action open again."),
    )


urlpatterns = [
    path("rhythm/packs/", pack_index, name="rhythm_packs"),
    path("rhythm/packs/<int:rep_id>/<str:week>/", pack_page, name="rhythm_pack"),
    path("rhythm/packs/<int:rep_id>/<str:week>/pdf/", pack_pdf_download, name="rhythm_pack_pdf"),
    path("rhythm/packs/<int:rep_id>/<str:week>/note/", note_save, name="rhythm_pack_note"),
    path("rhythm/packs/<int:rep_id>/<str:week>/actions/", action_add, name="rhythm_pack_action_add"),
    path("rhythm/pack-actions/<int:action_id>/done/", action_mark, name="rhythm_pack_action_mark"),
]
