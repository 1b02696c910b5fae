"""The sources of notifications: each says, for a day, what is due for whom.

A source is a function `(today) -> iterable of DueItem`, registered under the kind of item it yields:

    from kadence.rhythm.notify.sources import register
    register("cadence", cadence_items_due)

Every source here is set-based: a fixed number of queries over all users (no query per user), reading
only the rows that can be due (open deals, dates in the window). The window is KADENCE_NOTIFY_AHEAD_DAYS
ahead (so the calendar feed shows what is coming) and, for dated rows that are never closed (next
steps, planned activities), KADENCE_NOTIFY_BEHIND_DAYS back.

A DueItem's `title` is a `Message`: the English text with %(name)s placeholders (marked with
gettext_noop so that it is translated) and its params; it is rendered in the reader's language when
shown (page, e-mail, calendar). A param may carry both languages as {"zh": …, "en": …} (names of
stages and tasks)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from kadence.activities.models import Activity
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import LEAD_ROLES, SELLER_ROLES, Scope
from kadence.deals.models import ControlPolicy, Expense, ExpenseBudget, GateApproval, OpportunityTask
from kadence.deals.selectors.expenses import thresholds
from kadence.domain.periods import period_containing
from kadence.insights.selectors.stalled import stall_policy, stalled_ids
from kadence.pipeline.expressions import EPOCH
from kadence.pipeline.models import ExitCriterion, Opportunity
from kadence.planning.models import ForecastSubmission

log = logging.getLogger(__name__)

CHUNK = 2000  # ids per IN (...) list


@dataclass(frozen=True)
class Message:
    """A text to translate when shown (`text` marked with gettext_noop) and its params."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)


def both_languages(label: Any) -> dict[str, str]:
    """A (lazy) label in both languages: a Message param its reader sees in their own."""
    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return {"zh": zh, "en": en}


@dataclass(frozen=True)
class DueItem:
    """Something due for one user. `key` names it across runs (the same item keeps its key whatever
    its due date); `url` is a path inside Kadence."""

    user_id: int
    kind: str
    key: str
    due_date: date
    title: Message
    url: str


Source = Callable[[date], Iterable[DueItem]]
_sources: dict[str, Source] = {}


def register(kind: str, source: Source) -> Source:
    """Add (or replace) the source of items of `kind`; returns the source (usable as a decorator
    factory's result). Items a source yields must carry this kind."""
    _sources[kind] = source
    return source


def sources() -> dict[str, Source]:
    return dict(_sources)


def ahead(today: date) -> date:
    return today + timedelta(days=int(getattr(settings, "KADENCE_NOTIFY_AHEAD_DAYS", 7)))


def behind(today: date) -> date:
    return today - timedelta(days=int(getattr(settings, "KADENCE_NOTIFY_BEHIND_DAYS", 60)))


def _path(name: str) -> Callable[[int], str]:
    """reverse() of a URL taking one id, once: the path for any id."""
    marker = 987654321
    pattern = reverse(name, args=[marker])
    return lambda pk: pattern.replace(str(marker), str(pk))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# --- activities: next steps and planned activities ----------------------------------------------------


def next_steps_due(today: date) -> Iterator[DueItem]:
    """The next step of an activity (its `next_step_date`), for the activity's owner, until a later
    done activity on the same deal (or, without a deal, the same account) follows it up."""
    edit = _path("activity_edit")
    later = Activity.objects.filter(done=True, date__gt=OuterRef("date"))
    rows = Activity.objects.filter(
        next_step_date__gte=behind(today), next_step_date__lte=ahead(today), owner__is_active=True
    )
    followed = (
        Q(opportunity__isnull=False) & Exists(later.filter(opportunity_id=OuterRef("opportunity_id")))
    ) | (Q(opportunity__isnull=True) & Exists(later.filter(account_id=OuterRef("account_id"))))
    for row in (
        rows.exclude(followed)
        .order_by()
        .values_list("pk", "owner_id", "next_step_date", "next_step", "subject", "account__name")
        .iterator(chunk_size=CHUNK)
    ):
        pk, owner, due, step, subject, account = row
        yield DueItem(
            owner,
            "next_step",
            f"next_step:{pk}",
            due or today,
            Message(
                gettext_noop("Next step: %(step)s (%(account)s)"),
                {"step": step or subject, "account": account},
            ),
            edit(pk),
        )


def planned_activities_due(today: date) -> Iterator[DueItem]:
    """A planned activity (not done yet), for its owner, on its date."""
    edit = _path("activity_edit")
    rows = Activity.objects.filter(
        done=False, date__gte=behind(today), date__lte=ahead(today), owner__is_active=True
    )
    for pk, owner, day, subject, account in (
        rows.order_by()
        .values_list("pk", "owner_id", "date", "subject", "account__name")
        .iterator(chunk_size=CHUNK)
    ):
        yield DueItem(
            owner,
            "planned_activity",
            f"planned:{pk}",
            day,
            Message(
                gettext_noop("Planned: %(subject)s (%(account)s)"), {"subject": subject, "account": account}
            ),
            edit(pk),
        )


# --- deals: stage tasks, gate approvals, stalled deals, expenses ------------------------------------------


def stage_tasks_due(today: date) -> Iterator[DueItem]:
    """A deal task not done, on an open deal, for its assignee, due by the window's end (through the
    task_assignee_open index)."""
    detail = _path("opportunity_detail")
    rows = OpportunityTask.objects.filter(
        assignee__isnull=False,
        assignee__is_active=True,
        done_at__isnull=True,
        due_on__isnull=False,
        due_on__lte=ahead(today),
        opportunity__status=Opportunity.Status.OPEN,
    )
    for pk, user, due, name_zh, name_en, opp, deal in (
        rows.order_by()
        .values_list(
            "pk", "assignee_id", "due_on", "name_zh", "name_en", "opportunity_id", "opportunity__name"
        )
        .iterator(chunk_size=CHUNK)
    ):
        yield DueItem(
            user,
            "stage_task",
            f"task:{pk}",
            due or today,
            Message(
                gettext_noop("Task: %(task)s — %(deal)s"),
                {"task": {"zh": name_zh, "en": name_en}, "deal": deal},
            ),
            detail(opp),
        )


def _approvers() -> tuple[dict[int, list[str]], dict[int, str]]:
    """The managers (and, for units no manager covers, the directors) who may approve, by the root
    paths of their reach: {user id: [paths]}, and every unit's path. Three queries."""
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    roots: dict[int, list[str]] = defaultdict(list)
    leads = User.objects.filter(is_active=True, role__in=LEAD_ROLES)
    for user_id, unit_id in leads.filter(managed_units__isnull=False).values_list("pk", "managed_units"):
        roots[user_id].append(paths[unit_id])
    for user_id, unit_id in leads.filter(managed_units__isnull=True, org_unit__isnull=False).values_list(
        "pk", "org_unit_id"
    ):
        roots.setdefault(user_id, []).append(paths[unit_id])
    return dict(roots), paths


def gates_awaiting_approval(today: date) -> Iterator[DueItem]:
    """An approval exit criterion of an open deal's current stage with no live approval, for the
    managers whose units hold the deal's team (directors when no manager does), never the deal's owner
    (kadence.core.visibility.can_approve_for_opportunity). Due on the day the deal entered its stage."""
    detail = _path("opportunity_detail")
    criteria: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for crit, stage, name_zh, name_en in ExitCriterion.objects.filter(
        kind=ExitCriterion.Kind.APPROVAL, is_active=True
    ).values_list("pk", "stage_id", "name_zh", "name_en"):
        criteria[stage].append((crit, name_zh, name_en))
    if not criteria:
        return
    approved = set(
        GateApproval.objects.filter(
            criterion_id__in=[c[0] for rows in criteria.values() for c in rows], revoked_at__isnull=True
        ).values_list("opportunity_id", "criterion_id")
    )
    tz = timezone.get_current_timezone()
    deals = (
        Opportunity.objects.filter(status=Opportunity.Status.OPEN, stage_id__in=sorted(criteria))
        .annotate(entered=TruncDate("stage_entered_at", tzinfo=tz))
        .order_by()
        .values_list("pk", "stage_id", "team_id", "owner_id", "name", "entered")
    )
    pending = [
        (crit, name_zh, name_en, opp, team, owner, deal, entered)
        for opp, stage, team, owner, deal, entered in deals.iterator(chunk_size=CHUNK)
        for crit, name_zh, name_en in criteria[stage]
        if (opp, crit) not in approved
    ]
    if not pending:
        return
    roots, paths = _approvers()
    roles = dict(User.objects.filter(pk__in=list(roots)).values_list("pk", "role"))
    approvers_of: dict[int, list[int]] = {}  # per team (a few hundred), not per deal
    for crit, name_zh, name_en, opp, team, owner, deal, entered in pending:
        if team not in approvers_of:
            team_path = paths.get(team, "")
            covering = [
                uid for uid, prefixes in roots.items() if any(team_path.startswith(p) for p in prefixes)
            ]
            managers = [uid for uid in covering if roles.get(uid) == User.Role.MANAGER]
            approvers_of[team] = managers or covering
        for uid in approvers_of[team]:
            if uid == owner:
                continue
            yield DueItem(
                uid,
                "gate_approval",
                f"gate:{opp}:{crit}",
                entered or today,
                Message(
                    gettext_noop("Approval waiting: %(criterion)s — %(deal)s"),
                    {"criterion": {"zh": name_zh, "en": name_en}, "deal": deal},
                ),
                detail(opp),
            )


def stalled_deals(today: date) -> Iterator[DueItem]:
    """A stalled open deal (the stalled deals report's rules, kadence.insights.selectors.stalled, over the
    whole company in one statement), for its owner, due on the first day it was stalled."""
    detail = _path("opportunity_detail")
    _totals, found = stalled_ids(
        Scope(), stall_policy(), today, reason=None, sort="-days_stalled", limit=None
    )
    since = dict(found)
    ids = sorted(since)
    for part in _chunks(ids):
        for pk, owner, name in Opportunity.objects.filter(pk__in=part, owner__is_active=True).values_list(
            "pk", "owner_id", "name"
        ):
            yield DueItem(
                owner,
                "stalled_deal",
                f"stalled:{pk}",
                EPOCH + timedelta(days=int(since[pk])),
                Message(gettext_noop("Stalled deal: %(deal)s"), {"deal": name}),
                detail(pk),
            )


def expense_warnings(today: date) -> Iterator[DueItem]:
    """An open deal whose spend reached the policy's warning of its total budget, or was spent without
    a budget (kadence.deals.selectors.expenses.expense_alerts, over all deals in one grouped query), for
    its owner, due on the day of its latest expense."""
    detail = _path("opportunity_detail")
    limits = thresholds(ControlPolicy.current())
    budget = (
        ExpenseBudget.objects.filter(opportunity_id=OuterRef("opportunity_id"))
        .order_by()
        .values("opportunity_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    rows = (
        Expense.objects.filter(
            opportunity__status=Opportunity.Status.OPEN, opportunity__owner__is_active=True
        )
        .order_by()
        .values("opportunity_id", "opportunity__owner_id", "opportunity__name")
        .annotate(
            spent=Sum("amount"),
            budget=Coalesce(Subquery(budget), Value(0), output_field=Expense._meta.get_field("amount")),
        )
        .annotate(spent_x100=F("spent") * 100, last=Max("spent_on"))
        .filter(Q(budget__lte=0) | Q(spent_x100__gte=F("budget") * limits.warn_pct))
    )
    for row in rows.iterator(chunk_size=CHUNK):
        over = row["budget"] <= 0 or row["spent"] * 100 >= row["budget"] * limits.limit_pct
        yield DueItem(
            row["opportunity__owner_id"],
            "expense_warning",
            f"expense:{row['opportunity_id']}:{'over' if over else 'warn'}",
            row["last"] or today,
            Message(
                gettext_noop("Expenses over budget: %(deal)s")
                if over
                else gettext_noop("Expenses near the budget: %(deal)s"),
                {"deal": row["opportunity__name"]},
            ),
            detail(row["opportunity_id"]),
        )


# --- planning: forecasts not submitted ------------------------------------------------------------------


def forecasts_not_submitted(today: date) -> Iterator[DueItem]:
    """A seller placed in a team who has not submitted a forecast for the current quarter, due on the
    quarter's first day."""
    period = period_containing("quarter", today)
    submitted = ForecastSubmission.objects.filter(
        user_id=OuterRef("pk"),
        kind=ForecastSubmission.Kind.SUBMISSION,
        period_kind="quarter",
        period_start=period.start,
    )
    url = reverse("forecast_submit")
    for pk in (
        User.objects.filter(is_active=True, role__in=SELLER_ROLES, org_unit__isnull=False)
        .exclude(Exists(submitted))
        .values_list("pk", flat=True)
    ):
        yield DueItem(
            pk,
            "forecast",
            f"forecast:quarter:{period.start.isoformat()}",
            period.start,
            Message(gettext_noop("Submit your forecast for %(period)s"), {"period": period.label}),
            url,
        )


register("next_step", next_steps_due)
register("planned_activity", planned_activities_due)
register("stage_task", stage_tasks_due)
register("gate_approval", gates_awaiting_approval)
register("stalled_deal", stalled_deals)
register("expense_warning", expense_warnings)
register("forecast", forecasts_not_submitted)
