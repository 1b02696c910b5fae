"""Weekly plan reads: one rep's week (plan vs actual), a plan with its comments, a manager's team for a
week, the lists of the API, and what other parts of the rhythm read (the 1x1 pack's plan vs actual, the
effort leaderboard's plans kept, the notifications' planned items not yet done). Each reads a fixed
number of queries, whatever the number of items or activities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.core.errors import NotFound
from kadence.core.models import OrgUnit, User
from kadence.core.pagination import Page, paginate
from kadence.core.visibility import (
    access_account,
    access_activity,
    access_weekly_plan,
    can_comment_weekly_plan,
    can_edit_weekly_plan,
    in_scope,
    plan_people,
    visible_accounts,
    visible_weekly_plans,
)
from kadence.domain import plans as rule
from kadence.rhythm.cadence.selectors import open_deals_of_account
from kadence.rhythm.notify.sources import DueItem, Message, both_languages
from kadence.rhythm.plans.models import PlanComment, PlanItem, VisitAttachment, WeeklyPlan


@dataclass
class ItemRow:
    item: PlanItem
    activity: Activity | None = None  # the activity that kept it
    due: bool = True  # its day has come (a missed item of a later day is "not yet")


@dataclass
class PlanWeek:
    """One rep's week: the plan (None when there is none), its items kept and missed, and the done
    activities that no item planned."""

    rep: User
    week_start: date
    plan: WeeklyPlan | None
    kept: list[ItemRow] = field(default_factory=list)
    missed: list[ItemRow] = field(default_factory=list)
    unplanned: list[Activity] = field(default_factory=list)
    attachments: dict[int, list[VisitAttachment]] = field(default_factory=dict)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def planned(self) -> int:
        return len(self.kept) + len(self.missed)

    @property
    def kept_count(self) -> int:
        return len(self.kept)

    @property
    def done(self) -> int:
        return len(self.kept) + len(self.unplanned)

    @property
    def kept_rate(self) -> float | None:
        return round(len(self.kept) / self.planned, 4) if self.planned else None

    @property
    def kept_percent(self) -> int | None:
        rate = self.kept_rate
        return None if rate is None else round(rate * 100)

    @property
    def items(self) -> list[ItemRow]:
        return sorted(self.kept + self.missed, key=lambda r: (r.item.day, r.item.pk))


def _items(plan_ids: Iterable[int]) -> QuerySet[PlanItem]:
    return (
        PlanItem.objects.filter(plan_id__in=list(plan_ids))
        .select_related("account", "opportunity")
        .prefetch_related("contacts")
        .order_by("day", "id")
    )


def _done(owner_ids: Iterable[int], first: date, last: date) -> QuerySet[Activity]:
    return Activity.objects.filter(
        owner_id__in=list(owner_ids), done=True, date__range=(first, last)
    ).order_by("date", "id")


def _planned(item: PlanItem) -> rule.Planned:
    return rule.Planned(item.pk, item.kind, item.account_id, item.day, item.fulfilled_by_id)


def _done_row(activity: Any) -> rule.Done:
    return rule.Done(activity.pk, activity.kind, activity.account_id, activity.date)


def week_of(rep: User, week_start: date, plan: WeeklyPlan | None, *, today: date | None = None) -> PlanWeek:
    """Plan vs actual of `rep` for the week starting `week_start` (four queries: the items, their
    contacts, the activities, their attachments; the plan is given)."""
    today = today or timezone.localdate()
    first, last = rule.week_days(week_start)
    items = list(_items([plan.pk])) if plan is not None else []
    activities = list(_done([rep.pk], first, last).select_related("account", "opportunity"))
    result = rule.match(map(_planned, items), map(_done_row, activities))
    by_id = {a.pk: a for a in activities}
    week = PlanWeek(rep=rep, week_start=week_start, plan=plan)
    for item in items:
        if item.pk in result.kept:
            week.kept.append(ItemRow(item, by_id[result.kept[item.pk]]))
        else:
            week.missed.append(ItemRow(item, None, item.day < today))
    week.unplanned = [by_id[i] for i in result.unplanned]
    for activity in activities:
        activity.visit_files = []  # type: ignore[attr-defined]  # the page shows them with it
    if activities:
        for attachment in VisitAttachment.objects.filter(activity_id__in=list(by_id)):
            week.attachments.setdefault(attachment.activity_id, []).append(attachment)
            by_id[attachment.activity_id].visit_files.append(attachment)  # type: ignore[attr-defined]
    return week


def plan_vs_actual(rep: User, week_start: date, *, today: date | None = None) -> PlanWeek:
    """Plan vs actual of `rep` for the week of `week_start` (any day of it): planned and done, planned
    not done, unplanned done, with the counts and the kept rate. For the 1x1 pack; the caller has
    checked that the reader may see `rep`."""
    start = rule.week_start(week_start)
    plan = WeeklyPlan.objects.filter(owner=rep, week_start=start).first()
    return week_of(rep, start, plan, today=today)


def my_week(user: User, day: date | None = None) -> tuple[PlanWeek, WeeklyPlan | None]:
    """The rep's page: this week's plan vs actual, and next week's plan (None when not opened yet)."""
    today = day or timezone.localdate()
    start = rule.week_start(today)
    plans = {
        p.week_start: p
        for p in WeeklyPlan.objects.filter(owner=user, week_start__in=[start, start + timedelta(weeks=1)])
    }
    return week_of(user, start, plans.get(start), today=today), plans.get(start + timedelta(weeks=1))


@dataclass
class PlanDetail:
    plan: WeeklyPlan
    week: PlanWeek
    comments: list[PlanComment]
    can_edit: bool
    can_comment: bool


def plan_detail(user: User, plan_id: int, *, today: date | None = None) -> PlanDetail:
    plan = access_weekly_plan(user, plan_id, related=["owner", "team"])
    comments = list(plan.comments.select_related("author"))
    return PlanDetail(
        plan=plan,
        week=week_of(plan.owner, plan.week_start, plan, today=today),
        comments=comments,
        can_edit=can_edit_weekly_plan(user, plan),
        can_comment=can_comment_weekly_plan(user, plan),
    )


def plan_list(
    user: User,
    *,
    week_start: date | None = None,
    owner_id: int | None = None,
    page: int | str | None = 1,
    page_size: int | str | None = 25,
) -> Page:
    """The plans `user` may see (newest week first), with their item counts."""
    qs = visible_weekly_plans(user).select_related("owner", "team").annotate(item_count=Count("items"))
    if week_start is not None:
        qs = qs.filter(week_start=rule.week_start(week_start))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return paginate(qs.order_by("-week_start", "owner_id", "id"), page, page_size)


# --- a manager's team --------------------------------------------------------------------------------


@dataclass
class TeamRow:
    rep: User
    plan: WeeklyPlan | None
    planned: int = 0
    kept: int = 0
    unplanned: int = 0
    comments: list[PlanComment] = field(default_factory=list)

    @property
    def kept_percent(self) -> int | None:
        return round(self.kept * 100 / self.planned) if self.planned else None


def team_week(
    user: User,
    week_start: date,
    *,
    unit_id: int | None = None,
    page: int | str | None = 1,
    page_size: int = 50,
) -> Page:
    """The sellers `user` reviews (of `unit_id`, a unit of theirs, when given) with their plans for the
    week, the counts of plan vs actual and the comments: five queries for a page, whatever its size."""
    start = rule.week_start(week_start)
    first, last = rule.week_days(start)
    people = plan_people(user).select_related("org_unit")
    if unit_id is not None:
        if not in_scope(user, unit_id):
            raise NotFound(_unknown_unit())
        people = people.filter(Q(org_unit_id=unit_id) | Q(org_unit__path__startswith=_unit_path(unit_id)))
    result = paginate(people.order_by("org_unit__path", "display_name", "username", "id"), page, page_size)
    reps = {r.pk: r for r in result.items}
    plans = {p.owner_id: p for p in WeeklyPlan.objects.filter(owner_id__in=list(reps), week_start=start)}
    items: dict[int, list[rule.Planned]] = defaultdict(list)
    for row in PlanItem.objects.filter(plan_id__in=[p.pk for p in plans.values()]).values(
        "id", "kind", "account_id", "day", "fulfilled_by_id", "plan__owner_id"
    ):
        items[row["plan__owner_id"]].append(
            rule.Planned(row["id"], row["kind"], row["account_id"], row["day"], row["fulfilled_by_id"])
        )
    done: dict[int, list[rule.Done]] = defaultdict(list)
    for act in _done(reps, first, last).values("id", "kind", "account_id", "date", "owner_id"):
        done[act["owner_id"]].append(rule.Done(act["id"], act["kind"], act["account_id"], act["date"]))
    comments: dict[int, list[PlanComment]] = defaultdict(list)
    for comment in PlanComment.objects.filter(plan_id__in=[p.pk for p in plans.values()]).select_related(
        "author"
    ):
        comments[comment.plan_id].append(comment)
    rows = []
    for rep_id, rep in reps.items():
        plan = plans.get(rep_id)
        match = rule.match(items[rep_id], done[rep_id])
        rows.append(
            TeamRow(
                rep=rep,
                plan=plan,
                planned=match.planned,
                kept=match.kept_count,
                unplanned=len(match.unplanned),
                comments=comments[plan.pk] if plan else [],
            )
        )
    result.items = rows
    return result


def _unknown_unit() -> str:
    return _("Unknown unit.")


def _unit_path(unit_id: int) -> str:
    return OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or "\x00"


# --- for other parts of the rhythm -------------------------------------------------------------------


def _matches(user_ids: Iterable[int], first: date, last: date) -> dict[int, rule.PlanVsActual]:
    """Plan vs actual per (user, week) for the items dated first..last, keyed by user: merged over the
    weeks. Two queries."""
    ids = list(user_ids)
    items: dict[tuple[int, date], list[rule.Planned]] = defaultdict(list)
    for row in PlanItem.objects.filter(plan__owner_id__in=ids, day__range=(first, last)).values(
        "id", "kind", "account_id", "day", "fulfilled_by_id", "plan__owner_id", "plan__week_start"
    ):
        items[(row["plan__owner_id"], row["plan__week_start"])].append(
            rule.Planned(row["id"], row["kind"], row["account_id"], row["day"], row["fulfilled_by_id"])
        )
    done: dict[tuple[int, date], list[rule.Done]] = defaultdict(list)
    if items:
        span_first, span_last = rule.week_start(first), rule.week_start(last) + timedelta(days=6)
        for act in _done(ids, span_first, span_last).values("id", "kind", "account_id", "date", "owner_id"):
            done[(act["owner_id"], rule.week_start(act["date"]))].append(
                rule.Done(act["id"], act["kind"], act["account_id"], act["date"])
            )
    merged: dict[int, rule.PlanVsActual] = {}
    for key, planned in items.items():
        result = rule.match(planned, done.get(key, []))
        total = merged.setdefault(key[0], rule.PlanVsActual())
        total.kept.update(result.kept)
        total.missed.extend(result.missed)
    return merged


def plans_kept(user_ids: Iterable[int], start: date, end: date) -> dict[int, tuple[int, int]]:
    """{user id: (items planned, items kept)} for the plan items dated start..end (an item is kept by a
    done activity of its week, by the plan-vs-actual rule). Users without items are left out. For the
    effort leaderboard; two queries."""
    return {uid: (m.planned, m.kept_count) for uid, m in _matches(user_ids, start, end).items()}


def planned_due(today: date) -> Iterator[DueItem]:
    """Planned items not yet done, for the notification service: every item of a plan dated from this
    week's Monday to a week after `today` that no done activity keeps yet, as (user id, key, due date,
    title, url). The key is stable for an item and its date (a moved item is a new reminder). Three
    queries."""
    first, last = rule.week_start(today), today + timedelta(days=7)
    rows = list(
        PlanItem.objects.filter(day__range=(first, last)).values(
            "id",
            "kind",
            "account_id",
            "day",
            "fulfilled_by_id",
            "plan_id",
            "plan__owner_id",
            "plan__week_start",
        )
    )
    if not rows:
        return
    owners = {r["plan__owner_id"] for r in rows}
    items: dict[tuple[int, date], list[rule.Planned]] = defaultdict(list)
    for r in rows:
        items[(r["plan__owner_id"], r["plan__week_start"])].append(
            rule.Planned(r["id"], r["kind"], r["account_id"], r["day"], r["fulfilled_by_id"])
        )
    done: dict[tuple[int, date], list[rule.Done]] = defaultdict(list)
    for a in _done(owners, first, rule.week_start(last) + timedelta(days=6)).values(
        "id", "kind", "account_id", "date", "owner_id"
    ):
        done[(a["owner_id"], rule.week_start(a["date"]))].append(
            rule.Done(a["id"], a["kind"], a["account_id"], a["date"])
        )
    kept: set[int] = set()
    for key, planned in items.items():
        kept.update(rule.match(planned, done.get(key, [])).kept)
    names = dict(Account.objects.filter(pk__in={r["account_id"] for r in rows}).values_list("pk", "name"))
    kinds = {kind: both_languages(label) for kind, label in Activity.Kind.choices}
    for r in rows:
        if r["id"] in kept:
            continue
        title = Message(
            gettext_noop("Planned: %(kind)s — %(account)s"),
            {"kind": kinds[r["kind"]], "account": names.get(r["account_id"], "")},
        )
        yield DueItem(
            r["plan__owner_id"],
            "plan_item",
            f"plan-item:{r['id']}:{r['day'].isoformat()}",
            r["day"],
            title,
            reverse("rhythm_plan_detail", args=[r["plan_id"]]),
        )


# --- the quick visit log ------------------------------------------------------------------------------


def log_accounts(user: User, q: str = "", *, limit: int = 30) -> list[Account]:
    """Accounts to pick for a visit: the ones the user logged activities at most recently first, then
    their own accounts by name; with `q`, the visible accounts whose name holds it. Two queries."""
    visible = visible_accounts(user)
    if q:
        return list(visible.filter(name__icontains=q).order_by("name", "id")[:limit])
    recent = list(
        Activity.objects.filter(owner=user, date__gte=timezone.localdate() - timedelta(days=90))
        .values("account_id")
        .annotate(last=Max("date"))
        .order_by("-last", "account_id")[:10]
    )
    recent_ids = [r["account_id"] for r in recent]
    rows = list(
        visible.filter(Q(pk__in=recent_ids) | Q(owner=user)).order_by("name", "id")[: limit + len(recent_ids)]
    )
    order = {pk: i for i, pk in enumerate(recent_ids)}
    rows.sort(key=lambda a: (order.get(a.pk, len(order)), a.name))
    return rows[:limit]


def account_context(user: User, account_id: int) -> tuple[Account, list[Any], list[Any]]:
    """An account the user sees with its contacts and its open deals the user sees (for the visit
    form's second step). Three queries."""
    account = access_account(user, account_id)
    contacts = list(account.contacts.order_by("name", "id")[:200])
    return account, contacts, open_deals_of_account(user, account.pk)


def activity_attachments(user: User, activity_id: int) -> list[VisitAttachment]:
    access_activity(user, activity_id)
    return list(VisitAttachment.objects.filter(activity_id=activity_id))
