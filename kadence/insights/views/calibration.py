"""Calibration (METHODOLOGY §9.6) and probabilistic forecast (§9.7) pages.

- /forecast/calibration/ — per process: configured vs observed win rate per level, stage and C139
  band with counts and Brier scores, a chart, which probabilities reports use, and for admins the
  recompute button and the switch to calibrated probabilities. Readable by everyone signed in.
- /forecast/probabilistic/ — Monte-Carlo P10 / P50 / P90 of a scope's period revenue, the chance
  of reaching its target, the histogram of the trials and the probabilities used.

Both export to xlsx or CSV with ?format=xlsx or ?format=csv.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from kadence.core.amounts import COUNT_AXIS, money_axis
from kadence.core.errors import DomainError, NotFound, ValidationFailed
from kadence.core.export import Column, Typed, report_format, report_response
from kadence.core.prg import pop_failed_post, refuse
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, int_param, parse_date_param
from kadence.core.visibility import FORECAST_ROLES, can_change_calibration, scope_choices
from kadence.domain.periods import PERIOD_KINDS
from kadence.insights.selectors.backtest import MAX_PERIODS, BacktestReport, backtest
from kadence.insights.selectors.ideal import ideal_label
from kadence.insights.selectors.probabilistic import (
    MAX_SEED,
    MAX_TRIALS,
    ProbabilisticReport,
    probabilistic_forecast,
)
from kadence.planning.models import PeriodKind
from kadence.planning.selectors.calibration import (
    C139,
    LEVEL,
    STAGE,
    CalibrationReport,
    CalibrationRow,
    calibration_report,
)
from kadence.planning.services.calibration import calibration_recompute, calibration_switch

# --- query parameters ----------------------------------------------------------------------------


def _param(request: PageRequest, name: str) -> str | None:
    """A parameter of the query string, or of the form (the admin's buttons post template_id)."""
    return request.GET.get(name) or request.POST.get(name)


def _id(request: PageRequest, name: str) -> int | None:
    return id_param(_param(request, name))


def _flt(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


# --- calibration -----------------------------------------------------------------------------------


def calibration_figure(report: CalibrationReport) -> dict[str, Any]:
    """Grouped bars per level: configured vs observed win rate (%)."""
    labels = [row.label for row in report.levels]
    return {
        "data": [
            {
                "type": "bar",
                "name": _("Configured"),
                "x": labels,
                "y": [_flt(r.configured) for r in report.levels],
                "marker": {"color": "#c4cdd5"},
            },
            {
                "type": "bar",
                "name": _("Observed"),
                "x": labels,
                "y": [_flt(r.observed) for r in report.levels],
                "marker": {"color": "#1f6feb"},
                "text": [_("%(n)d outcomes") % {"n": r.outcomes} for r in report.levels],
                "textposition": "outside",
            },
        ],
        "layout": {
            "barmode": "group",
            "title": {"text": _("Configured vs observed win rate per level")},
            "yaxis": {"title": {"text": _("Win probability %")}, "range": [0, 105]},
            "legend": {"orientation": "h"},
        },
    }


def _export_rows(rows: list[CalibrationRow]) -> list[list[Any]]:
    return [
        [row.label, row.key, row.configured, row.observed, row.outcomes, row.won, row.brier] for row in rows
    ]


def calibration_export(report: CalibrationReport, fmt: str) -> HttpResponse:
    headers: list[Column | str] = [
        _("Bucket"),
        _("Code"),
        Column(_("Configured %"), kind="percent"),
        Column(_("Observed %"), kind="percent"),
        Column(_("Outcomes"), kind="int"),
        Column(_("Won"), kind="int"),
        Column(_("Brier"), kind="number"),
    ]
    summary: list[list[Any]] = [
        [_("Process"), report.template.name],
        [_("Computed at"), report.computed_at],
        [_("Uses calibrated probabilities"), _("yes") if report.use_calibrated else _("no")],
        [_("Outcomes needed per level"), report.min_outcomes],
        [_("History window (days)"), report.history_days],
        [_("Brier, levels"), report.brier[LEVEL]],
        [_("Brier, stages"), report.brier[STAGE]],
        [_("Brier, C139 bands"), report.brier[C139]],
        [_("Probabilities reports use"), report.note],
    ]
    value = Column(_("Value"), kind="number")
    return report_response(
        fmt,
        f"calibration-{report.template.code}",
        [
            (_("Levels"), headers, _export_rows(report.levels)),
            (_("Stages"), headers, _export_rows(report.stages)),
            (_("C139 bands"), headers, _export_rows(report.bands)),
            (_("Summary"), [_("Figure"), value], summary),
        ],
    )


def _calibration_page(request: PageRequest, template_id: int | None) -> HttpResponse:
    """The calibration page; after a refused switch (post-redirect-get) with the error, once, the
    reason as it was typed and the refusal's status."""
    report = calibration_report(request.user, template_id)
    failed = pop_failed_post(request)
    context = {
        "report": report,
        "error": failed.error if failed else None,
        "posted": failed.data.dict() if failed and failed.slot == "calibration_switch" else {},
        "figure": calibration_figure(report),
        "is_admin": can_change_calibration(request.user),
        "tables": [
            ("levels", _("Per level"), report.levels, report.brier[LEVEL]),
            ("stages", _("Per stage"), report.stages, report.brier[STAGE]),
            (
                "bands",
                _("Per C139 band (latest assessment before closing)"),
                report.bands,
                report.brier[C139],
            ),
        ],
    }
    return render(
        request, "insights/calibration.html", context, status=failed.error.status if failed else 200
    )


@login_required
@require_GET
def calibration(request: PageRequest) -> HttpResponse:
    """Calibration of a process (?template_id=; default the default template; ?format=xlsx or csv exports)."""
    template_id = _id(request, "template_id")
    if fmt := report_format(request):
        return calibration_export(calibration_report(request.user, template_id), fmt)
    return _calibration_page(request, template_id)


def _page_url(template_id: int | None) -> str:
    url = reverse("calibration")
    return f"{url}?{urlencode({'template_id': template_id})}" if template_id else url


def _back(template_id: int | None) -> HttpResponse:
    return redirect(_page_url(template_id))


@login_required
@require_POST
def calibration_recompute_view(request: PageRequest) -> HttpResponse:
    """Admin: count the closed history again (all processes), back to the page."""
    template_id = _id(request, "template_id")
    calibration_recompute(request.user)
    messages.success(request, _("Calibration recomputed from closed history."))
    return _back(template_id)


@login_required
@require_POST
def calibration_switch_view(request: PageRequest) -> HttpResponse:
    """Admin: switch a process to calibrated probabilities (or back); refused when there is not enough
    history: back to the page by post-redirect-get, which shows the levels short of data (422)."""
    try:
        template_id = _id(request, "template_id")
        if template_id is None:
            raise NotFound(_("Unknown process template."))
        use = request.POST.get("use_calibrated") == "1"
        calibration_switch(
            request.user,
            template_id=template_id,
            use_calibrated=use,
            reason=(request.POST.get("reason") or "")[:500],
        )
    except DomainError as exc:
        return refuse(request, _page_url(template_id), exc)
    messages.success(
        request,
        _("Reports of this process now use calibrated probabilities.")
        if use
        else _("Reports of this process now use the configured probabilities."),
    )
    return _back(template_id)


# --- probabilistic forecast ----------------------------------------------------------------------


def histogram_figure(report: ProbabilisticReport) -> dict[str, Any]:
    """Bars of the trials' revenue, with the P10 / P50 / P90 and target lines."""
    result = report.forecast
    bins = result.histogram
    marks = [
        (_("P10"), result.p10, "#8ab4f8"),
        (_("P50"), result.p50, "#1f6feb"),
        (_("P90"), result.p90, "#8ab4f8"),
    ]
    if result.target is not None:
        marks.append((_("Target"), result.target, "#cf222e"))
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": float(v),
            "x1": float(v),
            "y0": 0,
            "y1": 1,
            "line": {"color": colour, "dash": "dot" if name == _("Target") else "solid"},
        }
        for name, v, colour in marks
    ]
    notes = [
        {
            "x": float(v),
            "y": 1,
            "xref": "x",
            "yref": "paper",
            "text": name,
            "showarrow": False,
            "yanchor": "bottom",
        }
        for name, v, _colour in marks
    ]
    return {
        "data": [
            {
                "type": "bar",
                "name": _("Trials"),
                "x": [float((b.low + b.high) / 2) for b in bins],
                "y": [b.count for b in bins],
                "width": [float(b.high - b.low) or 1.0 for b in bins],
                "marker": {"color": "#c4cdd5"},
            }
        ],
        "layout": {
            "title": {"text": _("Revenue of the period across %(n)s trials") % {"n": f"{report.trials:,}"}},
            "xaxis": {
                "title": {"text": _("Revenue")},
                **money_axis([b.low for b in bins] + [b.high for b in bins] + [v for _n, v, _c in marks]),
            },
            "yaxis": {"title": {"text": _("Trials")}, **COUNT_AXIS},
            "shapes": shapes,
            "annotations": notes,
            "bargap": 0.02,
            "showlegend": False,
        },
    }


def probabilistic_export(report: ProbabilisticReport, fmt: str) -> HttpResponse:
    result = report.forecast
    summary: list[list[Any]] = [
        [_("Scope"), report.scope.label],
        [_("Period"), report.period.start],
        [_("Period end"), report.period.end],
        [_("As of"), report.as_of],
        [_("Trials"), report.trials],
        [_("Seed"), report.seed],
        [_("Deals with a chance"), result.deals],
        [_("Booked"), Typed(result.booked, "money")],
        [_("P10"), Typed(result.p10, "money")],
        [_("P50"), Typed(result.p50, "money")],
        [_("P90"), Typed(result.p90, "money")],
        [_("Mean"), Typed(result.mean, "money")],
        [_("Expected value"), Typed(result.expected, "money")],
        [_("Target"), Typed(result.target, "money")],
        [_("Chance of reaching the target"), Typed(result.p_target, "rate")],
        [_("Probabilities used"), report.note],
    ]
    used = [
        [p.template_name, p.level, p.probability, ideal_label(p.source), p.outcomes, p.deals]
        for p in report.probabilities
    ]
    bins = [[b.low, b.high, b.count] for b in result.histogram]
    models = [
        [
            m.label,
            m.forecast.p10,
            m.forecast.p50,
            m.forecast.p90,
            m.forecast.expected,
            m.forecast.p_target,
            m.forecast.deals,
            m.note,
        ]
        for m in report.models
    ]
    return report_response(
        fmt,
        f"probabilistic-forecast-{report.period.start.isoformat()}",
        [
            (_("Summary"), [_("Figure"), Column(_("Value"), kind="number")], summary),
            (
                _("Models"),
                [
                    _("Model"),
                    Column(_("P10"), kind="money"),
                    Column(_("P50"), kind="money"),
                    Column(_("P90"), kind="money"),
                    Column(_("Expected value"), kind="money"),
                    Column(_("Chance of reaching the target"), kind="rate"),
                    Column(_("Deals with a chance"), kind="int"),
                    _("What it assumes"),
                ],
                models,
            ),
            (
                _("Probabilities"),
                [
                    _("Process"),
                    _("Level"),
                    Column(_("Probability %"), kind="percent"),
                    _("Source"),
                    Column(_("Outcomes"), kind="int"),
                    Column(_("Deals"), kind="int"),
                ],
                used,
            ),
            (
                _("Histogram"),
                [
                    Column(pgettext("histogram bin", "From"), kind="money"),
                    Column(pgettext("histogram bin", "To"), kind="money"),
                    Column(_("Trials"), kind="int"),
                ],
                bins,
            ),
        ],
    )


def _probabilistic_params(request: PageRequest) -> dict[str, Any]:
    return {
        "unit_id": _id(request, "unit_id"),
        "owner_id": _id(request, "owner_id"),
        "period_kind": request.GET.get("period_kind") or None,
        "period_start": parse_date_param(request.GET.get("period_start"), "period_start"),
        "trials": int_param(_param(request, "trials"), "trials", high=MAX_TRIALS),
        "seed": int_param(_param(request, "seed"), "seed", low=0, high=MAX_SEED),
    }


@login_required
@require_GET
def probabilistic(request: PageRequest) -> HttpResponse:
    """The probabilistic forecast (?unit_id= | owner_id=, period_kind=, period_start=, trials=, seed=;
    ?format=xlsx or csv exports). Invalid settings show the error with the defaults."""
    today = timezone.localdate()
    error: DomainError | None = None
    try:
        params = _probabilistic_params(request)
        report = probabilistic_forecast(request.user, as_of=today, **params)
    except ValidationFailed as exc:
        error = exc
        params = {"unit_id": _id(request, "unit_id"), "owner_id": _id(request, "owner_id")}
        report = probabilistic_forecast(request.user, as_of=today, **params)
    if (fmt := report_format(request)) and error is None:
        return probabilistic_export(report, fmt)
    query = {
        "period_kind": report.period.kind,
        "period_start": report.period.start.isoformat(),
        "trials": report.trials,
        "seed": report.seed,
    }
    if report.scope.owner is not None:
        query["owner_id"] = report.scope.owner.pk
    elif report.scope.unit is not None:
        query["unit_id"] = report.scope.unit.pk
    context = {
        "report": report,
        "result": report.forecast,
        "error": error,
        "figure": histogram_figure(report),
        "choices": scope_choices(request.user, roles=FORECAST_ROLES),
        "period_kinds": [(k, PeriodKind(k).label) for k in PERIOD_KINDS],
        "query": urlencode(query),
        "p_target_pct": None if report.forecast.p_target is None else report.forecast.p_target * 100,
        "max_trials": MAX_TRIALS,
        "slip": {"deals": report.slips.deals, **{f"p{p}": report.slips.percentile(p) for p in (10, 50, 90)}},
    }
    return render(request, "insights/probabilistic.html", context, status=error.status if error else 200)


# --- backtest ------------------------------------------------------------------------------------

BACKTEST_COLOURS = {
    "weighted": "#8c959f",
    "configured": "#8ab4f8",
    "calibrated": "#bf8700",
    "time_aware": "#1f6feb",
}


def backtest_figure(report: BacktestReport) -> dict[str, Any]:
    """The trend: the actual won amount per period, each model's P50, and the time-aware P10–P90 band."""
    x = [p.start.isoformat() for p in report.periods]
    data: list[dict[str, Any]] = []
    aware = [next(r for r in p.rows if r.model == "time_aware") for p in report.periods]
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": [float(r.p90) for r in aware],
            "line": {"width": 0},
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": [float(r.p10) for r in aware],
            "fill": "tonexty",
            "fillcolor": "rgba(31,111,235,0.15)",
            "line": {"width": 0},
            "name": _("Time-aware P10–P90"),
        }
    )
    for index, summary in enumerate(report.summaries):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": [float(p.rows[index].p50) for p in report.periods],
                "name": f"{summary.label} P50",
                "line": {"color": BACKTEST_COLOURS[summary.model], "dash": "dot"},
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": [float(p.actual) for p in report.periods],
            "name": _("Actual won"),
            "line": {"color": "#1a7f37", "width": 3},
        }
    )
    values = [p.actual for p in report.periods] + [r.p90 for p in report.periods for r in p.rows]
    return {
        "data": data,
        "layout": {
            "title": {"text": _("Forecast at the start of each period and what was won")},
            "yaxis": {"title": {"text": _("Revenue")}, **money_axis(values or [Decimal(0)])},
            "xaxis": {"type": "category"},
            "legend": {"orientation": "h"},
        },
    }


def backtest_export(report: BacktestReport, fmt: str) -> HttpResponse:
    rows = [
        [
            p.start,
            p.end,
            p.as_of,
            p.actual,
            report.label(r.model),
            r.p10,
            r.p50,
            r.p90,
            _("yes") if r.covered else _("no"),
            r.error,
            r.brier,
            r.deals,
        ]
        for p in report.periods
        for r in p.rows
    ]
    summary = [[s.label, s.coverage, s.mape, s.bias, s.mean_abs_error, s.brier] for s in report.summaries]
    return report_response(
        fmt,
        "forecast-backtest",
        [
            (
                _("Summary"),
                [
                    _("Model"),
                    Column(_("Covered (share of periods)"), kind="rate"),
                    Column(_("MAPE"), kind="rate"),
                    Column(_("Bias"), kind="rate"),
                    Column(_("Mean absolute error"), kind="money"),
                    Column(_("Brier score"), kind="number"),
                ],
                summary,
            ),
            (
                _("Periods"),
                [
                    Column(_("Period"), kind="date"),
                    Column(_("Period end"), kind="date"),
                    Column(_("As of"), kind="date"),
                    Column(_("Actual won"), kind="money"),
                    _("Model"),
                    Column(_("P10"), kind="money"),
                    Column(_("P50"), kind="money"),
                    Column(_("P90"), kind="money"),
                    _("Covered"),
                    Column(_("P50 error"), kind="money"),
                    Column(_("Brier score"), kind="number"),
                    Column(_("Deals with a chance"), kind="int"),
                ],
                rows,
            ),
        ],
    )


@login_required
@require_GET
def backtest_view(request: PageRequest) -> HttpResponse:
    """The backtest (?unit_id= | owner_id=, period_kind=, periods=; ?format=xlsx or csv exports)."""
    today = timezone.localdate()
    error: DomainError | None = None
    unit_id, owner_id = _id(request, "unit_id"), _id(request, "owner_id")
    try:
        report = backtest(
            request.user,
            until=today,
            unit_id=unit_id,
            owner_id=owner_id,
            period_kind=request.GET.get("period_kind") or None,
            periods=int_param(_param(request, "periods"), "periods", high=MAX_PERIODS),
        )
    except ValidationFailed as exc:
        error = exc
        report = backtest(request.user, until=today, unit_id=unit_id, owner_id=owner_id)
    if (fmt := report_format(request)) and error is None:
        return backtest_export(report, fmt)
    query: dict[str, Any] = {"period_kind": report.period_kind, "periods": len(report.periods)}
    if report.scope.owner is not None:
        query["owner_id"] = report.scope.owner.pk
    elif report.scope.unit is not None:
        query["unit_id"] = report.scope.unit.pk
    context = {
        "report": report,
        "error": error,
        "figure": backtest_figure(report),
        "choices": scope_choices(request.user, roles=FORECAST_ROLES),
        "period_kinds": [(k, PeriodKind(k).label) for k in PERIOD_KINDS],
        "query": urlencode(query),
        "max_periods": MAX_PERIODS,
        "summaries": [
            {
                "label": s.label,
                "coverage": s.coverage * 100,
                "mape": None if s.mape is None else s.mape * 100,
                "bias": None if s.bias is None else s.bias * 100,
                "mean_abs_error": s.mean_abs_error,
                "brier": s.brier,
                "model": s.model,
            }
            for s in report.summaries
        ],
    }
    return render(request, "insights/backtest.html", context, status=error.status if error else 200)


urlpatterns = [
    path("forecast/backtest/", backtest_view, name="forecast_backtest"),
    path("forecast/calibration/", calibration, name="calibration"),
    path("forecast/calibration/recompute/", calibration_recompute_view, name="calibration_recompute"),
    path("forecast/calibration/switch/", calibration_switch_view, name="calibration_switch"),
    path("forecast/probabilistic/", probabilistic, name="probabilistic_forecast"),
]
