"""The opportunity page (/opportunities/<id>/): the deal's overview, the first tab of deal control. It
shows what several capabilities know of one deal — its stage and history and the action forms of the
pipeline, its latest activities, the deal-control tabs — so it is composed here, in the app that sees
them all (pipeline and activities are below deals). The actions post to the pipeline's views, which
come back here by post-redirect-get (kadence.core.prg) with a refused form shown again in its slot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kadence.activities.selectors import ActivityFilters, activity_list
from kadence.core.prg import FailedPost, place_field_errors, pop_failed_post, rebind
from kadence.core.requests import PageRequest
from kadence.core.templatetags.kadence import money
from kadence.deals.selectors.gates import level_outlook
from kadence.deals.views.common import TABS
from kadence.pipeline import selectors
from kadence.pipeline.forms import (
    CloseLostForm,
    CloseWonForm,
    MoveForm,
    ReassignForm,
    ReopenForm,
    TeamAddForm,
    TeamRemoveForm,
)
from kadence.pipeline.models import ForecastCategory, Opportunity, ProbabilityLevel, Stage

AUDIT_LABELS = {
    "amount": _("Amount"),
    "currency": _("Currency"),
    "expected_close_date": _("Expected close date"),
    "forecast_category": _("Forecast category"),
    "level": _("Level"),
    "owner": _("Owner"),
    "team_member": _("Deal team"),
    "evidence": _("Evidence"),
    "approval": _("Approval"),
    "c139": _("C139"),
    "bid_decision": _("Bid decision"),
    "buying_centre": _("Buying centre"),
    "milestone": _("Milestone"),
    "task": _("Task"),
    "expense": _("Expense"),
    "expense_budget": _("Expense budget"),
}


def _audit_rows(entries) -> list[dict[str, Any]]:
    categories = dict(ForecastCategory.choices)
    levels = {lv.code: str(lv) for lv in ProbabilityLevel.objects.all()}

    def show(field: str, value: str) -> str:
        if value == "":
            return "—"
        if field == "amount":
            return money(value)
        if field == "forecast_category":
            return str(categories.get(value, value))
        if field == "level":
            return levels.get(value, value)
        return value

    return [
        {
            "entry": e,
            "label": AUDIT_LABELS.get(e.field, e.field),
            "old": show(e.field, e.old_value),
            "new": show(e.field, e.new_value),
        }
        for e in entries
    ]


def _progress(opp: Opportunity, stages: list[Stage]) -> list[dict[str, Any]]:
    current = opp.stage.order
    won = opp.status == Opportunity.Status.WON
    lost = opp.status == Opportunity.Status.LOST
    steps = []
    for stage in stages:
        if stage.pk == opp.stage_id:
            state = "won" if won else "lost" if lost else "current"
        elif stage.order < current or won:
            state = "done"
        else:
            state = "todo"
        steps.append({"stage": stage, "state": state})
    return steps


def _detail_context(user, pk: int, failed: FailedPost | None = None, **overrides: Any) -> dict[str, Any]:
    opp = selectors.opportunity_detail(user, pk)
    perms = selectors.opportunity_permissions(user, opp)
    stages = list(
        Stage.objects.filter(template_id=opp.template_id).select_related("default_level").order_by("order")
    )
    history = selectors.stage_history(user, pk)
    previous = None
    for row in history:
        row.amount_changed = previous is not None and previous.amount != row.amount
        row.close_changed = previous is not None and previous.expected_close_date != row.expected_close_date
        previous = row
    now = timezone.now()
    context: dict[str, Any] = {
        "opp": opp,
        "perms": perms,
        "tabs": TABS,
        "tab": "overview",
        "stages": stages,
        "progress": _progress(opp, stages),
        "history": list(reversed(history)),
        "audit": _audit_rows(selectors.opportunity_audit(user, pk)),
        "activities": activity_list(user, ActivityFilters(opportunity_id=opp.pk), page_size=10),
        "days_in_stage": max(0, (now - opp.stage_entered_at).days),
        "is_open": opp.status == Opportunity.Status.OPEN,
        "outlook": level_outlook(opp),
        "today": timezone.localdate(),
    }
    if perms["can_edit"]:
        context.update(
            {
                "move_form": MoveForm(initial={"stage_id": opp.stage_id, "version": opp.version}),
                "close_won_form": CloseWonForm(initial={"version": opp.version}),
                "close_lost_form": CloseLostForm(initial={"version": opp.version}),
                "reopen_form": ReopenForm(initial={"version": opp.version}),
                "team_add_form": TeamAddForm(user),
            }
        )
    if perms["can_reassign"]:
        context["reassign_form"] = ReassignForm(user, initial={"version": opp.version})
    if failed is not None and failed.slot in ACTION_FORMS:
        slot, make = ACTION_FORMS[failed.slot]
        context.update(
            {
                "action_slot": slot,
                "action_error": failed.error,
                f"{slot}_form": rebind(
                    failed, lambda data: make(user, data), version=opp.version, place=place_field_errors
                ),
            }
        )
    context.update(overrides)
    return context


@login_required
@require_GET
def opportunity_detail(request: PageRequest, pk: int) -> HttpResponse:
    failed = pop_failed_post(request)
    context = _detail_context(request.user, pk, failed)
    # After a refused action (post-redirect-get) the page carries that refusal's status, once.
    return render(
        request, "pipeline/opportunity_detail.html", context, status=failed.error.status if failed else 200
    )


# The action forms of the opportunity page, by the URL name of the view they post to: the slot they
# occupy on the page and how to build them from posted data (to show one again after a failure).
ACTION_FORMS: dict[str, tuple[str, Callable[[Any, QueryDict], Any]]] = {
    "opportunity_move": ("move", lambda user, data: MoveForm(data)),
    "opportunity_close_won": ("close_won", lambda user, data: CloseWonForm(data)),
    "opportunity_close_lost": ("close_lost", lambda user, data: CloseLostForm(data)),
    "opportunity_reopen": ("reopen", lambda user, data: ReopenForm(data)),
    "opportunity_reassign": ("reassign", lambda user, data: ReassignForm(user, data)),
    "opportunity_team_add": ("team_add", lambda user, data: TeamAddForm(user, data)),
    "opportunity_team_remove": ("team_remove", lambda user, data: TeamRemoveForm(data)),
}


urlpatterns = [
    path("opportunities/<int:pk>/", opportunity_detail, name="opportunity_detail"),
]
