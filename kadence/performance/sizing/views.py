"""The sales-force sizing page (issue 14 §6): /performance/sizing/ — the reps the scope and its units need
over the rest of the period against their headcount, every input shown; the inputs a user may set are
edited in place (POST /performance/sizing/inputs/). ?period_kind=, ?day=, ?unit_id= as on the quota
position; ?format=xlsx or csv exports the table."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError
from kadence.core.export import Column, report_format, report_response
from kadence.core.prg import ERROR_PAGES
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param
from kadence.core.visibility import can_set_sizing, scope_choices
from kadence.performance.sizing import services
from kadence.performance.sizing.selectors import SizingReport, SizingRow, sizing_report


def cells(row: SizingRow) -> list[Any]:
    s, i = row.sizing, row.sizing.inputs
    return [
        i.target,
        i.booked,
        i.expected,
        s.gap,
        i.average_won_deal,
        row.history_deals,
        s.deals_needed,
        i.activities_per_won_deal,
        _("history") if row.activities_from_history else _("set"),
        s.activities_needed,
        i.hours_per_activity,
        s.hours_needed,
        i.hours_per_rep,
        s.reps_needed,
        i.headcount,
        s.shortfall,
    ]


def sizing_export(report: SizingReport, fmt: str) -> HttpResponse:
    p = report.position
    figures: list[Column | str] = [
        _("Unit"),
        Column(_("Target"), kind="number"),
        Column(_("Booked"), kind="number"),
        Column(_("Expected"), kind="number"),
        Column(_("Gap"), kind="number"),
        Column(_("Average won deal"), kind="number"),
        Column(_("Won deals in history"), kind="int"),
        Column(_("Deals needed"), kind="int"),
        Column(_("Activities per won deal"), kind="number"),
        _("Activities per won deal from"),
        Column(_("Activities needed"), kind="number"),
        Column(_("Hours per activity"), kind="number"),
        Column(_("Hours needed"), kind="number"),
        Column(_("Selling hours per rep"), kind="number"),
        Column(_("Reps needed"), kind="number"),
        Column(_("Headcount"), kind="int"),
        Column(_("Reps short (negative: to spare)"), kind="int"),
    ]
    return report_response(
        fmt,
        f"sizing-{p.period.label}",
        [
            (_("Sizing"), figures, [[r.label, *cells(r)] for r in [report.total, *report.units]]),
            (
                _("Definitions"),
                [_("Figure"), Column(_("Definition"), width=60)],
                [
                    [_("Period"), f"{p.period.label}: {p.days_left} / {p.period.days}"],
                    [_("Expected"), p.source_text],
                    [_("History"), f"{report.history_start} – {p.as_of}"],
                    [_("Reps needed"), str(FORMULA)],
                ],
            ),
        ],
    )


FORMULA = _(
    "Deals needed = (target − booked − expected) ÷ average won deal, rounded up; hours needed = deals needed × "
    "activities per won deal × hours per activity; reps needed = hours needed ÷ a rep's selling hours over "
    "the rest of the period."
)


def _query(request: PageRequest) -> dict[str, Any]:
    return {
        "period_kind": request.GET.get("period_kind") or None,
        "day": parse_date_param(request.GET.get("day"), "day"),
        "unit_id": id_param(request.GET.get("unit_id")),
    }


@login_required
@require_GET
def sizing_page(request: PageRequest) -> HttpResponse:
    query = _query(request)
    report = sizing_report(request.user, **query)
    if fmt := report_format(request):
        return sizing_export(report, fmt)
    rows = [
        (row, can_set_sizing(request.user, row.unit) if row.unit is not None else False)
        for row in [report.total, *report.units]
    ]
    context = {
        "section": "performance",
        "report": report,
        "position": report.position,
        "scope": report.position.scope,
        "choices": scope_choices(request.user),
        "period_kind": report.position.period.kind,
        "periods": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
        "day": query["day"],
        "rows": rows,
        "formula": FORMULA,
        "can_set_default": can_set_sizing(request.user, None),
        "back": request.get_full_path(),
    }
    return render(request, "performance/sizing/page.html", context)


@login_required
@require_POST
def sizing_inputs(request: PageRequest) -> HttpResponse:
    """Set a unit's own inputs (or the default, unit "default"); back to the page with a message."""
    raw_unit = request.POST.get("unit_id") or ""
    unit_id = None if raw_unit == "default" else id_param(raw_unit)
    raw_version = (request.POST.get("version") or "").strip()
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        "/"
    ):
        back = "/performance/sizing/"
    try:
        if request.POST.get("reset") and unit_id is not None:
            services.sizing_reset(
                request.user, unit_id, version=int(raw_version) if raw_version.isdigit() else None
            )
        else:
            services.sizing_set(
                request.user,
                unit_id,
                version=int(raw_version) if raw_version.isdigit() else None,
                hours_per_activity=request.POST.get("hours_per_activity"),
                selling_hours_per_month=request.POST.get("selling_hours_per_month"),
                activities_per_won_deal=request.POST.get("activities_per_won_deal"),
            )
    except ERROR_PAGES:
        raise
    except DomainError as exc:
        errors = getattr(exc, "errors", {}) or {}
        detail = "; ".join(f"{field}: {' '.join(map(str, texts))}" for field, texts in errors.items())
        messages.error(request, f"{exc.detail} {detail}".strip())
        return redirect(back)
    messages.success(request, _("Sizing inputs saved."))
    return redirect(back)
