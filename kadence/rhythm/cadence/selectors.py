"""Reads of the 1-15-30 cadence and of the debriefs: lists are paginated querysets through the
visibility rules, counts are SQL aggregates (one query per table read).

What the lists call (`today` given, or the local date):
- **overdue**: open, due before today (kadence.domain.cadence.is_overdue);
- **due**: open, due today or within the policy's `due_soon_days` (7: today and the six days after);
- **open**: every open item; **done**: recorded; **superseded**: closed by a later review.
Open items of a deal that is no longer open (won or lost elsewhere) are left out of due, overdue and
open, and of the reminders: closing the deal retired them (they stay in the review's history).

The functions for the other parts of the rhythm (the 1x1 pack, the effort leaderboard, the
notification service): `items_for_rep`, `on_time`, `cadence_due`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from kadence.core.models import User
from kadence.core.pagination import DEFAULT_PAGE_SIZE, Page, page_of, paginate
from kadence.core.visibility import (
    visible_cadence_items,
    visible_cadence_reviews,
    visible_debriefs,
    visible_opportunities,
)
from kadence.pipeline.models import Opportunity
from kadence.rhythm.cadence.models import CadenceItem, CadencePolicy, Debrief, Review
from kadence.rhythm.notify.sources import DueItem, Message, both_languages

STATES = ("due", "overdue", "open", "done", "superseded")
OPEN = CadenceItem.Status.OPEN
DONE = CadenceItem.Status.DONE
SUPERSEDED = CadenceItem.Status.SUPERSEDED
ITEM_RELATED = ("review__opportunity", "review__account", "rep")

# Open items whose subject is still worth the effort: an account, or a deal still open.
LIVE = Q(review__opportunity__isnull=True) | Q(review__opportunity__status=Opportunity.Status.OPEN)


def _state_q(state: str | None, today: date, policy: CadencePolicy) -> Q:
    if state == "overdue":
        return Q(status=OPEN, due_on__lt=today) & LIVE
    if state == "due":
        return (
            Q(status=OPEN, due_on__gte=today, due_on__lt=today + timedelta(days=policy.due_soon_days)) & LIVE
        )
    if state == "open":
        return Q(status=OPEN) & LIVE
    if state == "done":
        return Q(status=DONE)
    if state == "superseded":
        return Q(status=SUPERSEDED)
    return Q()


def items_list(
    user: User,
    *,
    state: str | None = None,
    rep_id: int | None = None,
    kind: str | None = None,
    review_id: int | None = None,
    today: date | None = None,
    page: Any = 1,
    page_size: Any = DEFAULT_PAGE_SIZE,
) -> Page:
    """One page of the items `user` sees (a rep their own, a manager their teams'…), filtered; open
    ones by due date, recorded ones latest first."""
    today = today or timezone.localdate()
    qs = visible_cadence_items(user).filter(_state_q(state, today, CadencePolicy.current()))
    if rep_id is not None:
        qs = qs.filter(rep_id=rep_id)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if review_id is not None:
        qs = qs.filter(review_id=review_id)
    order = ("-done_at", "-id") if state in ("done", "superseded") else ("due_on", "id")
    return paginate(qs.select_related(*ITEM_RELATED).order_by(*order), page, page_size)


@dataclass(frozen=True)
class RepCounts:
    """One rep's items: overdue, due soon, open, and recorded in the last 30 days."""

    rep_id: int
    name: str
    overdue: int
    due: int
    open: int
    done_recently: int


@dataclass(frozen=True)
class Counts:
    overdue: int
    due: int
    open: int
    done_recently: int
    page: Page  # of RepCounts, most overdue first


def counts(
    user: User, *, today: date | None = None, rep_id: int | None = None, page: Any = 1, page_size: Any = 50
) -> Counts:
    """What is due and overdue per rep for `user` (a rep: their own line; a manager: their team's
    reps; a director: their regions'), and the totals: one grouped query."""
    today = today or timezone.localdate()
    policy = CadencePolicy.current()
    qs = visible_cadence_items(user).filter(
        Q(status=OPEN) | Q(status=DONE, done_on__gte=today - timedelta(days=30))
    )
    if rep_id is not None:
        qs = qs.filter(rep_id=rep_id)
    rows = (
        qs.order_by()
        .values("rep_id", "rep__display_name", "rep__username")
        .annotate(
            overdue=Count("id", filter=_state_q("overdue", today, policy)),
            due=Count("id", filter=_state_q("due", today, policy)),
            open=Count("id", filter=_state_q("open", today, policy)),
            done_recently=Count("id", filter=Q(status=DONE)),
        )
    )
    lines = sorted(
        (
            RepCounts(
                rep_id=row["rep_id"],
                name=row["rep__display_name"] or row["rep__username"],
                overdue=row["overdue"],
                due=row["due"],
                open=row["open"],
                done_recently=row["done_recently"],
            )
            for row in rows
        ),
        key=lambda line: (-line.overdue, -line.due, line.name, line.rep_id),
    )
    return Counts(
        overdue=sum(line.overdue for line in lines),
        due=sum(line.due for line in lines),
        open=sum(line.open for line in lines),
        done_recently=sum(line.done_recently for line in lines),
        page=page_of(lines, page, max(1, min(int(page_size), 200))),
    )


def reviews_list(
    user: User,
    *,
    opportunity_id: int | None = None,
    account_id: int | None = None,
    rep_id: int | None = None,
    page: Any = 1,
    page_size: Any = DEFAULT_PAGE_SIZE,
) -> Page:
    """The reviews `user` sees, latest first, with their items (one more query per page)."""
    qs = visible_cadence_reviews(user)
    if opportunity_id is not None:
        qs = qs.filter(opportunity_id=opportunity_id)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if rep_id is not None:
        qs = qs.filter(rep_id=rep_id)
    qs = qs.select_related("opportunity", "account", "reviewer", "rep").prefetch_related("items")
    return paginate(qs.order_by("-reviewed_on", "-id"), page, page_size)


def review_items(review: Review) -> list[CadenceItem]:
    return sorted(review.items.all(), key=lambda item: (item.due_on, item.pk))


def cadence_running(*, opportunity_id: int | None, account_id: int | None) -> bool:
    """Whether the deal (else the customer) has a 1-15-30 item still open (one query)."""
    if opportunity_id:
        subject = Q(review__opportunity_id=opportunity_id)
    else:
        subject = Q(review__opportunity__isnull=True, review__account_id=account_id)
    return CadenceItem.objects.filter(subject, status=OPEN).exists()


def subject_name(item_or_review: Any) -> str:
    review = item_or_review.review if isinstance(item_or_review, CadenceItem) else item_or_review
    subject = review.opportunity if review.opportunity_id else review.account
    return subject.name if subject is not None else ""


def subject_url(review: Review) -> str:
    if review.opportunity_id:
        return reverse("opportunity_detail", args=[review.opportunity_id])
    return reverse("account_detail", args=[review.account_id])


# --- for the other parts of the rhythm ------------------------------------------------------------


@dataclass(frozen=True)
class WeekItems:
    """A rep's 1-15-30 items for one week (Monday `week_start` to Sunday): `due` the items due in the
    week (open or done, not superseded), `overdue` those still open and due before the week, `done`
    those recorded in the week (whenever due). Items of deals no longer open are left out of
    `overdue`."""

    week_start: date
    due: list[CadenceItem]
    overdue: list[CadenceItem]
    done: list[CadenceItem]


def items_for_rep(rep: User | int, week_start: date) -> WeekItems:
    """The 1x1 pack's 1-15-30 block for `rep` and the week starting `week_start` (one query)."""
    rep_id = rep if isinstance(rep, int) else rep.pk
    week_end = week_start + timedelta(days=6)
    rows = list(
        CadenceItem.objects.filter(rep_id=rep_id)
        .filter(
            (Q(due_on__range=(week_start, week_end)) & ~Q(status=SUPERSEDED))
            | (Q(status=OPEN, due_on__lt=week_start) & LIVE)
            | Q(status=DONE, done_on__range=(week_start, week_end))
        )
        .select_related(*ITEM_RELATED)
        .order_by("due_on", "id")
    )
    return WeekItems(
        week_start=week_start,
        due=[i for i in rows if week_start <= i.due_on <= week_end and i.status != SUPERSEDED],
        overdue=[i for i in rows if i.status == OPEN and i.due_on < week_start],
        done=[i for i in rows if i.status == DONE and i.done_on and week_start <= i.done_on <= week_end],
    )


def on_time(user_ids: Iterable[int], start: date, end: date) -> dict[int, tuple[int, int]]:
    """Per rep: (items due from `start` to `end` inclusive, of them done on or before their due
    date). An item superseded on or before its due date was replaced by a new review and is not
    counted; one superseded after it counts as due and missed. One grouped query; every id given
    gets a pair (0, 0 when nothing was due)."""
    ids = sorted(set(user_ids))
    result = dict.fromkeys(ids, (0, 0))
    rows = (
        CadenceItem.objects.filter(rep_id__in=ids, due_on__range=(start, end))
        .exclude(status=SUPERSEDED, done_on__lte=F("due_on"))
        .order_by()
        .values("rep_id")
        .annotate(due=Count("id"), done=Count("id", filter=Q(status=DONE, done_on__lte=F("due_on"))))
    )
    for row in rows:
        result[row["rep_id"]] = (row["due"], row["done"])
    return result


def _managers_of(team_ids: set[int]) -> dict[int, list[int]]:
    """The active managers (role manager) who manage each team directly (one query)."""
    through = User.managed_units.through
    rows = through.objects.filter(
        orgunit_id__in=sorted(team_ids), user__is_active=True, user__role=User.Role.MANAGER
    ).values_list("orgunit_id", "user_id")
    managers: dict[int, list[int]] = {}
    for team_id, user_id in rows:
        managers.setdefault(team_id, []).append(user_id)
    return managers


def cadence_due(today: date) -> Iterator[DueItem]:
    """The notification service's source of 1-15-30 items: every open item of a live subject due on
    or before `today`. Due today: the rep, key "cadence:<id>:due". Overdue: the rep and their team's
    manager(s), key "cadence:<id>:overdue" (so an item reminds once when due and once when overdue;
    the service keeps each (user, key) once). Titles are rendered in each reader's language. Two
    queries, the items streamed."""
    items = (
        CadenceItem.objects.filter(Q(status=OPEN, due_on__lte=today) & LIVE)
        .select_related("review__opportunity", "review__account")
        .only(
            "id",
            "kind",
            "rep_id",
            "team_id",
            "due_on",
            "review__opportunity__name",
            "review__account__name",
            "review__opportunity_id",
            "review__account_id",
        )
        .order_by("due_on", "id")
    )
    rows = list(items)
    managers = _managers_of({i.team_id for i in rows if i.due_on < today})
    base = reverse("rhythm_cadence")
    labels = {kind: both_languages(label) for kind, label in CadenceItem.Kind.choices}
    for item in rows:
        params = {"kind": labels[item.kind], "subject": subject_name(item)}
        if item.due_on < today:
            title = Message(gettext_noop("Overdue: %(kind)s — %(subject)s"), params)
            url = f"{base}?state=overdue#item-{item.pk}"
            key = f"cadence:{item.pk}:overdue"
            for user_id in [item.rep_id, *(m for m in managers.get(item.team_id, []) if m != item.rep_id)]:
                yield DueItem(user_id, "cadence", key, item.due_on, title, url)
        else:
            title = Message(gettext_noop("Due today: %(kind)s — %(subject)s"), params)
            url = f"{base}?state=due#item-{item.pk}"
            yield DueItem(item.rep_id, "cadence", f"cadence:{item.pk}:due", item.due_on, title, url)


# --- debriefs -------------------------------------------------------------------------------------


def debriefs_list(
    user: User,
    *,
    rep_id: int | None = None,
    kind: str | None = None,
    page: Any = 1,
    page_size: Any = DEFAULT_PAGE_SIZE,
) -> Page:
    qs = visible_debriefs(user)
    if rep_id is not None:
        qs = qs.filter(rep_id=rep_id)
    if kind is not None:
        qs = qs.filter(kind=kind)
    qs = qs.select_related("rep", "manager", "account", "opportunity").order_by("-held_on", "-id")
    return paginate(qs, page, page_size)


@dataclass(frozen=True)
class DebriefCount:
    """Debriefs and ride-alongs one manager recorded in one month (of those the reader sees)."""

    manager_id: int
    manager: str
    month: date
    debriefs: int
    ride_alongs: int


def debrief_counts(user: User, *, year: int) -> list[DebriefCount]:
    """Per manager per month of `year`: how many debrief talks and ride-alongs they recorded (one
    grouped query over the debriefs `user` sees)."""
    rows = (
        visible_debriefs(user)
        .filter(held_on__year=year)
        .annotate(month=TruncMonth("held_on"))
        .order_by()
        .values("manager_id", "manager__display_name", "manager__username", "month")
        .annotate(
            debriefs=Count("id", filter=Q(kind=Debrief.Kind.DEBRIEF)),
            ride_alongs=Count("id", filter=Q(kind=Debrief.Kind.RIDE_ALONG)),
        )
    )
    result = [
        DebriefCount(
            manager_id=row["manager_id"],
            manager=row["manager__display_name"] or row["manager__username"],
            month=row["month"] if isinstance(row["month"], date) else row["month"].date(),
            debriefs=row["debriefs"],
            ride_alongs=row["ride_alongs"],
        )
        for row in rows
    ]
    return sorted(result, key=lambda c: (c.month, c.manager, c.manager_id))


def open_deals_of_account(user: User, account_id: int) -> list[Opportunity]:
    """The open deals of an account that the user sees, by name: the deal pickers of the visit, plan item
    and debrief forms. One query, at most 100."""
    return list(
        visible_opportunities(user)
        .filter(account_id=account_id, status=Opportunity.Status.OPEN)
        .order_by("name", "id")[:100]
    )
