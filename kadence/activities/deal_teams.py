"""Activity.deal_team, the team of the activity's opportunity, kept equal to it: Activity.save() sets
it, and sync_deal_teams puts it right for a deal that changed team (pipeline's
opportunity_team_changed signal), for rows written in bulk (the demo seeder) and, once, for the rows
that existed before the column (migration 0004)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, OuterRef, Q, Subquery

from kadence.activities.models import Activity
from kadence.pipeline.models import Opportunity


def sync_deal_teams(opportunity_ids: Iterable[int] | None = None, *, using: Any = None) -> int:
    """Set deal_team to the opportunity's team wherever it differs (on the activities of
    `opportunity_ids`, or everywhere); returns how many rows changed."""
    activities = Activity.objects.using(using) if using else Activity.objects
    qs = activities.filter(opportunity__isnull=False)
    if opportunity_ids is not None:
        qs = qs.filter(opportunity_id__in=list(opportunity_ids))
    stale = qs.filter(Q(deal_team__isnull=True) | ~Q(deal_team_id=F("opportunity__team_id")))
    team = Opportunity.objects.filter(pk=OuterRef("opportunity_id")).values("team_id")[:1]
    return stale.update(deal_team_id=Subquery(team))
