"""What a client reads before it writes: the current version of a record, for tests that call the
services directly (every change names the version it was based on)."""

from __future__ import annotations

from kadence.deals.models import Milestone
from kadence.deals.selectors.expenses import budget_version
from kadence.pipeline.models import Opportunity

__all__ = ["budget_version", "milestone_version", "opp_version"]


def opp_version(opp_id: int) -> int:
    """The deal's version as it is now."""
    return Opportunity.objects.values_list("version", flat=True).get(pk=opp_id)


def milestone_version(opp_id: int, stage_id: int) -> int | None:
    """The version of the deal's milestone at `stage_id`, None when the stage has none yet."""
    return (
        Milestone.objects.filter(opportunity_id=opp_id, stage_id=stage_id)
        .values_list("version", flat=True)
        .first()
    )
