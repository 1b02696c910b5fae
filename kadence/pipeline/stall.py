"""The deal's stall summary: the facts the stalled deals report (kadence.insights.selectors.stalled)
needs per open deal, kept on the Opportunity row (its `stall_*` columns) so that the report reads one
row per deal instead of probing three other tables for each.

| column                   | what it holds (over all the deal's rows, whatever their date)           | kept by |
|--------------------------|--------------------------------------------------------------------------|---------|
| stall_last_activity_on   | date of the last done customer-side activity (not e-mail)                | the activity services, the activity admin |
| stall_next_step_on / _at | date and recording time of the latest dated next step (StallAction)      | insights.services.stall.stall_act |
| stall_close_pushes       | how many changes of the expected close date moved it later (AuditEntry)  | pipeline.services.opportunity_update |

The day the deal entered its stage and the day it was created are already columns of the deal.

Each writer, in its own transaction, holds the deal's row lock (`lock`, or access_opportunity(...,
lock=True)) and then recomputes the fact it touched from the raw rows with one UPDATE (`refresh`),
so two writers to one deal are serialised and the last one to commit sees every row: the summary is
exact, not incremented. The summary changes neither the deal's `version` nor its `updated_at` (a
logged visit does not make an open edit form stale).

Each fact's raw rows live in the app above pipeline that owns them; the definition of those rows is
written once there (kadence.activities.models.customer_side, kadence.insights.selectors.stalled
.next_steps) and handed in here as a subquery. The pushes are pipeline's own (`close_date_pushes`).

Bulk loads (kadence.demo) and existing databases (migration insights 0001) fill the summary with
set-based SQL (kadence.insights.services.stall_summary.rebuild); `kadence stall_summary --check`
recomputes it and lists the deals whose stored facts differ.

The facts hold for every row, including activities dated in the future and rows recorded after a
past `as_of`; the report uses a stored fact for `as_of` only when it is on or before `as_of` and asks
the raw rows for just that deal otherwise, so it is exact for any `as_of`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from kadence.core.models import AuditEntry
from kadence.pipeline.expressions import close_date_pushed
from kadence.pipeline.models import Opportunity

CLOSE_DATE_ENTITY = ("pipeline.opportunity", "expected_close_date")
FACTS = ("stall_last_activity_on", "stall_next_step_on", "stall_next_step_at", "stall_close_pushes")


def close_date_pushes(opp_ref: Any = None, audit: type[AuditEntry] | None = None) -> QuerySet:
    """The AuditEntry rows that record a push of a deal's expected close date (a change that moved it
    later, kadence.domain.stall.is_close_date_push): of the deal `opp_ref` (an OuterRef, an id) when
    given. `audit` is a migration's historical model."""
    entity, field = CLOSE_DATE_ENTITY
    rows = (audit or AuditEntry).objects.filter(close_date_pushed(), entity=entity, field=field)
    return rows.filter(entity_id=opp_ref) if opp_ref is not None else rows


def push_count(opp_ref: Any = None) -> Coalesce:
    """The number of pushes of the deal `opp_ref` (OuterRef("pk") by default), as an expression."""
    rows = (
        close_date_pushes(OuterRef("pk") if opp_ref is None else opp_ref)
        .order_by()
        .values("entity_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), Value(0))


def lock(opp_ids: Iterable[int | None]) -> list[int]:
    """Take the row locks of the deals (SELECT … FOR NO KEY UPDATE, in id order, so two writers
    cannot deadlock), as access_opportunity(..., lock=True) does; returns the ids that exist. Use
    it inside the writer's transaction, before writing the rows a fact is computed from."""
    ids = sorted({int(pk) for pk in opp_ids if pk is not None})
    if not ids:
        return []
    return list(
        Opportunity.objects.filter(pk__in=ids)
        .select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def refresh(opp_ids: Iterable[int | None], **facts: Any) -> None:
    """Recompute the given facts (column name → an expression over the deal, OuterRef("pk") naming
    it) of the deals, from their raw rows, in one UPDATE. The caller holds the deals' row locks."""
    unknown = set(facts) - set(FACTS)
    if unknown:
        raise ValueError(f"not a stall summary column: {sorted(unknown)}")
    ids = sorted({int(pk) for pk in opp_ids if pk is not None})
    if ids and facts:
        Opportunity.objects.filter(pk__in=ids).update(**facts)


def refresh_close_pushes(opp_id: int) -> None:
    """After a change of the deal's close date was audited: recount its pushes."""
    refresh([opp_id], stall_close_pushes=push_count())
