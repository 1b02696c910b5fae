"""The deal's history: every change of what a deal is (stage, level, probability, amount, close date,
status, owner, team, forecast category) is a StageChange row with its moment, so the deal at any
past moment is its row with the highest id among those changed before then.

- `write` records a transition (a stage or status change: the services call it with its kind) or a
  change inside the stage; it stamps the deal's state as it is after the change.
- `tracking(opp_id, actor)` (and the `keeps_history` decorator) wraps every service that changes a
  deal: it moves the deal's contribution to the summaries (kadence.pipeline.summary.tracking) and, at
  the end of the outermost block, writes an `updated` row (`reassigned` when the owner changed) if the
  deal no longer matches its last history row: a C139 save that raised the level, an edited amount or
  close date, an approval, a new forecast category. A service that wrote its own transition row has
  nothing left to record. Re-entrant like summary.tracking.
- A row written with a moment before today (a backdated write) rewrites the deal in the pipeline
  snapshots taken since then (kadence.pipeline.snapshots.refresh), so they never disagree with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from django.utils import timezone

from kadence.core.models import User
from kadence.pipeline import snapshots, stays, summary
from kadence.pipeline.models import Opportunity, ProbabilityLevel, Stage, StageChange

Service = TypeVar("Service", bound=Callable[..., Any])

# What a history row holds of the deal: (deal field, history field) pairs compared to decide whether
# the deal changed since its last row.
STATE = (
    ("stage_id", "to_stage_id"),
    ("level_id", "to_level_id"),
    ("probability", "probability"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("expected_close_date", "expected_close_date"),
    ("status", "status"),
    ("owner_id", "owner_id"),
    ("team_id", "team_id"),
    ("forecast_category", "forecast_category"),
)


def write(
    opp: Opportunity,
    kind: str,
    *,
    from_stage: Stage | None,
    from_level: ProbabilityLevel | None,
    actor: User | None,
    reason: str = "",
    days: int | None = None,
    at: datetime | None = None,
    overridden: bool = False,
    overridden_criteria: list[dict[str, Any]] | None = None,
) -> StageChange:
    """One history row: `kind` from (`from_stage`, `from_level`) to the deal as `opp` holds it now.
    A transition also counts in the stage flows (kadence.pipeline.summary.flow_add); a row that may
    begin or end a stay moves the deal's stays (kadence.pipeline.stays) and its `stay_began_at`."""
    same_level = kind != StageChange.Kind.UPDATED or (
        from_level is not None and from_level.pk == opp.level_id
    )
    tracked = None if same_level and kind not in stays.ENTERING + stays.CLOSING else stays.Tracked(opp.pk)
    change = StageChange.objects.create(
        opportunity=opp,
        kind=kind,
        from_stage=from_stage,
        to_stage=opp.stage,
        from_stage_name=from_stage.name_zh if from_stage else "",
        to_stage_name=opp.stage.name_zh,
        from_stage_name_en=from_stage.name_en if from_stage else "",
        to_stage_name_en=opp.stage.name_en,
        from_level=from_level,
        to_level=opp.level,
        probability=opp.probability,
        amount=opp.amount,
        currency=opp.currency,
        expected_close_date=opp.expected_close_date,
        status=opp.status,
        owner_id=opp.owner_id,
        team_id=opp.team_id,
        forecast_category=opp.forecast_category,
        days_in_from_stage=days,
        changed_by=actor,
        changed_at=at or timezone.now(),
        reason=(reason or "")[:500],
        overridden=overridden,
        overridden_criteria=overridden_criteria or [],
    )
    if tracked is not None:
        tracked.commit(opp)
    if kind in StageChange.TRANSITIONS:
        summary.flow_add(change, opp.owner_id, opp.team_id, opp.created_at)
    if timezone.localtime(change.changed_at).date() < timezone.localdate():
        # a backdated row (an import): the snapshots of the days since then must follow it
        snapshots.refresh(opp.pk, change.changed_at)
        snapshots.flow_backdated(change, opp.created_at)
    return change


def record(opp_id: int, actor: User | None, reason: str = "") -> StageChange | None:
    """Write an `updated` (or `reassigned`) row if the deal differs from its last history row; the
    row written, or None when the history already says what the deal is."""
    last = (
        StageChange.objects.filter(opportunity_id=opp_id)
        .order_by("-id")
        .values("to_stage_id", "to_level_id", *(field for _deal, field in STATE[2:]))
        .first()
    )
    opp = Opportunity.objects.select_related("stage", "level").filter(pk=opp_id).first()
    if opp is None:
        return None
    if last is not None and all(getattr(opp, mine) == last[theirs] for mine, theirs in STATE):
        return None
    moved = last is not None and (last["owner_id"], last["team_id"]) != (opp.owner_id, opp.team_id)
    from_level = ProbabilityLevel.objects.filter(pk=last["to_level_id"]).first() if last else None
    return write(
        opp,
        StageChange.Kind.REASSIGNED if moved else StageChange.Kind.UPDATED,
        from_stage=opp.stage,
        from_level=from_level,
        actor=actor,
        reason=reason,
    )


_active = threading.local()


@contextmanager
def tracking(opp_id: int, actor: User | None = None, reason: str = "") -> Iterator[None]:
    """Keep the summaries and the history of the deal following what the block changes. Takes the
    deal's row lock (summary.tracking): use it inside the service's transaction."""
    active: set[int] = getattr(_active, "ids", None) or set()
    _active.ids = active
    if opp_id in active:
        yield
        return
    active.add(opp_id)
    try:
        with summary.tracking(opp_id):
            yield
            record(opp_id, actor, reason)
    finally:
        active.discard(opp_id)


def keeps_history(func: Service) -> Service:
    """Decorate a service `f(user, opp_id, ...)` so the summaries and the history follow the deal it
    changes (`user` is the history row's author)."""

    @wraps(func)
    def wrapper(user: Any, opp_id: int, *args: Any, **kwargs: Any) -> Any:
        with tracking(int(opp_id), user if isinstance(user, User) else None):
            return func(user, opp_id, *args, **kwargs)

    return cast(Service, wrapper)
