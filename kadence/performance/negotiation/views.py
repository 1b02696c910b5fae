"""Pages of the target negotiations (三上三下, issue 14 §2).

- /performance/negotiation/ — the negotiations you read; the top opens one on a draft grid it manages;
- /performance/negotiation/<id>/ — the timeline (Plotly: proposed and committed per unit, round by round),
  every round of every unit you read with the gap and the bottom-up figure, and the form of whoever's turn
  it is: a unit's lead answers, the top adjusts, the top approves the settled figures;
  ?format=xlsx|csv exports every round;
- …/answer, …/propose, …/close — the actions (POST, then back to the page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.core.errors import DomainError
from kadence.core.export import report_format, report_response
from kadence.core.prg import ERROR_PAGES
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param
from kadence.core.visibility import can_lead, can_manage_grid
from kadence.domain.grid import period_value
from kadence.performance.grid.models import GridRow, TargetGrid
from kadence.performance.grid.selectors import grid_list
from kadence.performance.negotiation import services
from kadence.performance.negotiation.models import Negotiation
from kadence.performance.negotiation.selectors import (
    access_negotiation,
    negotiation_list,
    negotiation_sheet,
    negotiation_view,
    timeline_figure,
    unit_totals,
)


def _version(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _amount(raw: str | None) -> str:
    return (raw or "").replace(",", "").strip()


def _proposals(request: PageRequest) -> dict[int, str]:
    """The posted `p-<unit id>` amounts (blank ones left out: the unit keeps its figure)."""
    found: dict[int, str] = {}
    for name in request.POST:
        value = _amount(request.POST.get(name))
        if name.startswith("p-") and name[2:].isdigit() and len(name) < 14 and value:
            found[int(name[2:])] = value
    return found


@login_required
@require_http_methods(["GET", "POST"])
def negotiation_index(request: PageRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            n = services.negotiation_open(
                request.user,
                grid_id=id_param(request.POST.get("grid_id")) or 0,
                version=_version(request.POST.get("version")),  # type: ignore[arg-type]
                proposals=_proposals(request),
                note=request.POST.get("note", ""),
            )
        except ERROR_PAGES:
            raise
        except DomainError as exc:
            error = str(exc.detail)
        else:
            messages.success(request, _("Negotiation opened: round 1 proposed."))
            return redirect("performance_negotiation", n.pk)
    grids = []
    if can_lead(request.user):
        open_ids = set(
            Negotiation.objects.exclude(status=Negotiation.Status.CLOSED).values_list("grid_id", flat=True)
        )
        grids = [
            g
            for g in grid_list(request.user)
            .filter(status=TargetGrid.Status.DRAFT)
            .select_related("root")[:200]
            if g.additive and g.pk not in open_ids and can_manage_grid(request.user, g.root)
        ]
    chosen = next(
        (g for g in grids if str(g.pk) == (request.POST.get("grid_id") or request.GET.get("grid_id"))), None
    )
    units = (
        GridRow.objects.filter(
            grid=chosen, parent__isnull=False, parent__parent__isnull=True, unit__isnull=False
        )
        .select_related("unit")
        .order_by("position")
        if chosen
        else []
    )
    return render(
        request,
        "performance/negotiation/index.html",
        {
            "section": "performance",
            "negotiations": negotiation_list(request.user)[:200],
            "grids": grids,
            "chosen": chosen,
            "units": [(row.unit, period_value(row.months, "Y")) for row in units],
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
@require_GET
def negotiation_page(request: PageRequest, negotiation_id: int) -> HttpResponse:
    view = negotiation_view(request.user, access_negotiation(request.user, negotiation_id))
    if fmt := report_format(request):
        columns, rows = negotiation_sheet(view)
        return report_response(
            fmt,
            f"negotiation-{view.negotiation.grid.year}-{view.negotiation.pk}",
            [(_("Negotiation"), columns, rows)],
        )
    n = view.negotiation
    context: dict[str, Any] = {
        "section": "performance",
        "view": view,
        "n": n,
        "figure": timeline_figure(view),
        "totals": unit_totals(view),
        "threshold_pct": n.gap_threshold * 100,
        "answering": n.status == Negotiation.Status.ANSWERING,
        "adjusting": n.status == Negotiation.Status.ADJUSTING and view.can_manage,
        "settled": n.status == Negotiation.Status.SETTLED and view.can_manage,
    }
    return render(request, "performance/negotiation/page.html", context)


def _act(request: PageRequest, negotiation_id: int, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("performance_negotiation", negotiation_id)


@login_required
@require_POST
def negotiation_answer(request: PageRequest, negotiation_id: int) -> HttpResponse:
    return _act(
        request,
        negotiation_id,
        lambda: services.negotiation_answer(
            request.user,
            negotiation_id,
            unit_id=id_param(request.POST.get("unit_id")) or 0,
            committed=_amount(request.POST.get("committed")),
            version=_version(request.POST.get("version")),  # type: ignore[arg-type]
            note=request.POST.get("note", ""),
        ),
        _("Answer saved."),
    )


@login_required
@require_POST
def negotiation_propose(request: PageRequest, negotiation_id: int) -> HttpResponse:
    return _act(
        request,
        negotiation_id,
        lambda: services.negotiation_propose(
            request.user,
            negotiation_id,
            version=_version(request.POST.get("version")),  # type: ignore[arg-type]
            proposals=_proposals(request),
        ),
        _("Adjusted: the next round is open."),
    )


@login_required
@require_POST
def negotiation_close(request: PageRequest, negotiation_id: int) -> HttpResponse:
    return _act(
        request,
        negotiation_id,
        lambda: services.negotiation_close(
            request.user,
            negotiation_id,
            version=_version(request.POST.get("version")),  # type: ignore[arg-type]
        ),
        _("Approved: the grid is the target of record."),
    )


urlpatterns = [
    path("performance/negotiation/", negotiation_index, name="performance_negotiations"),
    path("performance/negotiation/<int:negotiation_id>/", negotiation_page, name="performance_negotiation"),
    path(
        "performance/negotiation/<int:negotiation_id>/answer",
        negotiation_answer,
        name="performance_negotiation_answer",
    ),
    path(
        "performance/negotiation/<int:negotiation_id>/propose",
        negotiation_propose,
        name="performance_negotiation_propose",
    ),
    path(
        "performance/negotiation/<int:negotiation_id>/close",
        negotiation_close,
        name="performance_negotiation_close",
    ),
]
