"""Pages of the activity quotas (issue 13 §1) and the effort leaderboard (§8).

- /rhythm/quotas/ — attainment per rep (cards, usable on a phone: a rep sees their own), team and region
  totals, the trend of the last weeks (Plotly), the metrics' definitions; ?format=xlsx or csv exports;
- /rhythm/effort/ — the leaderboard of effort with each column's definition; ?format=xlsx or csv.

Parameters: ?period=day|week|month|quarter (default week; another value is 422), ?day=YYYY-MM-DD
(default today), ?unit_id= and ?owner_id= (leads and admins; outside one's reach 404)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kadence.core.errors import ValidationFailed
from kadence.core.export import Column, report_format, report_response
from kadence.core.export import Kind as ColumnKind
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param
from kadence.core.visibility import can_configure_quotas, scope_choices
from kadence.rhythm.quotas.effort import EffortBoard, effort_board
from kadence.rhythm.quotas.selectors import (
    ACTIVITY_METRICS,
    PERIOD_KINDS,
    AttainmentReport,
    GroupRow,
    attainment_report,
)


def _params(request: PageRequest) -> dict[str, Any]:
    period = request.GET.get("period") or "week"
    if period not in PERIOD_KINDS:
        raise ValidationFailed(
            _("Unknown period."), {"period": [_("Choose day, week, month or quarter.")]}, code="bad_period"
        )
    return {
        "period": period,
        "day": parse_date_param(request.GET.get("day"), "day") or timezone.localdate(),
        "unit_id": id_param(request.GET.get("unit_id")),
        "owner_id": id_param(request.GET.get("owner_id")),
    }


def period_nav(request: PageRequest, period: Any) -> dict[str, str]:
    """The query strings of the period before and after (the scope kept)."""
    query = request.GET.copy()
    query.pop("format", None)
    links = {}
    for name, step in (("prev", -1), ("next", 1)):
        query["day"] = period.shift(step).start.isoformat()
        links[name] = query.urlencode()
    return links


def _period_choices() -> list[tuple[str, str]]:
    return [("day", _("Day")), ("week", _("Week")), ("month", _("Month")), ("quarter", _("Quarter"))]


# --- attainment ------------------------------------------------------------------------------------


def trend_figure(report: AttainmentReport) -> dict[str, Any]:
    """One line per activity metric with a quota: % of quota week by week; a dotted line at 100 %."""
    weeks = [p.week.isoformat() for p in report.trend]
    labels = dict((k, label) for k, label, _text in report.metrics)
    data: list[dict[str, Any]] = []
    for metric in ACTIVITY_METRICS:
        values = [p.pct.get(metric) for p in report.trend]
        if all(v is None for v in values):
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": labels[metric],
                "x": weeks,
                "y": [None if v is None else float(v) for v in values],
                "customdata": [p.actual.get(metric) for p in report.trend],
                "hovertemplate": "%{y:.0f}% (%{customdata})",
            }
        )
    return {
        "data": data,
        "layout": {
            "yaxis": {"title": {"text": _("Percent of quota")}, "rangemode": "tozero"},
            "xaxis": {"title": {"text": _("Week starting")}, "type": "category"},
            "legend": {"orientation": "h"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": 100,
                    "y1": 100,
                    "line": {"dash": "dot", "color": "#8a94a6"},
                }
            ],
            "height": 320,
        },
    }


def _group_rows(groups: list[GroupRow]) -> list[list[Any]]:
    return [
        [g.label, g.reps, *[v for c in g.cells for v in (c.actual, c.quota, c.gap, _rate(c.pct))]]
        for g in groups
    ]


def _rate(pct: Any) -> Any:
    return None if pct is None else pct / 100


def attainment_export(report: AttainmentReport, fmt: str) -> HttpResponse:
    metric_columns: list[Column | str] = []
    actual, quota, gap, pct = _("actual"), _("quota"), _("gap"), _("Percent of quota")
    for _key, label, _text in report.metrics:
        metric_columns += [
            Column(f"{label}: {actual}", kind="int"),
            Column(f"{label}: {quota}", kind="number"),
            Column(f"{label}: {gap}", kind="number"),
            Column(f"{label}: {pct}", kind="rate"),
        ]
    rep_rows = [
        [
            r.user.label,
            r.team.name if r.team else "",
            *[v for c in r.cells for v in (c.actual, c.quota, c.gap, _rate(c.pct))],
        ]
        for r in report.reps
    ]
    groups = [Column(_("Name")), Column(_("Reps"), kind="int"), *metric_columns]
    sheets: list[Any] = [
        (_("Reps"), [_("Rep"), _("Team"), *metric_columns], rep_rows),
        (_("Teams"), groups, _group_rows([*report.teams, report.total])),
    ]
    if report.regions:
        sheets.append((_("Regions"), groups, _group_rows(report.regions)))
    sheets.append(
        (
            _("Definitions"),
            [_("Metric"), Column(_("Definition"), width=60)],
            [[label, text] for _key, label, text in report.metrics]
            + [[_("Period"), f"{report.period.label} ({report.period.start} – {report.period.end})"]],
        )
    )
    return report_response(fmt, f"activity-quotas-{report.period.label}", sheets)


@login_required
@require_GET
def quotas_page(request: PageRequest) -> HttpResponse:
    """Activity-quota attainment of the user's scope for a period."""
    params = _params(request)
    report = attainment_report(request.user, **params)
    if fmt := report_format(request):
        return attainment_export(report, fmt)
    context = {
        "section": "rhythm",
        "report": report,
        "params": params,
        "periods": _period_choices(),
        "choices": scope_choices(request.user),
        "scope": report.scope,
        "nav": period_nav(request, report.period),
        "figure": trend_figure(report),
        "own": report.scope.owner is not None and report.scope.owner.pk == request.user.pk,
        "can_configure": can_configure_quotas(request.user),
        "export_query": request.GET.urlencode(),
    }
    return render(request, "rhythm/quotas/attainment.html", context)


# --- effort ----------------------------------------------------------------------------------------


def effort_export(
    board: EffortBoard, fmt: str, *, name: str = "effort", people: Any = None, person: Any = None
) -> HttpResponse:
    """A leaderboard as xlsx / CSV: the people, the teams and the columns' definitions (the effort
    leaderboard's, and the performance leaderboard's with its own name and words for the people)."""
    kinds: dict[str, ColumnKind] = {"percent": "rate", "money": "money"}
    columns: list[Column | str] = [Column(str(c.label), kind=kinds.get(c.kind, "int")) for c in board.columns]

    def cells(row: Any) -> list[Any]:
        return [_rate(row.values[c.key]) if c.kind == "percent" else row.values[c.key] for c in board.columns]

    return report_response(
        fmt,
        f"{name}-{board.period.label}",
        [
            (
                people or _("Reps"),
                [person or _("Rep"), _("Team"), *columns],
                [[r.label, r.unit.name if r.unit else "", *cells(r)] for r in board.reps],
            ),
            (
                _("Teams"),
                [_("Team"), Column(people or _("Reps"), kind="int"), *columns],
                [[t.label, t.reps, *cells(t)] for t in board.teams],
            ),
            (
                _("Definitions"),
                [_("Column"), Column(_("Definition"), width=60)],
                [[str(c.label), str(c.definition)] for c in board.columns],
            ),
        ],
    )


@login_required
@require_GET
def effort_page(request: PageRequest) -> HttpResponse:
    """The leaderboard of effort of the user's scope for a period."""
    params = _params(request)
    board = effort_board(request.user, sort=request.GET.get("sort") or "", **params)
    if fmt := report_format(request):
        return effort_export(board, fmt)
    context = {
        "section": "rhythm",
        "board": board,
        "rep_rows": [(r, [(c, r.values[c.key]) for c in board.columns]) for r in board.reps],
        "team_rows": [(t, [(c, t.values[c.key]) for c in board.columns]) for t in board.teams],
        "params": params,
        "periods": _period_choices(),
        "choices": scope_choices(request.user),
        "scope": board.scope,
        "nav": period_nav(request, board.period),
        "export_query": request.GET.urlencode(),
    }
    return render(request, "rhythm/quotas/effort.html", context)
