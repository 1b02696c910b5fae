"""Writes of the account plans. Each is atomic, reads the plan's row under its lock first
(access_account_plan(lock=True)), checks the rules of kadence.core.visibility (write: the account's
owner, managers over it, admins; an action's owner may update that action), refuses a stale `version`
with 409 (kadence.core.concurrency), and records what changed in the audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date, clean_money, clean_text, whole_number
from kadence.core.visibility import (
    access_account,
    access_account_plan,
    access_activity,
    can_configure_account_plans,
    can_update_plan_action,
    can_write_account_plan,
    may_own_plan_action,
    visible_opportunities,
)
from kadence.domain.kam import plans as rules
from kadence.keyaccounts.plans.models import AccountPlan, PlanAction, PlanPolicy, PlanQuarter
from kadence.keyaccounts.plans.selectors import account_facts

PLAN = "keyaccounts.accountplan"
ACTION = "keyaccounts.planaction"
QUARTER = "keyaccounts.planquarter"
LONG_TEXT = (
    "strengths",
    "weaknesses",
    "opportunities",
    "threats",
    "evaluation",
    "objectives",
    "strategies",
    "resources",
)
PLAN_FIELDS = frozenset({"title", "owner_id", "target_revenue", "period_start", "period_end", *LONG_TEXT})
MAX_DAYS = 3 * 366  # a plan covers at most three years
ACTION_FIELDS = frozenset({"title", "owner_id", "due_on", "status", "opportunity_id", "note"})
ACTION_OWNER_FIELDS = frozenset({"status", "note"})  # what an action's owner may change on their own


def _required_date(value: Any, field: str) -> date:
    if value is None or value == "":
        raise ValidationFailed(_("Enter a date."), {field: [_("This field is required.")]})
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(
                _("Enter a date as YYYY-MM-DD."), {field: [_("Enter a valid date.")]}
            ) from None
    if not isinstance(value, date):
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), {field: [_("Enter a valid date.")]})
    cleaned = clean_date(value, field)
    assert cleaned is not None
    return cleaned


def _period(start: Any, end: Any) -> tuple[date, date]:
    first, last = _required_date(start, "period_start"), _required_date(end, "period_end")
    if last < first:
        raise ValidationFailed(
            _("The plan's period ends before it starts."), {"period_end": [_("On or after the start.")]}
        )
    if (last - first).days > MAX_DAYS:
        raise ValidationFailed(
            _("A plan covers at most three years."),
            {"period_end": [_("At most three years after the start.")]},
        )
    return first, last


def _title(value: Any) -> str:
    title = clean_text(value, "title", 200, label=_("Title")).strip()
    if not title:
        raise ValidationFailed(_("Give it a title."), {"title": [_("This field is required.")]})
    return title


def _owner(owner_id: Any, account: Any, field: str = "owner_id") -> User:
    owner = User.objects.filter(pk=owner_id if isinstance(owner_id, int) else -1).first()
    if owner is None or not may_own_plan_action(owner, account):
        raise ValidationFailed(
            _("The owner must be an active user who may see the account."),
            {field: [_("Choose someone who sees this account.")]},
        )
    return owner


def _clean_plan(values: dict[str, Any], account: Any) -> dict[str, Any]:
    unknown = set(values) - PLAN_FIELDS
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(
            _("Field %(field)s cannot be set here.") % {"field": field}, {field: [_("Not editable.")]}
        )
    clean: dict[str, Any] = {}
    if "title" in values:
        clean["title"] = _title(values["title"])
    for key in LONG_TEXT:
        if key in values:
            clean[key] = clean_text(values[key], key, 10000, multiline=True)
    if "target_revenue" in values:
        value = values["target_revenue"]
        clean["target_revenue"] = None if value in (None, "") else clean_money(value, "target_revenue")
    if "owner_id" in values:
        clean["owner_id"] = _owner(values["owner_id"], account).pk
    return clean


def _sync_quarters(plan: AccountPlan) -> None:
    """The plan's quarter rows for its period: kept (with their figures and notes) where the quarter
    is still in the period, re-clipped, added where new, removed where outside."""
    wanted = {q.key: q for q in rules.plan_quarters(plan.period_start, plan.period_end)}
    existing = {q.key: q for q in plan.quarters.all()}
    for key, gone in existing.items():
        if key not in wanted:
            gone.delete()
    for key, q in wanted.items():
        row = existing.get(key)
        if row is None:
            PlanQuarter.objects.create(plan=plan, year=q.year, number=q.number, start=q.start, end=q.end)
        elif (row.start, row.end) != (q.start, q.end):
            PlanQuarter.objects.filter(pk=row.pk).update(start=q.start, end=q.end)


def _not_closed(plan: AccountPlan) -> None:
    if plan.status == AccountPlan.Status.CLOSED:
        raise ValidationFailed(_("This plan is closed; it can no longer be changed."), code="plan_closed")


@transaction.atomic
def plan_create(
    user: User,
    *,
    account_id: int,
    period_start: Any,
    period_end: Any,
    title: str = "",
    owner_id: int | None = None,
    **values: Any,
) -> AccountPlan:
    """A new draft plan for an account `user` may write; the owner is the account's owner unless
    another user who sees the account is named; one quarter row per quarter of the period."""
    account = access_account(user, account_id, for_write=True)
    start, end = _period(period_start, period_end)
    if not title:
        title = _("Account plan %(account)s %(start)s – %(end)s") % {
            "account": account.name[:120],
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    clean = _clean_plan({"title": title, **values}, account)
    owner = _owner(owner_id, account) if owner_id is not None else account.owner
    plan = AccountPlan.objects.create(
        account=account, period_start=start, period_end=end, owner=owner, created_by=user, **clean
    )
    _sync_quarters(plan)
    audit_changes(
        PLAN,
        plan.pk,
        {"created": (None, f"{account.pk} {start.isoformat()}–{end.isoformat()}"), "owner": (None, owner.pk)},
        user,
    )
    return plan


@transaction.atomic
def plan_update(user: User, plan_id: int, *, version: int, **values: Any) -> AccountPlan:
    """Change a plan's fields (the period only while it is a draft: the data it was based on is kept
    from activation on)."""
    require_version(version)
    plan = access_account_plan(user, plan_id, for_write=True, lock=True)
    _not_closed(plan)
    period = {k: values.pop(k) for k in ("period_start", "period_end") if k in values}
    clean = _clean_plan(values, plan.account)
    if period:
        if plan.status != AccountPlan.Status.DRAFT:
            raise ValidationFailed(
                _("The period of an active plan cannot change; close it and write a new one."),
                {"period_start": [_("Fixed once the plan is active.")]},
                code="period_fixed",
            )
        clean["period_start"], clean["period_end"] = _period(
            period.get("period_start", plan.period_start), period.get("period_end", plan.period_end)
        )
    changes = {f: (getattr(plan, f), v) for f, v in clean.items()}
    versioned_update(plan, version, clean)
    if period:
        _sync_quarters(plan)
    audit_changes(PLAN, plan.pk, changes, user)
    return plan


STEPS = {
    AccountPlan.Status.DRAFT: {AccountPlan.Status.ACTIVE, AccountPlan.Status.CLOSED},
    AccountPlan.Status.ACTIVE: {AccountPlan.Status.CLOSED},
    AccountPlan.Status.CLOSED: set(),
}


@transaction.atomic
def plan_set_status(user: User, plan_id: int, *, version: int, status: str) -> AccountPlan:
    """draft → active (step 1's data is snapshotted into the plan) → closed."""
    require_version(version)
    plan = access_account_plan(user, plan_id, for_write=True, lock=True)
    if status not in AccountPlan.Status.values:
        raise ValidationFailed(_("Unknown status."), {"status": [_("Choose draft, active or closed.")]})
    if status == plan.status:
        return plan
    if status not in STEPS[AccountPlan.Status(plan.status)]:
        raise ValidationFailed(
            _("A plan goes from draft to active to closed; it cannot go from %(old)s to %(new)s.")
            % {"old": plan.get_status_display(), "new": AccountPlan.Status(status).label},
            {"status": [_("Not allowed from the current status.")]},
            code="status_step",
        )
    now = timezone.now()
    values: dict[str, Any] = {"status": status}
    if status == AccountPlan.Status.ACTIVE:
        values["snapshot"] = account_facts(plan.account, plan.period_start, plan.period_end)
        values["activated_at"] = now
    if status == AccountPlan.Status.CLOSED:
        values["closed_at"] = now
    old = plan.status
    versioned_update(plan, version, values)
    audit_changes(PLAN, plan.pk, {"status": (old, status)}, user)
    return plan


@transaction.atomic
def quarter_update(
    user: User,
    plan_id: int,
    quarter_id: int,
    *,
    version: int,
    expected_revenue: Any = None,
    review_note: str | None = None,
) -> PlanQuarter:
    """Set a quarter's expected revenue (step 3; not on a closed plan) and/or its review note (step 5)."""
    require_version(version)
    plan = access_account_plan(user, plan_id, for_write=True, lock=True)
    quarter = plan.quarters.filter(pk=quarter_id).first()
    if quarter is None:
        raise NotFound(_("Quarter not found."))
    values: dict[str, Any] = {}
    if expected_revenue is not None and expected_revenue != "":
        _not_closed(plan)
        values["expected_revenue"] = clean_money(expected_revenue, "expected_revenue")
    if review_note is not None:
        values["review_note"] = clean_text(review_note, "review_note", 10000, multiline=True)
        values["reviewed_by_id"] = user.pk
        values["reviewed_at"] = timezone.now()
    if not values:
        raise ValidationFailed(
            _("Nothing to change."), {"expected_revenue": [_("Enter an amount or a note.")]}
        )
    changes = {
        f: (getattr(quarter, f), v) for f, v in values.items() if f in ("expected_revenue", "review_note")
    }
    versioned_update(quarter, version, values)
    audit_changes(QUARTER, quarter.pk, changes, user)
    return quarter


def _opportunity(user: User, plan: AccountPlan, opportunity_id: Any) -> int | None:
    if opportunity_id in (None, ""):
        return None
    found = (
        visible_opportunities(user)
        .filter(pk=opportunity_id if isinstance(opportunity_id, int) else -1, account_id=plan.account_id)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise ValidationFailed(
            _("Link a deal of this account that you can see."),
            {"opportunity_id": [_("Not a deal of this account.")]},
        )
    return found


def _clean_action(user: User, plan: AccountPlan, values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "title" in values:
        clean["title"] = _title(values["title"])
    if "owner_id" in values:
        clean["owner_id"] = _owner(values["owner_id"], plan.account).pk
    if "due_on" in values:
        clean["due_on"] = _required_date(values["due_on"], "due_on")
    if "status" in values:
        if values["status"] not in PlanAction.Status.values:
            raise ValidationFailed(_("Unknown status."), {"status": [_("Choose open, done or cancelled.")]})
        clean["status"] = values["status"]
    if "opportunity_id" in values:
        clean["opportunity_id"] = _opportunity(user, plan, values["opportunity_id"])
    if "note" in values:
        clean["note"] = clean_text(values["note"], "note", 5000, multiline=True)
    return clean


@transaction.atomic
def action_create(
    user: User,
    plan_id: int,
    *,
    title: str,
    owner_id: int,
    due_on: Any,
    opportunity_id: int | None = None,
    note: str = "",
) -> PlanAction:
    """Add an action to a plan that is not closed (its writers)."""
    plan = access_account_plan(user, plan_id, for_write=True, lock=True)
    _not_closed(plan)
    clean = _clean_action(
        user,
        plan,
        {
            "title": title,
            "owner_id": owner_id,
            "due_on": due_on,
            "opportunity_id": opportunity_id,
            "note": note,
        },
    )
    action = PlanAction.objects.create(plan=plan, created_by=user, **clean)
    audit_changes(
        ACTION,
        action.pk,
        {"created": (None, plan.pk), "owner": (None, action.owner_id), "due_on": (None, action.due_on)},
        user,
    )
    return action


def _access_action(user: User, plan_id: int, action_id: int) -> tuple[AccountPlan, PlanAction]:
    plan = access_account_plan(user, plan_id, lock=True)
    action = PlanAction.objects.select_for_update().filter(pk=action_id, plan=plan).first()
    if action is None:
        raise NotFound(_("Action not found."))
    if not can_update_plan_action(user, plan, action):
        raise PermissionDenied(_("You may view this action but not change it."))
    return plan, action


@transaction.atomic
def action_update(user: User, plan_id: int, action_id: int, *, version: int, **values: Any) -> PlanAction:
    """Change an action. The plan's writers change anything; the action's owner its status and note.
    Done sets the day it was done; reopening clears it."""
    require_version(version)
    plan, action = _access_action(user, plan_id, action_id)
    _not_closed(plan)
    unknown = set(values) - ACTION_FIELDS
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(
            _("Field %(field)s cannot be set here.") % {"field": field}, {field: [_("Not editable.")]}
        )
    if not can_write_account_plan(user, plan) and set(values) - ACTION_OWNER_FIELDS:
        raise PermissionDenied(_("As the action's owner you may change its status and note only."))
    clean = _clean_action(user, plan, values)
    if "status" in clean and clean["status"] != action.status:
        clean["done_on"] = timezone.localdate() if clean["status"] == PlanAction.Status.DONE else None
    changes = {f: (getattr(action, f), v) for f, v in clean.items()}
    versioned_update(action, version, clean)
    audit_changes(ACTION, action.pk, changes, user)
    return action


@transaction.atomic
def action_attach_activity(
    user: User, plan_id: int, action_id: int, *, activity_id: int, version: int, detach: bool = False
) -> PlanAction:
    """Attach an activity logged against the plan's account to an action (progress on it), or detach
    it. The action's version is bumped: its progress changed."""
    require_version(version)
    plan, action = _access_action(user, plan_id, action_id)
    _not_closed(plan)
    activity = access_activity(user, activity_id)
    if activity.account_id != plan.account_id:
        raise ValidationFailed(
            _("Attach an activity logged against this plan's account."),
            {"activity_id": [_("Not an activity of this account.")]},
        )
    versioned_update(action, version, {})
    if detach:
        action.activities.remove(activity)
        audit_changes(ACTION, action.pk, {"activity": (activity.pk, None)}, user)
    else:
        action.activities.add(activity)
        audit_changes(ACTION, action.pk, {"activity": (None, activity.pk)}, user)
    return action


def expected_total(plan: AccountPlan) -> Decimal:
    return sum((q.expected_revenue for q in plan.quarters.all()), Decimal(0))


# --- settings ---------------------------------------------------------------------------------------

POLICY_LIMITS = {"due_soon_days": (1, 365), "recent_activity_days": (1, 3650), "home_limit": (1, 50)}


@transaction.atomic
def policy_update(user: User, *, version: Any, reason: str = "", **values: Any) -> PlanPolicy:
    """An admin changes the account plans' settings (a field not given stays): how many days ahead an open
    action is due soon, how far back the consolidated data reads activities, how many actions the home page
    lists. Audited; 409 when `version` is stale."""
    if not can_configure_account_plans(user):
        raise PermissionDenied(_("Only an admin changes the account plan settings."))
    unknown = set(values) - set(POLICY_LIMITS)
    if unknown:
        raise ValidationFailed(_("Unknown setting."), {k: [_("Unknown setting.")] for k in sorted(unknown)})
    policy, _created = PlanPolicy.objects.select_for_update().get_or_create(pk=1)
    clean = {
        name: whole_number(value, name, *POLICY_LIMITS[name])
        for name, value in values.items()
        if value is not None and value != ""
    }
    changes = {f: (getattr(policy, f), v) for f, v in clean.items()}
    versioned_update(policy, version, clean)
    audit_changes("keyaccounts.planpolicy", policy.pk, changes, user, reason[:500])
    return policy
