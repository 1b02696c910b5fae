"""Stage tasks (METHODOLOGY §1c, §6): entering a stage creates its task list on the deal."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kadence.core.models import User
from kadence.deals.models import OpportunityTask
from kadence.pipeline.models import Opportunity, OpportunityTeamMember, Stage, StageTask


def stage_tasks_create(opp: Opportunity, stage: Stage, actor: User | None = None) -> list[OpportunityTask]:
    """Create the deal's tasks for `stage` (one per active StageTask; none twice when a deal comes back
    to a stage). Each goes to the deal-team member holding the task's role, else to the owner, due
    `due_days` after today. No access check: called by the pipeline services that moved the deal."""
    templates = list(StageTask.objects.filter(stage=stage, is_active=True).order_by("order", "id"))
    if not templates:
        return []
    existing = set(OpportunityTask.objects.filter(opportunity=opp, stage=stage).values_list("code", flat=True))
    holders = dict(OpportunityTeamMember.objects.filter(opportunity=opp).order_by("added_at", "id")
                   .values_list("role_id", "user_id"))
    today = timezone.localdate()
    rows = [
        OpportunityTask(opportunity=opp, stage=stage, stage_task=t, code=t.code, name_zh=t.name_zh, name_en=t.name_en,
                        standard_zh=t.standard_zh, standard_en=t.standard_en,
                        role_id=t.role_id, assignee_id=holders.get(t.role_id, opp.owner_id),
                        due_on=today + timedelta(days=t.due_days))
        for t in templates if t.code not in existing
    ]
    return OpportunityTask.objects.bulk_create(rows)
