"""Activity reads, all through core.visibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, F, Q, QuerySet, When

from kadence.activities.models import Activity, EffectiveVisitRule, counted_results, face_to_face_kinds
from kadence.core.models import User
from kadence.core.pagination import Page, paginate
from kadence.core.visibility import access_activity, visible_activities
from kadence.domain import quotas


@dataclass
class ActivityFilters:
    kind: str = ""
    account_id: int | None = None
    opportunity_id: int | None = None
    owner_id: int | None = None
    done: bool | None = None
    date_from: date | None = None
    date_to: date | None = None


def activity_list(
    user: User,
    f: ActivityFilters | None = None,
    *,
    page: int = 1,
    page_size: int = 25,
    cursor: str | None = None,
) -> Page:
    qs = activity_rows(user, f).select_related("account", "opportunity", "owner").prefetch_related("contacts")
    return paginate(qs, page, page_size, cursor=cursor, keyset=True)


def activity_rows(user: User, f: ActivityFilters | None = None) -> QuerySet[Activity]:
    """The activities `user` may see, filtered and in the list's order (newest first)."""
    f = f or ActivityFilters()
    qs = visible_activities(user)
    for attr in ("kind", "account_id", "opportunity_id", "owner_id"):
        if getattr(f, attr):
            qs = qs.filter(**{attr: getattr(f, attr)})
    if f.done is not None:
        qs = qs.filter(done=f.done)
    if f.date_from:
        qs = qs.filter(date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(date__lte=f.date_to)
    return qs.order_by("-date", "-id")


def activity_detail(user: User, activity_id: int) -> Activity:
    return access_activity(user, activity_id)


def activities_due(user: User, today: date, *, horizon_days: int = 7, limit: int = 20) -> list[Activity]:
    """The user's own planned activities and follow-ups due by `today + horizon_days`, in the order of
    the day each is due (`due_on`: a planned activity's date, a done one's next-step date), overdue
    first. Ordering by the activity's own date put a follow-up due tomorrow of a visit made last month
    before one due today."""
    until = today + timedelta(days=horizon_days)
    qs = (
        Activity.objects.filter(owner=user)
        .filter(
            Q(done=False, date__lte=until)
            | Q(
                next_step_date__isnull=False,
                next_step_date__lte=until,
                next_step_date__gte=today - timedelta(days=30),
            )
        )
        .annotate(due_on=Case(When(done=False, then=F("date")), default=F("next_step_date")))
    )
    return list(qs.select_related("account", "opportunity").order_by("due_on", "id")[:limit])


def effective_visit_rule() -> quotas.EffectiveVisitRule:
    """The effective-visit rule in force (the first EffectiveVisitRule row; the shipped defaults when an
    admin deleted it): one query."""
    row = EffectiveVisitRule.objects.order_by("pk").values("kinds", "results").first()
    if row is None:
        return quotas.EffectiveVisitRule(frozenset(face_to_face_kinds()), frozenset(counted_results()))
    return quotas.EffectiveVisitRule(frozenset(row["kinds"] or ()), frozenset(row["results"] or ()))
