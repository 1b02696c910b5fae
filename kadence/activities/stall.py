"""The activities' part of a deal's stall summary (kadence.pipeline.stall): the date of its last done
customer-side activity, `Opportunity.stall_last_activity_on`. Written once here: which activities
count (`customer_side`), the last one's date as a subquery (the report's probe and the refresh), and
the refresh the activity services and the activity admin run under the deal's row lock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import OuterRef, Q, Subquery

from kadence.activities.models import Activity
from kadence.pipeline import stall


def is_customer_side(kind: str, done: bool) -> bool:
    """Whether an activity counts as customer activity for "no customer activity"
    (kadence.domain.stall): done, and not an e-mail. Its SQL twin is `customer_side`."""
    return bool(done) and kind != Activity.Kind.EMAIL


def customer_side() -> Q:
    """The activities `is_customer_side` accepts, as a condition."""
    return Q(done=True) & ~Q(kind=Activity.Kind.EMAIL)


def counts(activity: Activity) -> bool:
    """Whether `activity` (as saved) counts for its deal's last customer activity."""
    return activity.opportunity_id is not None and is_customer_side(activity.kind, activity.done)


def last_customer_activity(opp_ref: Any = None, *, as_of: date | None = None) -> Subquery:
    """The date of the deal's (`opp_ref`, OuterRef("pk") by default) last done customer-side
    activity, on or before `as_of` when given (NULL: none); read through activity_opp_date."""
    deal: Any = OuterRef("pk") if opp_ref is None else opp_ref
    rows = Activity.objects.filter(customer_side(), opportunity_id=deal)
    if as_of is not None:
        rows = rows.filter(date__lte=as_of)
    return Subquery(rows.order_by("-date").values("date")[:1])


def refresh_last_activity(opp_ids: Iterable[int | None]) -> None:
    """Recompute the deals' last customer activity; the caller holds their row locks
    (kadence.pipeline.stall.lock) and has written the activity rows."""
    stall.refresh(opp_ids, stall_last_activity_on=last_customer_activity())
