"""Funnel pages (METHODOLOGY §8.1, §8.5): the reports index, the funnel of a scope at any date with
its chart and the weighted pipeline over time (loaded after the page), and the manager's analysis
(drill-down rep → team → region, anomalies, expense execution). Both reports export to xlsx or CSV
with ?format=xlsx or ?format=csv."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kadence.accounts.models import Account, Industry
from kadence.core.amounts import COUNT_AXIS, format_amount, money_axis
from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.export import Column, Typed, report_format, report_response
from kadence.core.htmx import is_htmx
from kadence.core.models import User
from kadence.core.requests import PageRequest
from kadence.core.visibility import (
    Scope,
    can_choose_report_scope,
    resolve_scope,
    scope_choices,
)
from kadence.insights.forms import FunnelForm, ScopeForm
from kadence.insights.selectors.analysis import (
    AnalysisReport,
    Metrics,
    anomaly_text,
    check_as_of,
    direction_label,
    funnel_analysis,
    funnel_slice,
    funnel_template,
    funnel_totals,
    funnel_trend,
    metric_label,
    source_label,
)
from kadence.insights.selectors.funnel import FunnelReport, Slice, funnel_report
from kadence.pipeline.models import ProcessTemplate, ProductLine

HUNDRED = Decimal(100)


def _pct(fraction: Decimal | None) -> Decimal | None:
    return None if fraction is None else (fraction * HUNDRED).quantize(Decimal("0.1"))


def _flt(value: Decimal | int | None) -> float:
    return float(value or 0)


# --- inputs --------------------------------------------------------------------------------------


@dataclass
class FunnelInputs:
    scope: Scope
    template: ProcessTemplate
    as_of: date
    cut: Slice
    measure: str


def _resolve(user: User, data: dict[str, Any], today: date) -> FunnelInputs:
    if data.get("unit_id") and data.get("owner_id"):
        raise ValidationFailed(
            _("Choose a unit or a seller, not both."),
            {"owner_id": [_("Leave this empty when you choose a unit.")]},
        )
    scope = resolve_scope(user, unit_id=data.get("unit_id"), owner_id=data.get("owner_id"))
    template = funnel_template(data.get("template_id"))
    cut = funnel_slice(data.get("product_line_id"), data.get("industry_id"), data.get("account_size"))
    as_of = check_as_of(data.get("as_of") or today, today)
    return FunnelInputs(scope, template, as_of, cut, data.get("measure") or "count")


def funnel_inputs(request: PageRequest, today: date) -> tuple[FunnelInputs, DomainError | None]:
    """The report's settings from the query string; invalid ones give an error and the defaults.
    A unit or seller out of reach raises NotFound (404)."""
    form = FunnelForm(request.GET)
    if not form.is_valid():
        error: DomainError = ValidationFailed(
            _("Some settings are not valid; showing the defaults."),
            {k: [str(m) for m in v] for k, v in form.errors.items()},
        )
        return _resolve(request.user, {}, today), error
    try:
        return _resolve(request.user, form.cleaned_data, today), None
    except ValidationFailed as exc:
        return _resolve(request.user, {}, today), exc


def _controls(user: User) -> dict[str, Any]:
    """The options of the settings form: units and sellers in reach (none for a seller)."""
    options: dict[str, Any] = {
        "templates": list(ProcessTemplate.objects.filter(is_active=True).order_by("-is_default", "id")),
        "product_lines": list(ProductLine.objects.order_by("code")),
        "industries": list(Industry.objects.order_by("id")),
        "sizes": Account.Size.choices,
        "units": [],
        "sellers": [],
        "can_choose_scope": can_choose_report_scope(user),
    }
    choices = scope_choices(user, roles=None)
    options["units"] = [(u.pk, "\u2003" * (u.path.count("/") - 2) + u.name) for u in choices.units]
    options["sellers"] = choices.people
    return options


def _query(inputs: FunnelInputs, **extra: Any) -> str:
    """The settings as a query string (for the trend and export links)."""
    q = QueryDict(mutable=True)
    scope = inputs.scope
    if scope.owner is not None:
        q["owner_id"] = str(scope.owner.pk)
    elif scope.unit is not None:
        q["unit_id"] = str(scope.unit.pk)
    q["template_id"] = str(inputs.template.pk)
    q["as_of"] = inputs.as_of.isoformat()
    for key, value in (
        ("product_line_id", inputs.cut.product_line_id),
        ("industry_id", inputs.cut.industry_id),
        ("account_size", inputs.cut.account_size),
        *extra.items(),
    ):
        if value:
            q[key] = str(value)
    return q.urlencode()


# --- funnel --------------------------------------------------------------------------------------


def _stage_rows(report: FunnelReport) -> list[dict[str, Any]]:
    return [
        {
            "stage": r.stage,
            "name": r.stage.name,
            "count": r.count,
            "amount": r.amount,
            "weighted": r.weighted,
            "avg_age": r.avg_age,
            "advanced": r.advanced,
            "lost": r.lost,
            "conversion": _pct(r.conversion),
        }
        for r in report.stages
    ]


def funnel_figure(report: FunnelReport, measure: str) -> dict[str, Any]:
    """Open deals (or amounts) per stage; amounts are labelled as the money filter writes them."""
    amounts = measure == "amount"
    values = [_flt(r.amount if amounts else r.count) for r in report.stages]
    trace: dict[str, Any] = {
        "type": "funnel",
        "y": [r.stage.name for r in report.stages],
        "x": values,
        "name": _("Open amount per stage") if amounts else _("Open deals per stage"),
        "textinfo": "value+percent initial",
        "textposition": "inside",
        "textfont": {"size": 12},
        "marker": {"color": "#1f6feb"},
        "connector": {"line": {"width": 0}},
    }
    if amounts:
        trace.update(
            {
                "text": [format_amount(r.amount) for r in report.stages],
                "textinfo": "text+percent initial",
                "hovertemplate": "%{y}: %{x:,.0f}<extra></extra>",
            }
        )
    return {
        "data": [trace],
        "layout": {
            "yaxis": {"automargin": True},
            "xaxis": money_axis(values) if amounts else COUNT_AXIS,
            "margin": {"l": 20, "r": 20, "t": 10, "b": 10},
            "funnelgap": 0.08,
        },
    }


def funnel_export(report: FunnelReport, fmt: str) -> HttpResponse:
    """The table (stage rows and the totals) and the scope's rates; no deal appears in it."""
    totals = funnel_totals(report)
    headers: list[Column | str] = [
        _("Stage"),
        Column(_("Open deals"), kind="int"),
        Column(_("Amount"), kind="money"),
        Column(_("Weighted"), kind="money"),
        Column(_("Average age (days)"), kind="number"),
        Column(_("Advanced"), kind="int"),
        Column(_("Lost"), kind="int"),
        Column(_("Conversion"), kind="rate"),
    ]
    rows: list[list[Any]] = [
        [r.stage.name, r.count, r.amount, r.weighted, r.avg_age, r.advanced, r.lost, r.conversion]
        for r in report.stages
    ]
    rows.append([_("Total"), totals.count, totals.amount, totals.weighted, totals.avg_age, None, None, None])
    summary: list[list[Any]] = [
        [_("Scope"), report.scope.label],
        [_("Process"), report.template.name],
        [_("As of"), report.as_of],
        [_("History window from"), report.window_start],
        [_("Source"), source_label(report.source)],
        [_("Won"), report.won],
        [_("Lost"), report.lost],
        [_("Win rate"), Typed(report.win_rate, "rate")],
        [_("Average won amount"), Typed(report.avg_won_amount, "money")],
        [_("Cycle (days)"), report.cycle_days],
        [_("Open qualified deals"), report.open_qualified],
        [_("Sales velocity (per day)"), Typed(report.velocity, "money")],
    ]
    return report_response(
        fmt,
        f"funnel-{report.as_of.isoformat()}",
        [
            (_("Funnel"), headers, rows),
            (_("Summary"), [_("Figure"), Column(_("Value"), kind="number")], summary),
        ],
    )


@login_required
@require_GET
def funnel(request: PageRequest) -> HttpResponse:
    """The funnel of a scope at a date (?unit_id= | owner_id=, template_id=, as_of=, product_line_id=,
    industry_id=, account_size=, measure=count|amount; ?format=xlsx or csv exports the table)."""
    today = timezone.localdate()
    inputs, error = funnel_inputs(request, today)
    report = funnel_report(
        request.user,
        inputs.scope,
        template=inputs.template,
        as_of=inputs.as_of,
        today=today,
        cut=inputs.cut,
    )
    if (fmt := report_format(request)) and error is None:
        return funnel_export(report, fmt)
    context = {
        "report": report,
        "inputs": inputs,
        "error": error,
        "rows": _stage_rows(report),
        "totals": funnel_totals(report),
        "win_rate": _pct(report.win_rate),
        "source": source_label(report.source),
        "figure": funnel_figure(report, inputs.measure),
        "today": today,
        "trend_query": _query(inputs),
        "export_query": _query(inputs),
        "count_query": _query(inputs, measure="count"),
        "amount_query": _query(inputs, measure="amount"),
        **_controls(request.user),
    }
    return render(request, "insights/funnel.html", context, status=error.status if error else 200)


def trend_figure(points: list[Any]) -> dict[str, Any]:
    days = [p.as_of.isoformat() for p in points]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Weighted pipeline"),
                "x": days,
                "y": [_flt(p.weighted) for p in points],
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Open amount"),
                "x": days,
                "y": [_flt(p.amount) for p in points],
                "line": {"dash": "dot"},
            },
        ],
        "layout": {
            "margin": {"t": 10},
            "yaxis": {
                "title": {"text": _("Amount")},
                **money_axis([p.weighted for p in points] + [p.amount for p in points]),
            },
            "xaxis": {"type": "date"},
            "legend": {"orientation": "h"},
        },
    }


@login_required
@require_GET
def funnel_trend_part(request: PageRequest) -> HttpResponse:
    """The weighted pipeline over time: the fragment the funnel page loads after itself (htmx), or a
    page of its own when opened directly (the funnel page's link without JavaScript, a bookmark)."""
    today = timezone.localdate()
    inputs, error = funnel_inputs(request, today)
    if error is not None:
        raise error
    points = funnel_trend(request.user, inputs.scope, template=inputs.template, today=today, cut=inputs.cut)
    context = {"points": points, "figure": trend_figure(points), "funnel_query": _query(inputs)}
    template = "insights/_funnel_trend.html" if is_htmx(request) else "insights/funnel_trend.html"
    return render(request, template, context)


# --- analysis ------------------------------------------------------------------------------------


def _metrics_view(m: Metrics) -> dict[str, Any]:
    return {
        "open_count": m.open_count,
        "amount": m.amount,
        "weighted": m.weighted,
        "quarter_amount": m.quarter_amount,
        "target": m.target,
        "coverage": _pct(m.coverage),
        "won": m.won,
        "lost": m.lost,
        "win_rate": _pct(m.win_rate),
        "velocity": m.velocity,
        "sellers": m.sellers,
        "velocity_per_seller": m.velocity_per_seller,
        "stalled": m.stalled,
        "stall_rate": _pct(m.stall_rate),
        "spent": m.spent,
        "budget": m.budget,
        "execution": _pct(m.expense_execution),
    }


def analysis_export(report: AnalysisReport, fmt: str) -> HttpResponse:
    headers: list[Column | str] = [
        _("Name"),
        Column(_("Open deals"), kind="int"),
        Column(_("Amount"), kind="money"),
        Column(_("Weighted"), kind="money"),
        Column(_("Closing this quarter"), kind="money"),
        Column(_("Quarter target"), kind="money"),
        Column(_("Coverage"), kind="rate"),
        Column(_("Won"), kind="int"),
        Column(_("Lost"), kind="int"),
        Column(_("Win rate"), kind="rate"),
        Column(_("Sales velocity (per day)"), kind="money"),
        Column(_("Sellers"), kind="int"),
        Column(_("Velocity per seller"), kind="money"),
        Column(_("Stalled"), kind="int"),
        Column(_("Stall rate"), kind="rate"),
        Column(_("Expenses"), kind="money"),
        Column(_("Budget"), kind="money"),
        Column(_("Expense execution"), kind="rate"),
        _("Anomalies"),
    ]

    def line(label: str, m: Metrics, notes: str) -> list[Any]:
        return [
            label,
            m.open_count,
            m.amount,
            m.weighted,
            m.quarter_amount,
            m.target,
            m.coverage,
            m.won,
            m.lost,
            m.win_rate,
            m.velocity,
            m.sellers,
            m.velocity_per_seller,
            m.stalled,
            m.stall_rate,
            m.spent,
            m.budget,
            m.expense_execution,
            notes,
        ]

    rows = [line(r.label, r.metrics, "; ".join(anomaly_text(a) for a in r.anomalies)) for r in report.rows]
    rows.append(line(_("Total: %(scope)s") % {"scope": report.parent_label}, report.parent, ""))
    return report_response(
        fmt, f"funnel-analysis-{report.today.isoformat()}", [(_("Analysis"), headers, rows)]
    )


@login_required
@require_GET
def analysis(request: PageRequest) -> HttpResponse:
    """The manager's funnel analysis of a scope (?unit_id= | owner_id=; ?format=xlsx or csv exports it)."""
    form = ScopeForm(request.GET)
    if not form.is_valid():
        raise ValidationFailed(
            _("The report's settings are not valid."),
            {k: [str(m) for m in v] for k, v in form.errors.items()},
        )
    data = form.cleaned_data
    today = timezone.localdate()
    if data.get("unit_id") and data.get("owner_id"):
        raise ValidationFailed(
            _("Choose a unit or a seller, not both."),
            {"owner_id": [_("Leave this empty when you choose a unit.")]},
        )
    scope = resolve_scope(request.user, unit_id=data.get("unit_id"), owner_id=data.get("owner_id"))
    report = funnel_analysis(request.user, scope, today=today)
    if fmt := report_format(request):
        return analysis_export(report, fmt)
    rows = [
        {
            "row": r,
            "m": _metrics_view(r.metrics),
            "anomalies": [
                {
                    "metric": a.metric,
                    "label": metric_label(a.metric),
                    "text": anomaly_text(a),
                    "direction": a.direction,
                    "direction_label": direction_label(a.direction),
                }
                for a in r.anomalies
            ],
        }
        for r in report.rows
    ]
    anomaly_list = [{"row": row["row"], **a} for row in rows for a in row["anomalies"]]
    query = QueryDict(mutable=True)
    if scope.unit is not None:
        query["unit_id"] = str(scope.unit.pk)
    elif scope.owner is not None:
        query["owner_id"] = str(scope.owner.pk)
    context = {
        "report": report,
        "rows": rows,
        "parent": _metrics_view(report.parent),
        "anomalies": anomaly_list,
        "threshold": _pct(report.threshold),
        "scope_query": query.urlencode(),
        "today": today,
    }
    return render(request, "insights/analysis.html", context)


# --- index ---------------------------------------------------------------------------------------


@login_required
@require_GET
def reports(request: PageRequest) -> HttpResponse:
    """The list of reports."""
    return render(request, "insights/index.html", {"can_choose_scope": can_choose_report_scope(request.user)})


urlpatterns = [
    path("reports/", reports, name="reports"),
    path("reports/funnel/", funnel, name="funnel"),
    path("reports/funnel/trend/", funnel_trend_part, name="funnel_trend"),
    path("reports/analysis/", analysis, name="funnel_analysis"),
]
