"""The stalled-deals page (停滞不前, METHODOLOGY §8.2): the stalled open deals of a scope with their
reasons, counts per reason, filters (scope, reason), sorting by days stalled, the xlsx and CSV
export (?format=xlsx or csv), and on each row the three required outcomes (dated next step, downgrade,
close lost) posted to kadence.insights.services.stall."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.activities.models import Activity
from kadence.core.errors import DomainError
from kadence.core.export import Column, report_format, report_response
from kadence.core.prg import pop_failed_post, redirect_invalid_form, refuse
from kadence.core.requests import PageRequest
from kadence.core.validation import parse_int
from kadence.core.visibility import (
    can_write_opportunity,
    scope_choices,
)
from kadence.deals.models import StallAction
from kadence.domain.stall import REASONS
from kadence.insights.forms import StallActionForm
from kadence.insights.selectors.stalled import (
    DEFAULT_SORT,
    REASON_LABELS,
    SORTS,
    StalledRow,
    reason_label,
    reason_text,
    stalled_export,
    stalled_report,
)
from kadence.insights.services.stall import NEXT_STEP_MAX_DAYS, stall_act
from kadence.pipeline.models import LossReason, Stage

FILTERS = ("unit_id", "owner_id", "reason", "sort", "page", "page_size")


def _filters(data: Any) -> dict[str, Any]:
    return {
        "unit_id": parse_int(data.get("unit_id")),
        "owner_id": parse_int(data.get("owner_id")),
        "reason": data.get("reason") or None,
        "sort": data.get("sort") or DEFAULT_SORT,
    }


def _earlier_stages(rows: list[StalledRow]) -> dict[int, list[Stage]]:
    """Per deal on the page, the stages it may be downgraded to (earlier stages of its process)."""
    templates = {row.opp.template_id for row in rows}
    stages = list(
        Stage.objects.filter(template_id__in=templates, is_won=False).order_by("template_id", "order")
    )
    return {
        row.opp.pk: [
            s for s in stages if s.template_id == row.opp.template_id and s.order < row.opp.stage.order
        ]
        for row in rows
    }


def _page(
    request: PageRequest,
    *,
    error: DomainError | None = None,
    error_opp: int | None = None,
    form: StallActionForm | None = None,
    query: Any = None,
    status: int = 200,
) -> HttpResponse:
    query = query if query is not None else request.GET
    chosen = _filters(query)
    kept = {key: query.get(key) for key in FILTERS if query.get(key)}
    kept_query = QueryDict(mutable=True)
    kept_query.update(kept)
    report = stalled_report(request.user, **chosen, page=query.get("page"), page_size=query.get("page_size"))
    rows = report.page.items
    stages = _earlier_stages(rows)
    choices = scope_choices(request.user)
    units, sellers = choices.units, choices.people
    today = report.as_of
    context = {
        "report": report,
        "rows": [
            {
                "row": row,
                "reasons": [(r, reason_text(r)) for r in row.reasons],
                "stages": stages.get(row.opp.pk, []),
                "can_act": can_write_opportunity(request.user, row.opp),
            }
            for row in rows
        ],
        "page": report.page,
        "counts": [(code, reason_label(code), report.counts[code]) for code in REASONS],
        "reasons": [(code, label) for code, label in REASON_LABELS.items()],
        "units": units,
        "sellers": sellers,
        "chosen": chosen,
        "sorts": SORTS,
        "default_sort": DEFAULT_SORT,
        "loss_reasons": list(LossReason.objects.all()),
        "activity_kinds": Activity.Kind.choices,
        "next_step_min": today + timedelta(days=1),
        "next_step_max": today + timedelta(days=NEXT_STEP_MAX_DAYS),
        "error": error,
        "error_opp": error_opp,
        "form": form,
        "filters": kept,
        "query": kept_query,
        "factor": format(report.policy.factor.normalize(), "f"),
    }
    return render(request, "insights/stalled.html", context, status=status)


def _export(request: PageRequest, fmt: str) -> HttpResponse:
    report, rows = stalled_export(request.user, **_filters(request.GET))
    headers: list[Column | str] = [
        _("Opportunity"),
        _("Account"),
        _("Owner"),
        _("Team"),
        _("Stage"),
        Column(_("Days in stage"), kind="int"),
        Column(_("Standard days"), kind="int"),
        Column(_("Days allowed"), kind="number"),
        Column(_("Last customer activity"), kind="date"),
        Column(_("Expected close date"), kind="date"),
        Column(_("Close date pushes"), kind="int"),
        Column(_("Days stalled"), kind="int"),
        Column(_("Stalled since"), kind="date"),
        _("Reasons"),
        _("Last action"),
        Column(_("Last action on"), kind="date"),
        Column(_("Amount"), kind="money"),
        _("Currency"),
    ]

    def lines():
        for row in rows:
            opp, action = row.opp, row.last_action
            yield [
                opp.name,
                opp.account.name,
                opp.owner.label,
                opp.team.name,
                opp.stage.name,
                row.days_in_stage,
                opp.stage.standard_days,
                row.stage_allowance,
                row.last_activity_on,
                opp.expected_close_date,
                row.close_pushes,
                row.days_stalled,
                row.stalled_since,
                "; ".join(reason_text(r) for r in row.reasons),
                action.get_outcome_display() if action else "",
                timezone.localtime(action.acted_at).date() if action else None,
                opp.amount,
                opp.currency,
            ]

    return report_response(
        fmt, f"stalled-deals-{report.as_of.isoformat()}", [(_("Stalled deals"), headers, lines())]
    )


@login_required
@require_GET
def stalled_deals(request: PageRequest) -> HttpResponse:
    """The page; ?format=xlsx or csv exports every stalled deal of the chosen scope and reason."""
    if fmt := report_format(request):
        return _export(request, fmt)
    failed = pop_failed_post(request)
    if failed is not None:  # an outcome refused (stalled_deal_act): shown once, next to its deal
        form = StallActionForm(failed.data)
        form.is_valid()
        return _page(
            request,
            error=failed.error,
            error_opp=failed.kwargs.get("pk"),
            form=form,
            status=failed.error.status,
        )
    return _page(request)


def _back(data: Any) -> str:
    """The list as it was (its filters and page), to return to after an outcome."""
    kept = {key: data.get(key) for key in FILTERS if data.get(key)}
    url = reverse("stalled_deals")
    return f"{url}?{urlencode(kept)}" if kept else url


@login_required
@require_POST
def stalled_deal_act(request: PageRequest, pk: int) -> HttpResponse:
    """Record the outcome posted for one stalled deal and do it; back to the list with a message.
    Refused, back to the list by post-redirect-get, with the error next to that deal."""
    form = StallActionForm(request.POST)
    if not form.is_valid():
        return redirect_invalid_form(request, _back(request.POST), form)
    data = form.cleaned_data
    try:
        action = stall_act(
            request.user,
            pk,
            data["outcome"],
            next_step=data["next_step"],
            next_step_on=data["next_step_on"],
            activity_kind=data["activity_kind"] or "call_out",
            stage_id=data["stage_id"],
            loss_reason_id=data["loss_reason_id"],
            note=data["note"],
            version=data["version"],
        )
    except DomainError as exc:
        return refuse(request, _back(request.POST), exc)
    done = {
        StallAction.Outcome.NEXT_STEP: _("Next step recorded for %(deal)s."),
        StallAction.Outcome.DOWNGRADE: _("%(deal)s moved back to an earlier stage."),
        StallAction.Outcome.CLOSE_LOST: _("%(deal)s closed lost."),
    }[StallAction.Outcome(action.outcome)]
    messages.success(request, done % {"deal": action.opportunity.name})
    return redirect(_back(request.POST))


urlpatterns = [
    path("reports/stalled/", stalled_deals, name="stalled_deals"),
    path("reports/stalled/<int:pk>/act/", stalled_deal_act, name="stalled_deal_act"),
]
