"""Stage gates: the check a forward stage move must pass.

This is the seam where evidence-gated progress plugs in (METHODOLOGY §2): `missing_exit_criteria`
answers which exit criteria of the stages being left are not met. The foundation records the
criteria as data and evaluates none of them yet, so every move passes; the stage-gate work replaces
the body of this one function and the services need no change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kadence.pipeline.models import Opportunity, Stage


@dataclass(frozen=True)
class MissingCriterion:
    stage_id: int
    criterion_id: int
    code: str
    kind: str
    name: str


def missing_exit_criteria(opp: Opportunity, leaving: Sequence[Stage]) -> list[MissingCriterion]:
    """Exit criteria of `leaving` (the current stage and any skipped ones) that `opp` does not meet."""
    return []
