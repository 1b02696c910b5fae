"""The ideal funnel report (METHODOLOGY §8.3–§8.4: the ideal funnel by the task and cycle methods, its
comparison with the real funnel with the chart "actual vs ideal", and the capacity and velocity check
with the actions per seller and team), with its xlsx and CSV export (?format=xlsx or csv), from
kadence.insights.selectors.ideal. The targets it is built on are set on planning's pages
(kadence.planning.views.targets)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.export import Column, Sheet, Typed, report_format, report_response
from kadence.core.pagination import page_of
from kadence.core.requests import PageRequest
from kadence.insights.forms import IdealForm
from kadence.insights.selectors.ideal import (
    CapacityReport,
    CapacityRow,
    IdealReport,
    action_text,
    capacity_report,
    ideal_for,
    ideal_label,
)

ROWS_PER_PAGE = 50


# --- forms ---------------------------------------------------------------------------------------


# --- the ideal funnel ----------------------------------------------------------------------------


def comparison_figure(report: IdealReport) -> dict[str, Any]:
    """Actual vs ideal funnel per stage: grouped bars of the open deals in each stage today and the
    cycle method's ideal WIP."""
    names = [s.stage.name for s in report.stages]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": _("Actual (open deals)"),
            "x": names,
            "y": [float(s.actual) for s in report.stages],
            "marker": {"color": "#1f6feb"},
        }
    ]
    if report.ready:
        data.append(
            {
                "type": "bar",
                "name": _("Ideal (cycle method WIP)"),
                "x": names,
                "y": [float(round(s.wip, 2)) if s.wip is not None else None for s in report.stages],
                "marker": {"color": "#9aa5b1"},
            }
        )
    return {
        "data": data,
        "layout": {
            "barmode": "group",
            "title": {"text": _("Actual vs ideal funnel")},
            "yaxis": {"title": {"text": _("Deals")}},
            "legend": {"orientation": "h"},
        },
    }


def _with_text(rows: list[CapacityRow], report: IdealReport) -> list[tuple[CapacityRow, list[str]]]:
    return [(row, [action_text(a, report) for a in row.actions]) for row in rows]


def _d(value: Decimal | None, places: str = "0.01") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places))


def _export(found: CapacityReport, fmt: str) -> HttpResponse:
    report = found.ideal
    ideal_rows = [
        (
            s.stage.order,
            s.stage.name,
            _d(s.probability * 100),
            ideal_label(s.probability_source),
            _d(s.duration_days, "0.1"),
            ideal_label(s.duration_source),
            s.learned_days,
            s.learned_count,
            _d(s.task),
            _d(s.entry_rate),
            _d(s.wip),
            s.actual,
            s.actual_amount,
            _d(s.ratio),
            ideal_label(s.status),
            s.avg_age,
            s.pace.projected_close if s.pace else None,
            bool(s.pace and s.pace.late),
        )
        for s in report.stages
    ]
    f = found.figures
    figures = [
        (_("Target"), Typed(f.target, "money")),
        (_("Won in the period"), Typed(f.won, "money")),
        (_("Remaining target"), Typed(f.remaining, "money")),
        (_("Open pipeline due in the period"), Typed(f.pipeline_due, "money")),
        (_("Weighted pipeline due"), Typed(_d(f.weighted_due), "money")),
        (_("Coverage"), _d(f.coverage)),
        (_("Required coverage (1 ÷ win rate)"), _d(f.required_coverage)),
        (_("Weighted pipeline ÷ remaining target"), _d(f.weighted_ratio)),
        (_("Velocity forecast (SV × days remaining)"), Typed(_d(f.velocity_forecast), "money")),
        (_("Gap to target"), Typed(_d(f.gap), "money")),
        (_("Days remaining"), found.days_left),
        (_("Average deal size"), Typed(_d(report.avg_deal), "money")),
        (_("Wins needed"), report.wins_needed),
        (_("Lead time (days)"), _d(report.lead_days, "0.1")),
    ]
    actions = [(report.scope.label, action_text(a, report)) for a in found.actions]
    for row in [*found.sellers, *found.teams]:
        actions += [(row.label, action_text(a, report)) for a in row.actions]

    def table(rows: list[CapacityRow]) -> list[tuple[Any, ...]]:
        return [
            (
                r.label,
                r.team,
                r.figures.target,
                r.figures.won,
                r.figures.remaining,
                r.figures.pipeline_due,
                _d(r.figures.weighted_due),
                _d(r.figures.coverage),
                _d(r.figures.required_coverage),
                _d(r.figures.gap),
                r.stalled,
            )
            for r in rows
        ]

    row_headers: list[Column | str] = [
        _("Name"),
        _("Team"),
        Column(_("Target"), kind="money"),
        Column(_("Won"), kind="money"),
        Column(_("Remaining"), kind="money"),
        Column(_("Pipeline due"), kind="money"),
        Column(_("Weighted due"), kind="money"),
        Column(_("Coverage"), kind="number"),
        Column(_("Required coverage"), kind="number"),
        Column(_("Gap"), kind="money"),
        Column(_("Stalled"), kind="int"),
    ]
    sheets: list[Sheet] = [
        (
            _("Ideal funnel"),
            [
                Column(_("Order"), kind="int"),
                _("Stage"),
                Column(_("Probability %"), kind="percent"),
                _("Probability source"),
                Column(_("Days"), kind="number"),
                _("Duration source"),
                Column(_("Learned days"), kind="number"),
                Column(_("Learned from (rows)"), kind="int"),
                Column(_("Task N_s"), kind="number"),
                Column(_("Entry rate per month"), kind="number"),
                Column(_("Ideal WIP"), kind="number"),
                Column(_("Actual"), kind="int"),
                Column(_("Actual amount"), kind="money"),
                Column(_("Actual ÷ ideal"), kind="number"),
                _("Status"),
                Column(_("Average age (days)"), kind="number"),
                Column(_("Projected close"), kind="date"),
                _("Late"),
            ],
            ideal_rows,
        ),
        (_("Capacity"), [_("Figure"), Column(_("Value"), kind="number")], figures),
        (_("Actions"), [_("For"), _("Action")], actions),
        (_("Sellers"), row_headers, table(found.sellers)),
        (_("Teams"), row_headers, table(found.teams)),
        (
            _("Stalled deals"),
            [
                _("Deal"),
                _("Account"),
                _("Owner"),
                _("Stage"),
                Column(_("Amount"), kind="money"),
                Column(_("Days in stage"), kind="int"),
                Column(_("Stalled from (days)"), kind="number"),
            ],
            [
                (d.name, d.account, d.owner, d.stage, d.amount, d.days_in_stage, d.limit_days)
                for d in found.stalled
            ],
        ),
    ]
    return report_response(fmt, f"ideal-funnel-{report.period.label}", sheets)


def _controls_as_shown(form: IdealForm, report: IdealReport) -> IdealForm:
    """The controls set to what the report shows: the period kind and start and the durations it was
    computed with (the defaults when nothing was asked), the rest as typed. Otherwise an unbound form
    reads "month" with an empty date above a quarter's report, and pressing Show unchanged switches to
    another period. A form with errors is kept as typed, next to its errors. (The form is changed in
    place: a second one would read its choices from the database again.)"""
    shown = {
        "period_kind": report.period.kind,
        "period_start": report.period.start.isoformat(),
        "durations": report.durations,
    }
    if not form.is_bound:
        form.initial.update(shown)
    elif form.is_valid():
        form.data = form.data.copy()
        for name, value in shown.items():
            form.data[name] = value
    return form


@login_required
@require_GET
def ideal_funnel(request: PageRequest) -> HttpResponse:
    """The ideal funnel, the comparison and the capacity check for a scope, template and period."""
    form = IdealForm(request.GET or None, user=request.user)
    error: DomainError | None = None
    values: dict[str, Any] = {}
    if form.is_bound and not form.is_valid():
        error = ValidationFailed(
            _("Some controls are not valid; showing the defaults for them."), dict(form.errors)
        )
        values = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    elif form.is_bound:
        values = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    report = ideal_for(request.user, today=timezone.localdate(), **values)
    found = capacity_report(request.user, report)
    if fmt := report_format(request):
        return _export(found, fmt)
    sellers_page = page_of(found.sellers, request.GET.get("page"), ROWS_PER_PAGE)
    context = {
        "form": _controls_as_shown(form, report),
        "error": error,
        "report": report,
        "found": found,
        "figure": comparison_figure(report),
        "actions": [action_text(a, report) for a in found.actions],
        "sellers": _with_text(sellers_page.items, report),
        "sellers_page": sellers_page,
        "teams": _with_text(found.teams, report),
    }
    return render(request, "insights/ideal.html", context, status=error.status if error else 200)


urlpatterns = [
    path("reports/ideal/", ideal_funnel, name="ideal_funnel"),
]
