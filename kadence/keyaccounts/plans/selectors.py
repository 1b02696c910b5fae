"""Reads of the account plans: step 1's consolidated data (`account_facts`), the plan page's review
(plan vs actual per quarter), the lists, and the home page's open actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.core.models import User
from kadence.core.visibility import visible_account_plans, visible_activities, visible_opportunities
from kadence.deals.models import BuyingCentreMember
from kadence.domain.kam import plans as rules
from kadence.domain.kam import value as value_rules
from kadence.keyaccounts.plans.models import AccountPlan, PlanAction, PlanPolicy
from kadence.keyaccounts.revenue import won_revenue
from kadence.keyaccounts.value import selectors as value_selectors
from kadence.pipeline.models import Opportunity

ZERO = Decimal(0)
BUYING_ROLES = ("economic", "user_buyer", "technical", "coach")  # the four roles to penetrate (§11.7 mid)
FACT_LIMIT = 50  # rows of each list kept in the facts (and the snapshot)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _account_facts(account: Account, period: tuple[date, date]) -> dict[str, Any]:
    """The account's key-account figures for [start, end]: BP (the value part's for the period's last year:
    the year's entry, else the account's figure), our revenue this period and the one before, growth, SOW,
    the remaining opportunity (BP − revenue, not below 0) and the RAD cell of those figures under the
    configured thresholds (kadence.domain.kam.value: the rules the RAD matrix applies)."""
    start, end = period
    last_start, last_end = rules.previous_period(start, end)
    this = won_revenue([account.pk], start, end).get(account.pk, ZERO)
    last = won_revenue([account.pk], last_start, last_end).get(account.pk, ZERO)
    bp = value_selectors.buying_powers_for([account.pk], end.year).get(account.pk)
    return {
        "buying_power": _money(bp),
        "currency": account.currency,
        "revenue": _money(this),
        "revenue_last": _money(last),
        "last_start": last_start.isoformat(),
        "last_end": last_end.isoformat(),
        "growth": _rate(rules.growth(this, last)),
        "sow": _rate(rules.share_of_wallet(this, bp)),
        "remaining": _money(value_rules.remaining(this, bp)),
        "rad": value_rules.rad_cell(this, bp, value_selectors.rad_thresholds(value_selectors.policy())),
    }


def account_facts(account: Account, start: date, end: date, today: date | None = None) -> dict[str, Any]:
    """Step 1, consolidated from Kadence (everything, not only what one user sees: the plan is the
    account's): the figures of `_account_facts`, the open deals (stage, level, amount, close date), the
    win/loss count of the period and the one before (the seed's 控单 — how much of what was decided we
    won), the contacts, the buying centre of the open deals and its coverage of the four roles, the recent
    activities. JSON-ready (amounts and rates as decimal strings): the same dict is the snapshot."""
    today = today or timezone.localdate()
    policy = PlanPolicy.current()
    facts = _account_facts(account, (start, end))
    deals = list(
        Opportunity.objects.filter(account=account, status=Opportunity.Status.OPEN)
        .select_related("stage", "level", "owner")
        .order_by("expected_close_date", "id")[:FACT_LIMIT]
    )
    facts["open_deals"] = [
        {
            "id": d.pk,
            "name": d.name,
            "stage": d.stage.name,
            "level": d.level.badge,
            "probability": _rate(d.probability),
            "amount": _money(d.amount),
            "close": d.expected_close_date.isoformat(),
            "owner": d.owner.label,
        }
        for d in deals
    ]
    totals = Opportunity.objects.filter(account=account, status=Opportunity.Status.OPEN).aggregate(
        n=Count("id"), amount=Sum("amount")
    )
    facts["open_count"] = totals["n"]
    facts["open_amount"] = _money(totals["amount"] or ZERO)
    decided = Opportunity.objects.filter(
        account=account, closed_on__gte=date.fromisoformat(facts["last_start"]), closed_on__lte=end
    ).aggregate(
        won=Count("id", filter=Q(status=Opportunity.Status.WON)),
        lost=Count("id", filter=Q(status=Opportunity.Status.LOST)),
    )
    facts["won_count"], facts["lost_count"] = decided["won"], decided["lost"]
    facts["win_rate"] = _rate(rules.ratio(Decimal(decided["won"]), Decimal(decided["won"] + decided["lost"])))
    contacts = list(account.contacts.order_by("name", "id")[:FACT_LIMIT])
    facts["contacts"] = [
        {
            "id": c.pk,
            "name": c.name,
            "title": c.title,
            "roles": list(c.buying_roles or []),
            "attitude": c.attitude,  # codes: the page shows their labels in the reader's language
            "influence": c.influence,
        }
        for c in contacts
    ]
    members = list(
        BuyingCentreMember.objects.filter(opportunity__in=[d.pk for d in deals])
        .select_related("contact", "opportunity")
        .order_by("opportunity_id", "id")[:FACT_LIMIT]
    )
    facts["buying_centre"] = [
        {
            "deal": m.opportunity.name,
            "contact": m.contact.name,
            "roles": list(m.roles or []),
            "attitude": m.attitude,
            "influence": m.influence,
            "key": m.is_key,
        }
        for m in members
    ]
    covered = {r for m in members for r in (m.roles or [])} | {
        r for c in contacts for r in (c.buying_roles or [])
    }
    facts["roles_covered"] = [r for r in BUYING_ROLES if r in covered]
    facts["roles_coverage"] = _rate(
        rules.ratio(Decimal(len(facts["roles_covered"])), Decimal(len(BUYING_ROLES)))
    )
    since = today - timedelta(days=policy.recent_activity_days)
    activities = list(
        Activity.objects.filter(account=account, date__gte=since, date__lte=today)
        .select_related("owner")
        .order_by("-date", "-id")[:FACT_LIMIT]
    )
    facts["activities"] = [
        {
            "id": a.pk,
            "date": a.date.isoformat(),
            "kind": a.get_kind_display(),
            "subject": a.subject,
            "owner": a.owner.label,
            "done": a.done,
        }
        for a in activities
    ]
    facts["activities_since"] = since.isoformat()
    facts["as_of"] = today.isoformat()
    return facts


def plan_facts(plan: AccountPlan, today: date | None = None) -> tuple[dict[str, Any], bool]:
    """Step 1 of a plan: its snapshot once activated (what it was based on), else generated now.
    Returns (facts, from_snapshot)."""
    if plan.snapshot:
        return plan.snapshot, True
    return account_facts(plan.account, plan.period_start, plan.period_end, today), False


def plan_list(
    user: User, *, status: str = "", account_id: int | None = None, mine: bool = False
) -> QuerySet[Any]:
    qs = visible_account_plans(user).select_related("account", "owner")
    if status:
        qs = qs.filter(status=status)
    if account_id:
        qs = qs.filter(account_id=account_id)
    if mine:
        qs = qs.filter(owner=user)
    return qs.annotate(
        n_actions=Count("actions", filter=~Q(actions__status=PlanAction.Status.CANCELLED)),
        n_done=Count("actions", filter=Q(actions__status=PlanAction.Status.DONE)),
    ).order_by("-period_start", "-id")


def quarter_actuals(plan: AccountPlan) -> dict[str, Decimal]:
    """Our won revenue from the plan's account in each of its quarters (revenue.won_revenue)."""
    out: dict[str, Decimal] = {}
    for q in plan.quarters.all():
        out[q.key] = won_revenue([plan.account_id], q.start, q.end).get(plan.account_id, ZERO)
    return out


def plan_review(plan: AccountPlan, today: date | None = None) -> rules.PlanReview:
    """Step 5: plan vs actual per quarter."""
    today = today or timezone.localdate()
    stored = list(plan.quarters.all())
    quarters = [rules.Quarter(q.year, q.number, q.start, q.end) for q in stored]
    expected = {q.key: q.expected_revenue for q in stored}
    actions = [rules.ActionFact(a.status, a.due_on, a.done_on) for a in plan.actions.all()]
    return rules.plan_vs_actual(quarters, expected, quarter_actuals(plan), actions, today)


def review_figure(review: rules.PlanReview, labels: dict[str, str]) -> dict[str, Any]:
    """The Plotly figure of plan vs actual: expected and won revenue per quarter."""
    x = [r.quarter.label for r in review.quarters]
    return {
        "data": [
            {
                "type": "bar",
                "name": labels["expected"],
                "x": x,
                "y": [float(r.expected) for r in review.quarters],
            },
            {
                "type": "bar",
                "name": labels["actual"],
                "x": x,
                "y": [float(r.actual) for r in review.quarters],
            },
        ],
        "layout": {"barmode": "group", "height": 300, "yaxis": {"tickformat": ",.0f"}},
    }


@dataclass
class ActionRow:
    action: PlanAction
    state: str


def action_rows(plan: AccountPlan, today: date, soon_days: int) -> list[ActionRow]:
    actions = plan.actions.select_related("owner", "opportunity").prefetch_related("activities")
    return [ActionRow(a, rules.action_state(a.status, a.due_on, today, soon_days)) for a in actions]


def home_actions(user: User, today: date) -> tuple[PlanPolicy, list[ActionRow]] | None:
    """The open actions `user` owns, overdue or due within the policy's days, of plans not closed:
    two queries whatever the data (the policy, the actions with their plan and account)."""
    policy = PlanPolicy.current()
    horizon = today + timedelta(days=policy.due_soon_days)
    found = list(
        PlanAction.objects.filter(owner=user, status=PlanAction.Status.OPEN, due_on__lte=horizon)
        .exclude(plan__status=AccountPlan.Status.CLOSED)
        .select_related("plan", "plan__account")
        .order_by("due_on", "id")[: policy.home_limit]
    )
    if not found:
        return None
    return policy, [
        ActionRow(a, rules.action_state(a.status, a.due_on, today, policy.due_soon_days)) for a in found
    ]


def attachable_activities(user: User, plan: AccountPlan) -> QuerySet[Any]:
    """Activities logged against the plan's account that `user` sees, newest first (to attach to an action)."""
    return visible_activities(user).filter(account_id=plan.account_id).order_by("-date", "-id")


def account_deals(user: User, plan: AccountPlan) -> QuerySet[Any]:
    """The account's deals `user` sees (to link an action to)."""
    return visible_opportunities(user).filter(account_id=plan.account_id).order_by("-id")
