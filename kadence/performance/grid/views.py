"""Pages of the target grid (issue 14 §1).

- /performance/grid/ — the grids you read; a lead or admin makes one (unit, year, target type, tier);
- /performance/grid/<id>/?row=<row id> — one level: the row, the rows right below it, their sum and the
  gap per month, quarter and year. Cells are edited like a spreadsheet (kadence/static/kadence/grid.js:
  arrows and Enter move, a block pasted from Excel fills the cells from the one focused); each change is
  posted to …/cells (htmx) and the level comes back with the gaps; ?format=xlsx or csv exports the
  whole grid as you read it; …/import reads such a file back;
- …/spread, …/roll-up, …/approve — the level's actions (POST)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.export import report_format, report_response
from kadence.core.htmx import is_htmx
from kadence.core.prg import ERROR_PAGES
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param
from kadence.core.visibility import can_lead, settable_units
from kadence.domain import grid as rules
from kadence.performance.grid import services
from kadence.performance.grid.models import TargetGrid
from kadence.performance.grid.selectors import (
    access_grid_read,
    grid_level,
    grid_list,
    grid_sheet,
    period_labels,
)
from kadence.transfer.reader import file_type


@login_required
@require_http_methods(["GET", "POST"])
def grid_index(request: PageRequest) -> HttpResponse:
    error: str = ""
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            grid = services.grid_create(
                request.user,
                root_id=id_param(request.POST.get("root_id")) or 0,
                year=int(request.POST.get("year") or 0) if (request.POST.get("year") or "").isdigit() else 0,
                measure=request.POST.get("measure", ""),
                tier=request.POST.get("tier", ""),
                currency=request.POST.get("currency") or "CNY",
                split=request.POST.get("split", ""),
            )
        except DomainError as exc:
            error, errors = exc.detail, getattr(exc, "errors", {})
            if existing := exc.extra.get("existing_id"):
                return redirect("performance_grid", existing)
        else:
            messages.success(request, _("Grid made."))
            return redirect("performance_grid", grid.pk)
    return render(
        request,
        "performance/grid/index.html",
        {
            "section": "performance",
            "grids": grid_list(request.user)[:200],
            "can_create": can_lead(request.user),
            "units": settable_units(request.user)[:500] if can_lead(request.user) else [],
            "measures": TargetGrid.Measure.choices,
            "tiers": TargetGrid.Tier.choices,
            "splits": TargetGrid.Split.choices,
            "error": error,
            "errors": errors,
            "posted": request.POST,
        },
        status=422 if error else 200,
    )


def _context(request: PageRequest, grid_id: int, row_id: int | None, **extra: Any) -> dict[str, Any]:
    grid = access_grid_read(request.user, grid_id)
    level = grid_level(request.user, grid, row_id)
    return {
        "section": "performance",
        "grid": grid,
        "level": level,
        "periods": period_labels(),
        "quarters": {p for p in rules.PERIOD_ORDER if p[0] in "QY"},
        **extra,
    }


@login_required
@require_GET
def grid_page(request: PageRequest, grid_id: int) -> HttpResponse:
    fmt = report_format(request)
    if fmt:
        grid = access_grid_read(request.user, grid_id)
        columns, rows = grid_sheet(request.user, grid)
        return report_response(fmt, f"target-grid-{grid.year}-{grid.pk}", [(_("Target grid"), columns, rows)])
    return render(
        request, "performance/grid/grid.html", _context(request, grid_id, id_param(request.GET.get("row")))
    )


def _act(request: PageRequest, grid_id: int, action: Any, done: str) -> HttpResponse:
    """Run an action; htmx gets the level back (with the refusal and its status), a plain post a redirect."""
    row_id = id_param(request.POST.get("row"))
    try:
        result = action()
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        if not is_htmx(request):
            messages.error(request, exc.detail)
            return _back(grid_id, row_id)
        context = _context(request, grid_id, row_id, error=exc.detail, code=exc.code)
        return render(request, "performance/grid/_level.html", context, status=exc.status)
    notice = done % {"n": result} if isinstance(result, int) else done
    if not is_htmx(request):
        messages.success(request, notice)
        return _back(grid_id, row_id)
    return render(request, "performance/grid/_level.html", _context(request, grid_id, row_id, notice=notice))


def _back(grid_id: int, row_id: int | None) -> HttpResponse:
    response = redirect("performance_grid", grid_id)
    if row_id:
        response["Location"] += f"?row={row_id}"
    return response


def _version(request: PageRequest, name: str = "version") -> int | None:
    raw = request.POST.get(name, "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def grid_cells(request: PageRequest, grid_id: int) -> HttpResponse:
    """The cells posted as `c-<row>-<period>` with each row's version as `v-<row>`."""

    def edits() -> list[services.CellEdit]:
        found = []
        for name in request.POST:
            value = request.POST.get(name, "")
            if not name.startswith("c-"):
                continue
            _c, row, period = (name.split("-", 2) + ["", ""])[:3]
            if not row.isdigit() or period not in rules.PERIODS:
                raise ValidationFailed(_("Unknown cell."), {name: [_("Unknown cell.")]})
            amount = value.replace(",", "").strip() or "0"
            found.append(services.CellEdit(int(row), period, amount, _version(request, f"v-{row}")))  # type: ignore[arg-type]
        return found

    return _act(
        request, grid_id, lambda: services.cells_write(request.user, grid_id, edits()), _("%(n)s rows saved.")
    )


@login_required
@require_POST
def grid_spread(request: PageRequest, grid_id: int) -> HttpResponse:
    row = id_param(request.POST.get("row")) or 0
    return _act(
        request,
        grid_id,
        lambda: services.row_spread(request.user, grid_id, row, version=_version(request)),  # type: ignore[arg-type]
        _("Spread down: %(n)s rows changed."),
    )


@login_required
@require_POST
def grid_roll_up(request: PageRequest, grid_id: int) -> HttpResponse:
    row = id_param(request.POST.get("row")) or 0
    return _act(
        request,
        grid_id,
        lambda: services.row_roll_up(request.user, grid_id, row, version=_version(request)),  # type: ignore[arg-type]
        _("Rolled up: %(n)s rows changed."),
    )


@login_required
@require_POST
def grid_approve(request: PageRequest, grid_id: int) -> HttpResponse:
    return _act(
        request,
        grid_id,
        lambda: services.grid_approve(request.user, grid_id, version=_version(request)) and None,  # type: ignore[arg-type]
        _("Grid approved."),
    )


@login_required
@require_POST
def grid_import(request: PageRequest, grid_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationFailed(_("Choose a file."), {"file": [_("Choose a file.")]})
        changed = services.grid_import(request.user, grid_id, upload, file_type(upload.name or ""))
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Imported: %(n)s rows changed.") % {"n": changed})
    return redirect("performance_grid", grid_id)


urlpatterns = [
    path("performance/grid/", grid_index, name="performance_grids"),
    path("performance/grid/<int:grid_id>/", grid_page, name="performance_grid"),
    path("performance/grid/<int:grid_id>/cells", grid_cells, name="performance_grid_cells"),
    path("performance/grid/<int:grid_id>/spread", grid_spread, name="performance_grid_spread"),
    path("performance/grid/<int:grid_id>/roll-up", grid_roll_up, name="performance_grid_roll_up"),
    path("performance/grid/<int:grid_id>/approve", grid_approve, name="performance_grid_approve"),
    path("performance/grid/<int:grid_id>/import", grid_import, name="performance_grid_import"),
]
