"""A deal's customer milestones over the API (项目里程碑四步分析法, METHODOLOGY §2): for each stage of
the deal's process, the customer's buying step with its planned and actual dates and the slippage."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.errors import NotFound
from kadence.core.schemas import ErrorOut, IdPath
from kadence.deals.schemas.milestones import MilestoneIn, MilestoneOut, MilestonePlanOut
from kadence.deals.selectors import milestones as selectors
from kadence.deals.services import milestones as services

router = Router(tags=["deal control"])

OppId = IdPath
StageId = IdPath
BASE = "/opportunities/{opp_id}/milestones"


def row_out(row: selectors.MilestoneRow) -> dict[str, Any]:
    s, m, slip = row.stage, row.milestone, row.slippage
    return {
        "stage": {
            "id": s.pk,
            "code": s.code,
            "order": s.order,
            "name": s.name,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "buying_step": s.buying_step,
            "buying_step_zh": s.buying_step_zh,
            "buying_step_en": s.buying_step_en,
        },
        "is_current_stage": row.is_current,
        "id": m.pk if m else None,
        "planned_on": row.planned_on,
        "actual_on": row.actual_on,
        "competition_note": m.competition_note if m else "",
        "note": m.note if m else "",
        "state": slip.state,
        "slippage_days": slip.days,
        "running": slip.running,
        "late": slip.late,
        "flagged": slip.flagged,
        "updated_at": m.updated_at if m else None,
        "version": row.version,
    }


def plan_out(plan: selectors.MilestonePlan) -> dict[str, Any]:
    s = plan.summary
    return {
        "opportunity_id": plan.opportunity.pk,
        "as_of": plan.as_of,
        "warn_days": plan.warn_days,
        "summary": {
            "measured": s.measured,
            "late": s.late,
            "flagged": s.flagged,
            "total_days_late": s.total_days_late,
            "worst": s.worst,
            "latest": s.latest,
        },
        "milestones": [row_out(r) for r in plan.rows],
    }


@router.get(BASE, response={200: MilestonePlanOut, codes_4xx: ErrorOut})
def get_milestones(request: ApiRequest, opp_id: OppId) -> dict[str, Any]:
    """One row per stage of the deal's process, in order: the customer's buying step, planned and
    actual dates, slippage (flagged beyond the policy's warning days), and a summary."""
    return plan_out(selectors.milestone_plan(request.auth, opp_id, timezone.localdate()))


@router.put(BASE + "/{stage_id}", response={200: MilestoneOut, codes_4xx: ErrorOut})
def put_milestone(
    request: ApiRequest, opp_id: OppId, stage_id: StageId, payload: MilestoneIn
) -> dict[str, Any]:
    """Set a stage's milestone (deal writers and deal team). `version`: the one you read, or null
    for a stage not yet dated (409 `conflict` if stale). A stage of another process answers 404;
    an actual date in the future 422."""
    services.milestone_save(request.auth, opp_id, stage_id, **payload.dict())
    plan = selectors.milestone_plan(request.auth, opp_id, timezone.localdate())
    row = plan.row_for(stage_id)
    if row is None:  # the service has checked the stage; only a concurrent template change gets here
        raise NotFound(_("That stage is not part of this deal's process."))
    return row_out(row)
