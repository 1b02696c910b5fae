"""Stage gates as the pipeline services see them (METHODOLOGY §2): which exit criteria a forward move
leaves unmet, the level a deal's checkpoints verify at a stage, and what entering a stage starts.

The evaluation belongs to deal control (kadence.deals: evidence, approvals, assessments, tasks), an
app in the layer above pipeline. So pipeline states the hooks it calls (`StageGates`) and deal control
registers its implementation when Django starts (DealsConfig.ready → kadence.deals.stage_gates):
pipeline never imports deals, and deals imports pipeline like every app above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from kadence.core.models import User
from kadence.pipeline.models import Opportunity, ProbabilityLevel, Stage


class Verdict(Protocol):
    """What the checkpoints say about an open deal at a stage."""

    @property
    def level(self) -> ProbabilityLevel: ...

    @property
    def staging(self) -> str:
        """The staging flag: "over", "under" or ""."""

    @property
    def c139_result(self) -> str: ...


class StageGates(Protocol):
    """The hooks the pipeline services call around a stage move."""

    def missing_exit_criteria(self, opp: Opportunity, leaving: Sequence[Stage]) -> list[dict[str, Any]]:
        """Exit criteria of `leaving` (the current stage and any skipped ones) that `opp` does not meet:
        dicts with stage_id, stage, criterion_id, code, kind, name and detail (why not)."""

    def verified_level(self, opp: Opportunity, stage: Stage | None) -> Verdict:
        """The level, staging flag and C139 result the deal's checkpoints support at `stage` (None:
        its current stage)."""

    def verdicts(self, opps: Sequence[Opportunity]) -> Mapping[int, Verdict]:
        """Deal id → the verdict of each open deal of `opps` at its current stage, in a fixed number
        of queries whatever their number."""

    def after_stage_entry(self, opp: Opportunity, stage: Stage, actor: User | None) -> None:
        """What entering `stage` starts (the stage's task list on the deal)."""


_registered: StageGates | None = None


def register(gates: StageGates) -> None:
    """Install the stage gates (once, from an AppConfig.ready; a later call replaces them)."""
    global _registered
    _registered = gates


def _gates() -> StageGates:
    if _registered is None:
        raise ImproperlyConfigured(
            "No stage gates are registered: kadence.deals registers them in DealsConfig.ready "
            "(is it in INSTALLED_APPS?)."
        )
    return _registered


def missing_exit_criteria(opp: Opportunity, leaving: Sequence[Stage]) -> list[dict[str, Any]]:
    """Exit criteria of `leaving` that `opp` does not meet (StageGates.missing_exit_criteria)."""
    return _gates().missing_exit_criteria(opp, leaving)


def verified_level(opp: Opportunity, stage: Stage | None = None) -> Verdict:
    """The level, staging flag and C139 result the deal's checkpoints support at `stage` (default:
    its current stage)."""
    return _gates().verified_level(opp, stage)


def verdicts(opps: Sequence[Opportunity]) -> Mapping[int, Verdict]:
    """Deal id → the verdict of each open deal of `opps` at its current stage (StageGates.verdicts)."""
    return _gates().verdicts(opps)


def after_stage_entry(opp: Opportunity, stage: Stage, actor: User | None) -> None:
    """Entering a stage creates the stage's task list on the deal."""
    _gates().after_stage_entry(opp, stage, actor)
