"""The director's dashboard page (issue 14 §8): /performance/dashboard/ — charts first (Plotly), the tables
behind them: attainment of the scope's rows one level down (each a link to drill into: company → region →
team → seller), the year's trend of booked + forecast against target, the V值 and KPI-grade distributions
and the anomalies. ?period_kind=month|quarter|year (default quarter), ?day=, ?unit_id=, ?owner_id=,
?basis=weighted|commit|best_case; ?format=xlsx or csv exports every table and the definitions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kadence.core.amounts import COUNT_AXIS, money_axis
from kadence.core.export import Column, report_format, report_response
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param
from kadence.core.visibility import scope_choices
from kadence.performance.dashboard.selectors import BASES, Dashboard, GridRow, dashboard_report

HUNDRED = Decimal(100)


def metric_label(metric: str) -> str:
    return {
        "attainment": _("Attainment far from its peers"),
        "v": _("V far from its peers"),
        "coverage_drop": _("Pipeline coverage dropped"),
    }[metric]


def period_names() -> dict[str, str]:
    return {"month": _("Month"), "quarter": _("Quarter"), "year": _("Year")}


def _pct(rate: Decimal | None) -> float | None:
    return None if rate is None else float(rate * HUNDRED)


def _label(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * HUNDRED:.0f}%"


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def figures(d: Dashboard) -> dict[str, Any]:
    """The Plotly figures ({"data", "layout"}) of the page, built from the report."""
    kind = d.period.kind
    shown = [d.total, *d.rows]
    attainment = {
        "data": [
            {
                "type": "bar",
                "x": [r.label for r in shown],
                "y": [_pct(r.of(kind).rate) for r in shown],
                "text": [_label(r.of(kind).rate) for r in shown],
                "textposition": "auto",
                "name": _("Attainment"),
            }
        ],
        "layout": {
            "height": 300,
            "yaxis": {
                "title": {"text": _("Attainment %")},
                "rangemode": "tozero",
                "tickformat": ",.0f",
                "ticksuffix": "%",
            },
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": 100,
                    "y1": 100,
                    "line": {"dash": "dot", "color": "#888"},
                }
            ],
        },
    }
    months = [p.month.isoformat() for p in d.trend]
    trend = {
        "data": [
            {"type": "bar", "x": months, "y": [_num(p.booked) for p in d.trend], "name": _("Booked")},
            {"type": "bar", "x": months, "y": [_num(p.forecast) for p in d.trend], "name": _("Forecast")},
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": months,
                "y": [_num(p.cum_target) for p in d.trend],
                "name": _("Target, cumulative"),
                "line": {"dash": "dot"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": months,
                "y": [_num(p.cum_booked) for p in d.trend],
                "name": _("Booked, cumulative"),
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": months,
                "y": [_num(p.cum_projection) for p in d.trend],
                "name": _("Booked + forecast, cumulative"),
                "line": {"dash": "dash"},
            },
        ],
        "layout": {
            "height": 340,
            "barmode": "stack",
            "xaxis": {"type": "date", "tickformat": "%m"},
            "yaxis": money_axis(
                [p.booked + p.forecast for p in d.trend]
                + [v for p in d.trend for v in (p.cum_target, p.cum_booked, p.cum_projection)]
            ),
        },
    }
    v_hist = {
        "data": [
            {
                "type": "bar",
                "x": [str(b.label) for b in d.v_bins],
                "y": [b.count for b in d.v_bins],
                "name": "V",
            }
        ],
        "layout": {
            "height": 260,
            "yaxis": {"title": {"text": _("Sellers")}, "rangemode": "tozero", **COUNT_AXIS},
        },
    }
    grades = {
        "data": [
            {
                "type": "bar",
                "x": [str(b.label) for b in d.grades],
                "y": [b.count for b in d.grades],
                "name": _("Grade"),
            }
        ],
        "layout": {
            "height": 260,
            "yaxis": {"title": {"text": _("Sellers")}, "rangemode": "tozero", **COUNT_AXIS},
        },
    }
    return {"attainment": attainment, "trend": trend, "v": v_hist, "grades": grades}


def _grid_cells(row: GridRow) -> list[Any]:
    return [
        v for k in ("month", "quarter", "year") for v in (row.of(k).target, row.of(k).booked, row.of(k).rate)
    ]


def dashboard_export(d: Dashboard, fmt: str) -> HttpResponse:
    names = period_names()
    grid_columns: list[Column | str] = [_("Unit or seller"), _("Kind")]
    for key in ("month", "quarter", "year"):
        grid_columns += [
            Column(f"{names[key]} · {_('Target')}", kind="money"),
            Column(f"{names[key]} · {_('Booked')}", kind="money"),
            Column(f"{names[key]} · {_('Attainment')}", kind="rate"),
        ]
    return report_response(
        fmt,
        f"dashboard-{d.period.label}",
        [
            (_("Attainment"), grid_columns, [[r.label, r.sub, *_grid_cells(r)] for r in [d.total, *d.rows]]),
            (
                _("Trend"),
                [
                    Column(_("Month"), kind="date"),
                    Column(_("Target"), kind="money"),
                    Column(_("Booked"), kind="money"),
                    Column(_("Forecast"), kind="money"),
                    Column(_("Target, cumulative"), kind="money"),
                    Column(_("Booked, cumulative"), kind="money"),
                    Column(_("Booked + forecast, cumulative"), kind="money"),
                ],
                [
                    [p.month, p.target, p.booked, p.forecast, p.cum_target, p.cum_booked, p.cum_projection]
                    for p in d.trend
                ],
            ),
            (
                _("V distribution"),
                [_("V"), Column(_("Sellers"), kind="int")],
                [[str(b.label), b.count] for b in d.v_bins],
            ),
            (
                _("Grades"),
                [_("Grade"), Column(_("Sellers"), kind="int")],
                [[str(b.label), b.count] for b in d.grades] + [[_("Not graded"), d.not_graded]],
            ),
            (
                _("Anomalies"),
                [_("Unit or seller"), _("Anomaly"), Column(_("Value"), kind="number"), _("Why")],
                [[a.row.label, metric_label(a.metric), a.value, a.reason] for a in d.anomalies],
            ),
            (
                _("Definitions"),
                [_("Figure"), Column(_("Definition"), width=60)],
                definitions(d),
            ),
        ],
    )


def definitions(d: Dashboard) -> list[list[str]]:
    p = d.policy
    return [
        [_("Scope"), str(d.scope.label)],
        [_("Period"), f"{d.period.label} ({d.period.start} – {d.period.end})"],
        [_("As of"), d.as_of.isoformat()],
        [
            _("Attainment"),
            _("Booked (won amount closed in the period) ÷ the target of record of the period."),
        ],
        [_("Forecast"), d.basis_text],
        [
            _("Anomaly"),
            _(
                "Among the rows of one level: |z| ≥ %(z)s, or outside Q1 − %(k)s × IQR … Q3 + %(k)s × IQR, with at least %(n)s peers; or V fell by %(drop)s or more since the forecast snapshot of %(days)s days ago."
            )
            % {
                "z": p.z_threshold,
                "k": p.iqr_factor,
                "n": p.min_peers,
                "drop": f"{p.coverage_drop * HUNDRED:.0f}%",
                "days": p.coverage_lookback_days,
            },
        ],
    ]


@login_required
@require_GET
def dashboard_page(request: PageRequest) -> HttpResponse:
    day = parse_date_param(request.GET.get("day"), "day")
    report = dashboard_report(
        request.user,
        period_kind=request.GET.get("period_kind") or None,
        day=day,
        unit_id=id_param(request.GET.get("unit_id")),
        owner_id=id_param(request.GET.get("owner_id")),
        basis=request.GET.get("basis") or None,
    )
    if fmt := report_format(request):
        return dashboard_export(report, fmt)
    context = {
        "section": "performance",
        "report": report,
        "scope": report.scope,
        "choices": scope_choices(request.user),
        "periods": list(period_names().items()),
        "bases": [(key, str(text)) for key, text in BASES.items()],
        "day": day,
        "figures": figures(report),
        "anomalies": [(a, metric_label(a.metric)) for a in report.anomalies],
        "definitions": definitions(report),
        "kinds": ("month", "quarter", "year"),
    }
    return render(request, "performance/dashboard/page.html", context)
