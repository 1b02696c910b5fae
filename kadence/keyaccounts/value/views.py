"""Pages of the value part.

- /key-accounts/value/rad/ — the RAD matrix of a scope and year (3 × 3 table with counts and amounts and a
  heat map), ?cell=R1 drills into the cell's accounts (paginated), the moves since last year and the focus
  rule per AE; ?format=xlsx|csv exports every table; an admin recomputes the year (POST …/compute/);
- /key-accounts/value/abc/ — ABC classes by revenue, profit or volume with the Pareto chart and the accounts;
- /key-accounts/value/territories/ — BP coverage per territory: accounts with an owner and recent activity;
- POST /key-accounts/value/accounts/<id>/buying-power/ — the account page's BP form.

Parameters: ?year= (default this year), ?unit_id= / ?owner_id= (leads and admins; outside one's reach 404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError
from kadence.core.export import Column, report_format, report_response
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param
from kadence.core.visibility import can_compute_kam_value, kam_value_scope, scope_choices
from kadence.domain.kam import value as dv
from kadence.keyaccounts.value import selectors, services


def _flag_labels(flags: tuple[str, ...]) -> list[str]:
    labels = {
        "few_r": _("Fewer R accounts than the focus rule asks"),
        "many_r": _("More R accounts than one AE can focus on"),
        "few_d": _("Fewer D accounts than the focus rule asks"),
        "many_d": _("More D accounts than one AE can focus on"),
    }
    return [labels[f] for f in flags]


def _params(request: PageRequest) -> dict[str, Any]:
    year = selectors.check_year(request.GET.get("year") or selectors.this_year())
    unit_id = id_param(request.GET.get("unit_id"))
    owner_id = id_param(request.GET.get("owner_id"))
    scope = kam_value_scope(request.user, unit_id=unit_id, owner_id=owner_id)
    return {"year": year, "scope": scope}


def _pct(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


# --- RAD ------------------------------------------------------------------------------------------


def _rad_export(
    fmt: str, year: int, matrix: selectors.Matrix, cell: str | None, page: Any, moves: list, focus: list
) -> HttpResponse:
    sheets: list[Any] = [
        (
            _("RAD matrix"),
            [
                _("Cell"),
                Column(_("Accounts"), kind="number"),
                Column(_("BP"), kind="number"),
                Column(_("Our revenue"), kind="number"),
                Column(_("Remaining opportunity"), kind="number"),
            ],
            [[c.cell, c.accounts, c.bp, c.revenue, c.remaining] for c in matrix.cells.values()],
        ),
        (
            _("Movements"),
            [_("Last year"), _("This year"), Column(_("Accounts"), kind="number")],
            [[m.before or _("(new)"), m.after, m.accounts] for m in moves],
        ),
        (
            _("Focus per AE"),
            [
                Column(_("AE"), width=24),
                Column(_("R accounts"), kind="number"),
                Column(_("D accounts"), kind="number"),
                Column(_("Flags"), width=50),
            ],
            [[f.owner.label, f.r_count, f.d_count, "; ".join(_flag_labels(f.flags))] for f in focus],
        ),
    ]
    if cell and page is not None:
        sheets.append(
            (
                _("Accounts in %(cell)s") % {"cell": cell},
                [
                    Column(_("Account"), width=30),
                    _("Owner"),
                    Column(_("BP"), kind="number"),
                    Column(_("Our revenue"), kind="number"),
                    Column(_("SOW %"), kind="number"),
                    Column(_("Remaining opportunity"), kind="number"),
                ],
                [
                    [r.account.name, r.owner.label, r.bp, r.revenue, _pct(r.sow), r.remaining]
                    for r in page.items
                ],
            )
        )
    return report_response(fmt, f"rad-{year}", sheets)


@login_required
@require_GET
def rad_page(request: PageRequest) -> HttpResponse:
    """The RAD matrix with drill-down, movements and the focus check."""
    params = _params(request)
    scope, year = params["scope"], params["year"]
    p = selectors.policy()
    matrix = selectors.matrix(scope, year)
    cell = request.GET.get("cell") or None
    page = selectors.cell_accounts(scope, year, cell, request.GET.get("page"), 25) if cell else None
    moves = selectors.transitions(scope, year)
    focus = selectors.focus(scope, year, p)
    if fmt := report_format(request):
        return _rad_export(fmt, year, matrix, cell, page, moves, focus)
    z = [[c.accounts for c in row] for row in matrix.grid()]
    context = {
        "section": "keyaccounts",
        "year": year,
        "years": [year - 1, year + 1],
        "scope": scope,
        "choices": scope_choices(request.user),
        "matrix": matrix,
        "grid": list(zip(dv.SOW_LETTERS, matrix.grid(), strict=True)),
        "cell": cell,
        "page": page,
        "moves": moves,
        "focus": [(f, _flag_labels(f.flags)) for f in focus],
        "policy": p,
        "can_compute": can_compute_kam_value(request.user),
        "figure": {
            "data": [
                {
                    "type": "heatmap",
                    "z": z,
                    "x": ["1", "2", "3"],
                    "y": list(dv.SOW_LETTERS),
                    "colorscale": "Blues",
                    "reversescale": True,  # more accounts, darker
                    "hovertemplate": "%{y}%{x}: %{z}<extra></extra>",
                }
            ],
            "layout": {
                "height": 300,
                "yaxis": {"autorange": "reversed", "title": {"text": _("SOW")}, "type": "category"},
                "xaxis": {"title": {"text": _("BP")}, "side": "top", "type": "category"},
            },
        },
    }
    return render(request, "keyaccounts/value/rad.html", context)


@login_required
@require_POST
def compute_page(request: PageRequest) -> HttpResponse:
    year = request.POST.get("year") or selectors.this_year()
    try:
        result = services.value_compute(request.user, year=selectors.check_year(year))
        messages.success(request, _("Recomputed %(n)s RAD cells.") % {"n": result.rad_cells})
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect(f"{reverse('keyaccounts_rad')}?year={year}")


# --- ABC ------------------------------------------------------------------------------------------


@login_required
@require_GET
def abc_page(request: PageRequest) -> HttpResponse:
    """ABC classes of a scope with the Pareto chart and the accounts."""
    params = _params(request)
    scope, year = params["scope"], params["year"]
    basis = selectors.check_basis(request.GET.get("basis") or "revenue")
    klass = request.GET.get("klass") or None
    if klass:
        selectors.check_class(klass)
    p = selectors.policy()
    result = selectors.abc(scope, year, basis, p)
    page = selectors.abc_accounts(scope, year, basis, klass, request.GET.get("page"), 25, p)
    if fmt := report_format(request):
        everything = selectors.abc_accounts(scope, year, basis, klass, 1, 10000, p)
        return report_response(
            fmt,
            f"abc-{basis}-{year}",
            [
                (
                    _("ABC classes"),
                    [
                        _("Class"),
                        Column(_("Accounts"), kind="number"),
                        Column(_("Value"), kind="number"),
                        Column(_("Share %"), kind="number"),
                    ],
                    [[c.klass, c.accounts, c.value, _pct(c.share)] for c in result.classes],
                ),
                (
                    _("Accounts"),
                    [
                        Column(_("Rank"), kind="number"),
                        Column(_("Account"), width=30),
                        _("Owner"),
                        Column(_("Value"), kind="number"),
                        Column(_("Cumulative share %"), kind="number"),
                        _("Class"),
                    ],
                    [
                        [r.rank, r.name, r.owner, r.value, _pct(r.cum_share), r.klass]
                        for r in everything.items
                    ],
                ),
            ],
        )
    context = {
        "section": "keyaccounts",
        "year": year,
        "scope": scope,
        "choices": scope_choices(request.user),
        "basis": basis,
        "bases": [(b, label) for b, label in selectors.AbcClass.Basis.choices],
        "klass": klass,
        "abc": result,
        "page": page,
        "policy": p,
        "figure": {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": _("Cumulative share %"),
                    "x": [pt[0] for pt in result.pareto],
                    "y": [round(pt[1], 2) for pt in result.pareto],
                }
            ],
            "layout": {
                "height": 300,
                "xaxis": {"title": {"text": _("Accounts by rank")}},
                "yaxis": {"title": {"text": _("Cumulative share %")}, "range": [0, 101]},
                "shapes": [
                    {
                        "type": "line",
                        "xref": "paper",
                        "x0": 0,
                        "x1": 1,
                        "y0": float(v),
                        "y1": float(v),
                        "line": {"dash": "dot", "width": 1},
                    }
                    for v in (p.abc_a_pct, p.abc_b_pct)
                ],
            },
        },
    }
    return render(request, "keyaccounts/value/abc.html", context)


# --- territories -----------------------------------------------------------------------------------


@login_required
@require_GET
def territories_page(request: PageRequest) -> HttpResponse:
    """Coverage per territory: accounts with an owner and recent activity ÷ all accounts."""
    params = _params(request)
    by = request.GET.get("by") or "team"
    days_text = request.GET.get("days")
    days = selectors.check_days(days_text) if days_text else selectors.coverage_days()
    rows = selectors.coverage(params["scope"], by=by, days=days)
    if fmt := report_format(request):
        return report_response(
            fmt,
            "territory-coverage",
            [
                (
                    _("Coverage"),
                    [
                        Column(_("Territory"), width=30),
                        Column(_("Accounts"), kind="number"),
                        Column(_("Covered"), kind="number"),
                        Column(_("Coverage %"), kind="number"),
                    ],
                    [[t.name, t.accounts, t.covered, _pct(t.rate)] for t in rows],
                )
            ],
        )
    context = {
        "section": "keyaccounts",
        "scope": params["scope"],
        "choices": scope_choices(request.user),
        "by": by,
        "days": days,
        "rows": [(t, _pct(t.rate)) for t in rows],
    }
    return render(request, "keyaccounts/value/territories.html", context)


# --- the account page's BP form ------------------------------------------------------------------------


@login_required
@require_GET
def account_value_card(request: PageRequest, account_id: int) -> HttpResponse:
    """The account page's value card (an htmx fragment; 404 for an account you cannot see)."""
    year = selectors.check_year(request.GET.get("year") or selectors.this_year())
    value = selectors.account_value(request.user, account_id, year)
    return render(request, "keyaccounts/value/_account_value_card.html", {"v": value})


@login_required
@require_POST
def buying_power_post(request: PageRequest, account_id: int) -> HttpResponse:
    version = request.POST.get("version")
    try:
        services.buying_power_set(
            request.user,
            account_id,
            year=selectors.check_year(request.POST.get("year")),
            amount=request.POST.get("amount"),
            note=request.POST.get("note", ""),
            version=int(version) if version and version.isdigit() else None,
        )
        messages.success(request, _("Buying power saved."))
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.detail)
    return redirect(reverse("account_detail", args=[account_id]))


urlpatterns = [
    path("key-accounts/value/rad/", rad_page, name="keyaccounts_rad"),
    path("key-accounts/value/compute/", compute_page, name="keyaccounts_value_compute"),
    path("key-accounts/value/abc/", abc_page, name="keyaccounts_abc"),
    path("key-accounts/value/territories/", territories_page, name="keyaccounts_territories"),
    path(
        "key-accounts/value/accounts/<int:account_id>/buying-power/",
        buying_power_post,
        name="keyaccounts_bp_post",
    ),
    path(
        "key-accounts/value/accounts/<int:account_id>/card/",
        account_value_card,
        name="keyaccounts_account_value_card",
    ),
]
