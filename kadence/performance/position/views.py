"""The quota-position page (issue 14 §3): /performance/position/ — the scope's total, its units one level
down (each a link to drill into) and its sellers sorted by V with the flags (each a link to the seller's
own position); a seller sees their own. ?period_kind=month|quarter|year (default quarter), ?day= (any day
of the period; default today), ?unit_id=, ?owner_id=, ?sort=v|-v|name|attainment|remaining, ?page=;
?format=xlsx or csv exports every seller, not only the page shown."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kadence.core.export import Column, report_format, report_response
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param
from kadence.core.visibility import scope_choices
from kadence.performance.position.selectors import PositionReport, PositionRow, position_report


def columns() -> list[Column | str]:
    return [
        Column(_("Quota"), kind="number"),
        Column(_("Booked"), kind="number"),
        Column(_("Attainment"), kind="rate"),
        Column(_("Remaining quota"), kind="number"),
        Column(_("Remaining opportunity"), kind="number"),
        Column(_("Open deals"), kind="int"),
        Column(_("V"), kind="number"),
        Column(_("Expected"), kind="number"),
        Column(_("Expected V"), kind="number"),
        Column(_("Days remaining"), kind="int"),
        Column(_("Required per day"), kind="number"),
        Column(_("Required per week"), kind="number"),
        Column(_("Status")),
    ]


def status_label(row: PositionRow) -> str:
    return {
        "no_quota": _("No quota"),
        "met": _("Quota made"),
        "below_one": _("V < 1: cannot make quota even by winning everything"),
        "on_track": _("V ≥ 1"),
    }[row.status]


def cells(row: PositionRow) -> list[Any]:
    p, rate = row.position, row.run_rate
    return [
        p.quota,
        p.booked,
        p.attainment,
        p.remaining_quota,
        p.remaining_opportunity,
        row.open_count,
        p.v,
        row.expected,
        row.v_expected,
        row.days_left,
        rate.per_day if rate else None,
        rate.per_week if rate else None,
        status_label(row),
    ]


def position_export(report: PositionReport, fmt: str) -> HttpResponse:
    figures = columns()
    return report_response(
        fmt,
        f"quota-position-{report.period.label}",
        [
            (
                _("Sellers"),
                [_("Seller"), _("Team"), *figures],
                [[r.label, r.team, *cells(r)] for r in report.rows],
            ),
            (
                _("Units"),
                [_("Unit"), _("Kind"), *figures],
                [[r.label, r.team, *cells(r)] for r in [report.total, *report.units]],
            ),
            (
                _("Definitions"),
                [_("Figure"), Column(_("Definition"), width=60)],
                [
                    [_("Period"), f"{report.period.label} ({report.period.start} – {report.period.end})"],
                    [_("As of"), report.as_of.isoformat()],
                    [
                        _("V"),
                        _(
                            "Remaining opportunity ÷ remaining quota; below 1 the quota cannot be made even by winning every open deal of the period."
                        ),
                    ],
                    [_("Expected"), report.source_text],
                ],
            ),
        ],
    )


@login_required
@require_GET
def position_page(request: PageRequest) -> HttpResponse:
    day = parse_date_param(request.GET.get("day"), "day")
    report = position_report(
        request.user,
        period_kind=request.GET.get("period_kind") or None,
        day=day,
        unit_id=id_param(request.GET.get("unit_id")),
        owner_id=id_param(request.GET.get("owner_id")),
        sort=request.GET.get("sort") or None,
        page=request.GET.get("page"),
    )
    if fmt := report_format(request):
        return position_export(report, fmt)
    context = {
        "section": "performance",
        "report": report,
        "scope": report.scope,
        "choices": scope_choices(request.user),
        "period_kind": report.period.kind,
        "periods": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
        "day": day,
        "rep_rows": [(r, status_label(r)) for r in report.reps.items],
        "unit_rows": [(r, status_label(r)) for r in report.units],
        "total_status": status_label(report.total),
    }
    return render(request, "performance/position/page.html", context)
