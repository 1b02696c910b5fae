"""The pipeline-changes page (漏斗变化, issue 11 §4): the waterfall from the opening to the closing pipeline
of a window (default: the last week), the moves inside it, the deals behind a chosen bar, and the xlsx and
CSV export (?format=xlsx or csv: every bar, and every deal behind the chosen one)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kadence.core.amounts import money_axis
from kadence.core.errors import ValidationFailed
from kadence.core.export import Column, Kind, Sheet, report_format, report_response
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_date_param, parse_int
from kadence.core.visibility import scope_choices
from kadence.insights.selectors.changes import (
    CODES,
    LABELS,
    MAX_DAYS_BACK,
    MOVES_TOTAL,
    ChangesReport,
    pipeline_changes,
)
from kadence.pipeline.models import Opportunity

FILTERS = ("date_from", "date_to", "unit_id", "owner_id", "bar")


def _inputs(query: Any) -> dict[str, Any]:
    return {
        "date_from": parse_date_param(query.get("date_from"), "date_from"),
        "date_to": parse_date_param(query.get("date_to"), "date_to"),
        "unit_id": parse_int(query.get("unit_id")),
        "owner_id": parse_int(query.get("owner_id")),
        "bar": query.get("bar") or None,
    }


def waterfall_figure(report: ChangesReport) -> dict[str, Any]:
    """Opening, the changes that move the total (up or down), closing: a Plotly waterfall."""
    steps = ["opening", *MOVES_TOTAL, "closing"]
    bars = {b.code: b for b in report.bars}
    values = [
        float(bars[c].amount)
        if c == "opening"
        else 0.0
        if c == "closing"
        else float(bars[c].sign * bars[c].amount)
        for c in steps
    ]
    return {
        "data": [
            {
                "type": "waterfall",
                "x": [str(LABELS[c]) for c in steps],
                "y": values,
                "measure": ["absolute", *["relative"] * len(MOVES_TOTAL), "total"],
                "text": [f"{bars[c].count}" for c in steps],
                "textposition": "outside",
                "connector": {"line": {"width": 1}},
            }
        ],
        "layout": {
            "margin": {"t": 20},
            "yaxis": {
                "title": {"text": _("Amount")},
                **money_axis([bars["opening"].amount, bars["closing"].amount]),
            },
            "showlegend": False,
        },
    }


def _export(report: ChangesReport, fmt: str) -> HttpResponse:
    summary = [(b.label, b.sign, b.count, b.amount) for b in report.bars]
    statuses = dict(Opportunity.Status.choices)  # as the page shows them, in the user's language

    def state(s: Any) -> tuple[Any, ...]:
        if s is None:
            return (None, None, None, None)
        return (statuses.get(s.status, s.status), report.stages[s.stage_id].name, s.amount, s.close)

    deals = [
        (
            d.opp.name,
            d.opp.account.name,
            d.opp.owner.label,
            d.opp.team.name,
            ", ".join(str(LABELS[c]) for c in d.bars),
            *state(d.before),
            *state(d.after),
        )
        for d in report.page.items
    ]
    before, after = _("at the opening"), _("at the closing")
    names = (_("Status"), _("Stage"), _("Amount"), _("Close date"))

    def state_columns(when: str) -> list[Column]:
        kinds: tuple[Kind, ...] = ("text", "text", "money", "date")
        return [Column(f"{name} ({when})", kind=kind) for name, kind in zip(names, kinds, strict=True)]

    sheets: list[Sheet] = [
        (
            _("Pipeline changes"),
            [
                _("Change"),
                Column(_("Sign"), kind="int"),
                Column(_("Deals"), kind="int"),
                Column(_("Amount"), kind="money"),
            ],
            summary,
        ),
        (
            str(LABELS[report.bar]) if report.bar else _("Deals"),
            [
                _("Opportunity"),
                _("Account"),
                _("Owner"),
                _("Team"),
                _("Changes"),
                *state_columns(before),
                *state_columns(after),
            ],
            deals,
        ),
    ]
    return report_response(
        fmt, f"pipeline-changes-{report.date_from.isoformat()}-{report.date_to.isoformat()}", sheets
    )


def _export_query(kept: QueryDict, bar: str | None) -> str:
    """The report's settings for its export links: the filters and the chosen bar."""
    query = kept.copy()
    if bar:
        query["bar"] = bar
    return query.urlencode()


@login_required
@require_GET
def pipeline_changes_page(request: PageRequest) -> HttpResponse:
    """The page; ?format=xlsx exports the bars and every deal behind the chosen bar. A bad window shows
    the last week with the error (422)."""
    error: ValidationFailed | None = None
    try:
        inputs = _inputs(request.GET)
        report = pipeline_changes(
            request.user,
            **inputs,
            page=request.GET.get("page"),
            everything=report_format(request) is not None,
        )
    except ValidationFailed as exc:
        error = exc
        inputs = {
            **_inputs(QueryDict()),
            "unit_id": parse_int(request.GET.get("unit_id")),
            "owner_id": parse_int(request.GET.get("owner_id")),
        }
        report = pipeline_changes(request.user, unit_id=inputs["unit_id"], owner_id=inputs["owner_id"])
    if (fmt := report_format(request)) and error is None:
        return _export(report, fmt)
    kept = QueryDict(mutable=True)
    kept.update({key: request.GET[key] for key in FILTERS if request.GET.get(key) and key != "bar"})
    choices = scope_choices(request.user)
    statuses = dict(Opportunity.Status.choices)

    def shown(state: Any) -> dict[str, Any] | None:
        if state is None:
            return None
        stage = report.stages.get(state.stage_id)
        return {
            "stage": stage.name if stage else "",
            "amount": state.amount,
            "close": state.close,
            "status": statuses.get(state.status, state.status),
        }

    context = {
        "report": report,
        "deals": [{"opp": d.opp, "states": (shown(d.before), shown(d.after))} for d in report.page.items],
        "error": error,
        "figure": waterfall_figure(report),
        "moves": [b for b in report.bars if b.code in MOVES_TOTAL],
        "inside": [b for b in report.bars if b.sign == 0 and b.code not in ("opening", "closing")],
        "opening": report.get("opening"),
        "closing": report.get("closing"),
        "units": choices.units,
        "sellers": choices.people,
        "chosen": inputs,
        "query": kept.urlencode(),
        "export_query": _export_query(kept, report.bar),
        "max_days_back": MAX_DAYS_BACK,
        "zero": Decimal(0),
        "bar_codes": CODES,
    }
    return render(request, "insights/pipeline_changes.html", context, status=error.status if error else 200)


urlpatterns = [path("reports/pipeline-changes/", pipeline_changes_page, name="pipeline_changes")]
