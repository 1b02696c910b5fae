"""Forecast pages (METHODOLOGY §9): the forecast of a scope and period (categories, time buckets,
breakdown by seller, team and region, the submit and adjust forms, the submission history, the chart
"forecast by category", xlsx and CSV export), the rolling 4-week order forecast, and forecast accuracy with the
chart "accuracy over time"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.amounts import money_axis
from kadence.core.errors import ValidationFailed
from kadence.core.export import Column, report_format, report_response
from kadence.core.pagination import page_of
from kadence.core.prg import action_post, pop_failed_post
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param, parse_int
from kadence.core.visibility import FORECAST_ROLES, scope_choices
from kadence.domain import forecast as fc
from kadence.domain.periods import PERIOD_KINDS, Period
from kadence.pipeline.models import ForecastCategory
from kadence.planning.models import PeriodKind
from kadence.planning.selectors import forecast as selectors
from kadence.planning.services import forecast as services

SELLERS_PER_PAGE = 50
CATEGORY_COLOURS = {
    fc.BOOKED: "#1a7f37",
    fc.COMMIT: "#1f6feb",
    fc.BEST_CASE: "#8ab4f8",
    fc.NEXT_QUARTER: "#d4a72c",
    fc.PIPELINE: "#c4cdd5",
}


def category_labels() -> dict[str, str]:
    return {c: str(ForecastCategory(c).label) for c in fc.CATEGORIES}


# --- query parameters ----------------------------------------------------------------------------


def _id(request: PageRequest, name: str) -> int | None:
    return id_param(request.GET.get(name))


def report_params(request: PageRequest) -> dict[str, Any]:
    """unit_id, owner_id, period_kind and period_start from the query string."""
    return {
        "unit_id": _id(request, "unit_id"),
        "owner_id": _id(request, "owner_id"),
        "period_kind": request.GET.get("period_kind") or "quarter",
        "period_start": parse_date_param(request.GET.get("period_start"), "period_start"),
    }


def _query(report_scope: Any, period: Period, **extra: Any) -> str:
    params = {"period_kind": period.kind, "period_start": period.start.isoformat()}
    if report_scope.owner is not None:
        params["owner_id"] = report_scope.owner.pk
    elif report_scope.unit is not None:
        params["unit_id"] = report_scope.unit.pk
    params.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(params)


# --- charts ---------------------------------------------------------------------------------------------


def category_figure(report: selectors.ForecastReport) -> dict[str, Any]:
    """Stacked bars "forecast by category": one bar per team (or region, for a director or admin
    with several) or per seller, one colour per category."""
    rows: list[tuple[str, fc.CategoryTotals]]
    if len(report.regions) > 1:
        rows = [(r.unit.name, r.totals) for r in report.regions]
    elif len(report.teams) > 1:
        rows = [(r.unit.name, r.totals) for r in report.teams]
    else:
        rows = [(s.user.label, s.totals) for s in report.sellers] or [(report.scope.label, report.totals)]
    labels = category_labels()
    data = [
        {
            "type": "bar",
            "name": labels[c],
            "x": [name for name, _t in rows],
            "y": [float(t.figure(c).amount) for _n, t in rows],
            "marker": {"color": CATEGORY_COLOURS[c]},
        }
        for c in fc.CATEGORIES
    ]
    heights = [sum(t.figure(c).amount for c in fc.CATEGORIES) for _n, t in rows]
    return {
        "data": data,
        "layout": {
            "barmode": "stack",
            "title": {"text": _("Forecast by category")},
            "yaxis": {"title": {"text": _("Amount")}, **money_axis(heights)},
            "legend": {"orientation": "h"},
        },
    }


def bucket_figure(report: selectors.ForecastReport) -> dict[str, Any]:
    labels = category_labels()
    names = [_("Booked this year")] + [bucket_label(b.code) for b in report.buckets]
    data = [
        {
            "type": "bar",
            "name": labels[fc.BOOKED],
            "x": names,
            "y": [float(report.booked_to_date.amount)] + [0.0] * len(report.buckets),
            "marker": {"color": CATEGORY_COLOURS[fc.BOOKED]},
        }
    ]
    data += [
        {
            "type": "bar",
            "name": labels[c],
            "x": names,
            "y": [0.0] + [float(b.totals.figure(c).amount) for b in report.buckets],
            "marker": {"color": CATEGORY_COLOURS[c]},
        }
        for c in fc.OPEN_CATEGORIES
    ]
    heights = [report.booked_to_date.amount] + [
        sum(b.totals.figure(c).amount for c in fc.OPEN_CATEGORIES) for b in report.buckets
    ]
    return {
        "data": data,
        "layout": {
            "barmode": "stack",
            "title": {"text": _("Time buckets by category")},
            "yaxis": {"title": {"text": _("Amount")}, **money_axis(heights)},
            "legend": {"orientation": "h"},
        },
    }


def bucket_label(code: str) -> str:
    start, end = code.split("-")
    return _("%(start)s–%(end)s months") % {"start": start, "end": end}


def accuracy_figure(report: selectors.AccuracyReport) -> dict[str, Any]:
    """Line chart "forecast accuracy over time": forecast and actual per period, error % on the right."""
    x = [p.label for p in report.periods]
    points = report.total.points
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Forecast"),
                "x": x,
                "y": [float(p.forecast) if p.forecast is not None else None for p in points],
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Actual"),
                "x": x,
                "y": [float(p.actual) for p in points],
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Error %"),
                "x": x,
                "yaxis": "y2",
                "line": {"dash": "dot"},
                "y": [float(e) if (e := fc.as_pct(p.error)) is not None else None for p in points],
            },
        ],
        "layout": {
            "title": {"text": _("Forecast accuracy over time")},
            "yaxis": {
                "title": {"text": _("Amount")},
                **money_axis([p.forecast for p in points] + [p.actual for p in points]),
            },
            "yaxis2": {"title": {"text": _("Error %")}, "overlaying": "y", "side": "right", "zeroline": True},
            "legend": {"orientation": "h"},
            "margin": {"l": 60, "r": 60, "t": 40, "b": 50},
        },
    }


# --- export ----------------------------------------------------------------------------------------------


def forecast_export(report: selectors.ForecastReport, fmt: str) -> HttpResponse:
    labels = category_labels()
    cats = [Column(labels[c], kind="money") for c in fc.CATEGORIES]
    deals, amount, weighted = (
        Column(_("Deals"), kind="int"),
        Column(_("Amount"), kind="money"),
        Column(_("Weighted"), kind="money"),
    )
    summary = [
        (
            labels[c],
            report.totals.figure(c).count,
            report.totals.figure(c).amount,
            selectors.cents(report.totals.figure(c).weighted),
        )
        for c in fc.CATEGORIES
    ]
    summary.append(
        (
            _("Weighted pipeline"),
            report.totals.open_count,
            report.totals.open_amount,
            selectors.cents(report.totals.weighted),
        )
    )
    buckets = [
        (
            _("Booked this year"),
            report.booked_to_date.count,
            report.booked_to_date.amount,
            *[None] * len(fc.OPEN_CATEGORIES),
        )
    ]
    buckets += [
        (
            bucket_label(b.code),
            b.totals.open_count,
            b.totals.open_amount,
            *[b.totals.figure(c).amount for c in fc.OPEN_CATEGORIES],
        )
        for b in report.buckets
    ]
    sellers = [
        (
            s.user.label,
            s.team.name if s.team else "",
            *[s.totals.figure(c).amount for c in fc.CATEGORIES],
            selectors.cents(s.totals.weighted),
            s.record.submission.forecast if s.record else None,
            s.record.adjustment.forecast if s.record and s.record.adjustment else None,
            s.record.adjustment.reason if s.record and s.record.adjustment else "",
            s.call,
        )
        for s in report.sellers
    ]
    teams = [
        (
            r.unit.name,
            r.unit.get_kind_display(),
            *[r.totals.figure(c).amount for c in fc.CATEGORIES],
            selectors.cents(r.totals.weighted),
            r.call,
            r.sellers,
            r.submitted,
        )
        for r in report.regions + report.teams
    ]
    return report_response(
        fmt,
        f"forecast-{report.period.label}",
        [
            (_("Categories"), [_("Category"), deals, amount, weighted], summary),
            (
                _("Time buckets"),
                [
                    _("Bucket"),
                    deals,
                    amount,
                    *[Column(labels[c], kind="money") for c in fc.OPEN_CATEGORIES],
                ],
                buckets,
            ),
            (
                _("Sellers"),
                [
                    _("Seller"),
                    _("Team"),
                    *cats,
                    weighted,
                    Column(_("Submitted"), kind="money"),
                    Column(_("Adjusted"), kind="money"),
                    _("Reason"),
                    Column(_("Forecast of record"), kind="money"),
                ],
                sellers,
            ),
            (
                _("Teams"),
                [
                    _("Unit"),
                    _("Kind"),
                    *cats,
                    weighted,
                    Column(_("Forecast"), kind="money"),
                    Column(_("Sellers"), kind="int"),
                    Column(_("Submitted"), kind="int"),
                ],
                teams,
            ),
        ],
    )


# --- pages -----------------------------------------------------------------------------------------------


def forecast_context(request: PageRequest) -> dict[str, Any]:
    params = report_params(request)
    today = timezone.localdate()
    report = selectors.forecast_report(request.user, as_of=today, **params)
    history = selectors.forecast_submission_list(
        request.user,
        as_of=today,
        page=request.GET.get("page"),
        page_size=request.GET.get("page_size"),
        period_kind=report.period.kind,
        period_start=report.period.start,
        unit_id=params["unit_id"],
        owner_id=params["owner_id"],
    )
    return {
        "report": report,
        # A company has thousands of sellers: the page shows them a page at a time (the export, all).
        "sellers_page": page_of(report.sellers, request.GET.get("sellers_page"), SELLERS_PER_PAGE),
        "history": history,
        "today": today,
        "category_rows": [(c, category_labels()[c], report.totals.figure(c)) for c in fc.CATEGORIES],
        "category_labels": [(c, category_labels()[c]) for c in fc.CATEGORIES],
        "open_labels": [(c, category_labels()[c]) for c in fc.OPEN_CATEGORIES],
        "buckets": [(b, bucket_label(b.code)) for b in report.buckets],
        "period_kinds": [(k, PeriodKind(k).label) for k in PERIOD_KINDS],
        "choices": scope_choices(request.user, roles=FORECAST_ROLES),
        "query": _query(report.scope, report.period),
        "previous_query": _query(report.scope, report.period.shift(-1)),
        "next_query": _query(report.scope, report.period.shift(1)),
        "category_chart": category_figure(report),
        "bucket_chart": bucket_figure(report),
    }


def _forecast_page(request: PageRequest) -> HttpResponse:
    """The forecast page; after a refused submission or adjustment (post-redirect-get) with the error,
    once, the refused form filled in again (the adjustment's row open) and the refusal's status."""
    context = forecast_context(request)
    if fmt := report_format(request):
        return forecast_export(context["report"], fmt)
    failed = pop_failed_post(request)
    posted = failed.data.dict() if failed else {}
    context.update(
        error=failed.error if failed else None,
        form=posted if failed and failed.slot == "forecast_submit" else {},
        adjust={**posted, "submission_id": failed.kwargs.get("submission_id")}
        if failed and failed.slot == "forecast_adjust"
        else {},
    )
    return render(request, "insights/forecast.html", context, status=failed.error.status if failed else 200)


@login_required
@require_GET
def forecast(request: PageRequest) -> HttpResponse:
    """?period_kind=&period_start=&unit_id=&owner_id= (default: this quarter, your whole scope);
    ?format=xlsx or csv downloads the report."""
    return _forecast_page(request)


def _back(request: PageRequest, name: str) -> str:
    """The page the form was on: forms post to `<action>?<the page's query>`."""
    query = request.GET.urlencode()
    return reverse(name) + (f"?{query}" if query else "")


def _post(request: PageRequest, run: Any, done: str, page_name: str) -> HttpResponse:
    """Run a service call; success → back to the page with a message; a domain error → back to the
    page by post-redirect-get (kadence.core.prg), which shows the error and the form filled in again;
    404 and 403 as error pages."""
    return action_post(request, run, back=_back(request, page_name), done=done)


@login_required
@require_POST
def forecast_submit(request: PageRequest) -> HttpResponse:
    def run() -> None:
        services.forecast_submit(
            request.user,
            period_kind=request.POST.get("period_kind"),
            period_start=parse_date_param(request.POST.get("period_start"), "period_start"),
            forecast=request.POST.get("forecast") or None,
            reason=request.POST.get("reason", ""),
        )

    return _post(request, run, _("Forecast submitted."), "forecast")


@login_required
@require_POST
def forecast_adjust(request: PageRequest, submission_id: int) -> HttpResponse:
    def run() -> None:
        raw = request.POST.get("forecast") or ""
        if not raw.strip():
            raise ValidationFailed(
                _("Enter the adjusted forecast."), {"forecast": [_("This field is required.")]}
            )
        services.forecast_adjust(
            request.user, submission_id, forecast=raw, reason=request.POST.get("reason", "")
        )

    return _post(request, run, _("Forecast adjusted."), "forecast")


def _orders_page(request: PageRequest) -> HttpResponse:
    """The order forecast page; after a refused save (post-redirect-get) with the error, once, and the
    weeks as they were typed."""
    today = timezone.localdate()
    report = selectors.order_forecast_report(
        request.user, unit_id=_id(request, "unit_id"), owner_id=_id(request, "owner_id"), as_of=today
    )
    failed = pop_failed_post(request)
    posted = failed.data.dict() if failed else {}
    return render(
        request,
        "insights/forecast_orders.html",
        {
            "report": report,
            "error": failed.error if failed else None,
            "form": posted,
            "choices": scope_choices(request.user, roles=FORECAST_ROLES),
            "weeks": [
                (w, report.mine.get(w), posted.get(f"week_{w.isoformat()}")) for w in report.weeks_ahead
            ],
            "leads": fc.LEADS,
            "accuracy_rows": [
                (w.week_start, w.actual, [(p.forecast, fc.as_pct(p.error)) for p in w.points])
                for w in report.accuracy
            ],
            "lead_rows": [(lead, fc.as_pct(s.bias), fc.as_pct(s.mape)) for lead, s in report.by_lead.items()],
        },
        status=failed.error.status if failed else 200,
    )


@login_required
@require_GET
def forecast_orders(request: PageRequest) -> HttpResponse:
    """The rolling 4-week order forecast (?unit_id=&owner_id=)."""
    return _orders_page(request)


@login_required
@require_POST
def forecast_orders_save(request: PageRequest) -> HttpResponse:
    def run() -> None:
        amounts: dict[date, Decimal | str] = {}
        for key, value in request.POST.items():
            if key.startswith("week_") and value.strip():
                week = parse_date_param(key.removeprefix("week_"), key)
                if week is not None:
                    amounts[week] = value.strip()
        services.order_forecast_save(request.user, amounts)

    return _post(request, run, _("Order forecast saved."), "forecast_orders")


@login_required
@require_GET
def forecast_accuracy(request: PageRequest) -> HttpResponse:
    """Forecast accuracy per period, seller and team (?period_kind=&unit_id=&owner_id=&periods=)."""
    count = parse_int(request.GET.get("periods"), low=0)
    count = selectors.ACCURACY_PERIODS if count is None else count
    report = selectors.forecast_accuracy(
        request.user,
        period_kind=request.GET.get("period_kind") or "quarter",
        unit_id=_id(request, "unit_id"),
        owner_id=_id(request, "owner_id"),
        as_of=timezone.localdate(),
        count=count,
    )

    def lines(items: list[selectors.AccuracyLine]) -> list[tuple[Any, ...]]:
        return [
            (
                line,
                [fc.as_pct(p.error) for p in line.points],
                fc.as_pct(line.summary.bias),
                fc.as_pct(line.summary.mape),
            )
            for line in items
        ]

    total = report.total
    sellers = page_of(report.sellers, request.GET.get("sellers_page"), SELLERS_PER_PAGE)
    return render(
        request,
        "insights/forecast_accuracy.html",
        {
            "report": report,
            "chart": accuracy_figure(report),
            "choices": scope_choices(request.user, roles=FORECAST_ROLES),
            "period_kinds": [(k, PeriodKind(k).label) for k in PERIOD_KINDS],
            "total_rows": [
                (period, point, fc.as_pct(point.error))
                for period, point in zip(report.periods, total.points, strict=True)
            ],
            "bias": fc.as_pct(total.summary.bias),
            "mape": fc.as_pct(total.summary.mape),
            "teams": lines(report.teams),
            "sellers": lines(sellers.items),
            "sellers_page": sellers,
        },
    )


urlpatterns = [
    path("forecast/", forecast, name="forecast"),
    path("forecast/submit/", forecast_submit, name="forecast_submit"),
    path("forecast/submissions/<int:submission_id>/adjust/", forecast_adjust, name="forecast_adjust"),
    path("forecast/orders/", forecast_orders, name="forecast_orders"),
    path("forecast/orders/save/", forecast_orders_save, name="forecast_orders_save"),
    path("forecast/accuracy/", forecast_accuracy, name="forecast_accuracy"),
]
