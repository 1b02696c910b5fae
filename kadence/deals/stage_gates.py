"""Deal control's answer to the pipeline's stage-gate hooks (kadence.pipeline.gates.StageGates):
exit criteria are evaluated against the deal's evidence, approvals, assessments and tasks, the level
is the one its checkpoints verify, and entering a stage creates the stage's tasks. Registered by
DealsConfig.ready, so that the pipeline services reach deal control without importing it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kadence.core.models import User
from kadence.deals.selectors.gates import missing_for_move
from kadence.deals.services.gates import Verdict, verdict, verdicts
from kadence.deals.services.tasks import stage_tasks_create
from kadence.pipeline import gates
from kadence.pipeline.models import Opportunity, Stage


class DealControlGates:
    """kadence.pipeline.gates.StageGates, by deal control."""

    def missing_exit_criteria(self, opp: Opportunity, leaving: Sequence[Stage]) -> list[dict[str, Any]]:
        return missing_for_move(opp, leaving)

    def verified_level(self, opp: Opportunity, stage: Stage | None) -> Verdict:
        return verdict(opp, stage)

    def verdicts(self, opps: Sequence[Opportunity]) -> Mapping[int, Verdict]:
        return verdicts(opps)

    def after_stage_entry(self, opp: Opportunity, stage: Stage, actor: User | None) -> None:
        stage_tasks_create(opp, stage, actor)


def register() -> None:
    gates.register(DealControlGates())
