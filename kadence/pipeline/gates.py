"""Stage gates as the pipeline services see them (METHODOLOGY §2): which exit criteria a forward move
leaves unmet, the level a deal's checkpoints verify at a stage, and what entering a stage starts.

The evaluation lives with deal control (kadence.deals: evidence, approvals, assessments, tasks);
this module is the narrow seam the pipeline services call, so they never reach into those models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kadence.core.models import User
from kadence.deals.selectors.gates import missing_for_move
from kadence.deals.services.gates import Verdict, verdict
from kadence.deals.services.tasks import stage_tasks_create
from kadence.pipeline.models import Opportunity, Stage


def missing_exit_criteria(opp: Opportunity, leaving: Sequence[Stage]) -> list[dict[str, Any]]:
    """Exit criteria of `leaving` (the current stage and any skipped ones) that `opp` does not meet:
    dicts with stage_id, stage, criterion_id, code, kind, name and detail (why not)."""
    return missing_for_move(opp, leaving)


def verified_level(opp: Opportunity, stage: Stage | None = None) -> Verdict:
    """The level, staging flag and C139 result the deal's checkpoints support at `stage` (default:
    its current stage)."""
    return verdict(opp, stage)


def after_stage_entry(opp: Opportunity, stage: Stage, actor: User | None) -> None:
    """Entering a stage creates the stage's task list on the deal."""
    stage_tasks_create(opp, stage, actor)
