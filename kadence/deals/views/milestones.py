"""Deal-control page: the customer's buying milestones (项目里程碑四步分析法, METHODOLOGY §2). One table
row per stage of the deal's process — our stage, the customer's buying step, planned and actual
dates, slippage, where we lag the competition — each row its own form (a plain POST)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kadence.core.prg import rebase
from kadence.core.requests import PageRequest
from kadence.deals.forms.milestones import MilestoneForm
from kadence.deals.selectors import milestones as selectors
from kadence.deals.services import milestones as services
from kadence.deals.views.common import FormMaker, deal_get, deal_post, render_deal
from kadence.pipeline.models import Opportunity

TEMPLATE = "deals/milestones.html"


FORMS: dict[str, FormMaker] = {
    "deal_milestone_save": lambda data, kwargs: (MilestoneForm(data, stage_id=kwargs["stage_id"]), {}),
}


@login_required
def milestones_view(request: PageRequest, pk: int) -> HttpResponse:
    return deal_get(request, pk, milestones_page, FORMS)


def milestones_page(
    request: PageRequest, pk: int, *, error: Any = None, form: Any = None, status: int = 200
) -> HttpResponse:
    def build(opp: Opportunity, perms: dict[str, bool]) -> dict[str, Any]:
        plan = selectors.milestone_plan_of(opp, timezone.localdate())
        for row in plan.rows:
            failed = isinstance(form, MilestoneForm) and form.stage_id == row.stage.pk
            row.form = (  # type: ignore[attr-defined]
                rebase(form, row.milestone.version if row.milestone else None)
                if failed
                else MilestoneForm.for_milestone(row.stage.pk, row.milestone)
            )
            row.failed = failed  # type: ignore[attr-defined]
        return {"plan": plan}

    return render_deal(request, pk, "milestones", TEMPLATE, build, status=status, error=error)


@login_required
@require_POST
def milestone_save(request: PageRequest, pk: int, stage_id: int) -> HttpResponse:
    form = MilestoneForm(request.POST, stage_id=stage_id)
    return deal_post(
        request,
        pk,
        run=lambda: services.milestone_save(request.user, pk, stage_id, **form.service_values()),
        done=_("Milestone saved."),
        redirect_to="deal_milestones",
        form=form,
    )


urlpatterns = [
    path("opportunities/<int:pk>/milestones/", milestones_view, name="deal_milestones"),
    path("opportunities/<int:pk>/milestones/<int:stage_id>/", milestone_save, name="deal_milestone_save"),
]
