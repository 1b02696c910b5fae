"""Weekly plan use cases (writes), shared by the API and the pages: open a week's plan, add / change /
remove its items, submit it, comment on it (a manager), copy last week's unfinished items, and log a
visit from a phone (through the activities service, so that its rules stay in one place).

Each write runs in one transaction, locks the plan row (select_for_update) before it changes it or its
items, checks the version the writer read (409 otherwise) and leaves an audit entry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Contact
from kadence.activities import services as activity_services
from kadence.activities.models import Activity
from kadence.core.audit import audit_changes
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date, clean_ids, clean_text
from kadence.core.visibility import (
    access_weekly_plan,
    can_comment_weekly_plan,
    visible_accounts,
    visible_opportunities,
)
from kadence.domain import plans as rule
from kadence.rhythm.cadence.models import Review
from kadence.rhythm.cadence.selectors import cadence_running
from kadence.rhythm.cadence.services import review_create
from kadence.rhythm.plans.models import PlanComment, PlanItem, VisitAttachment, WeeklyPlan
from kadence.rhythm.plans.selectors import plan_vs_actual

PLAN = "rhythm.weeklyplan"
ITEM = "rhythm.planitem"
MAX_WEEKS_AHEAD = 8
MAX_ITEMS = 200
MAX_CONTACTS = 20
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_FILE_TYPES = (
    "jpg",
    "jpeg",
    "png",
    "heic",
    "heif",
    "webp",
    "gif",
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "txt",
)


# --- plans -----------------------------------------------------------------------------------------


def _lock(plan: WeeklyPlan) -> WeeklyPlan:
    return WeeklyPlan.objects.select_for_update().get(pk=plan.pk)


def _touch(plan: WeeklyPlan, version: int | None) -> None:
    """Bump the plan's version (checked against `version` when given) for a change of its items."""
    if version is None:
        WeeklyPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1, updated_at=timezone.now())
        plan.version += 1
    else:
        versioned_update(plan, version, {})


def _check_week(week_start: date, today: date) -> date:
    clean_date(week_start, "week_start")
    if week_start.weekday() != 0:
        raise ValidationFailed(
            _("A week starts on a Monday: %(day)s is not one.") % {"day": week_start.isoformat()},
            {"week_start": [_("Choose a Monday.")]},
        )
    this_week = rule.week_start(today)
    if week_start < this_week:
        raise ValidationFailed(
            _("A past week cannot be planned any more."),
            {"week_start": [_("Choose this week or a later one.")]},
        )
    if week_start > this_week + timedelta(weeks=MAX_WEEKS_AHEAD):
        raise ValidationFailed(
            _("Plan at most %(n)d weeks ahead.") % {"n": MAX_WEEKS_AHEAD},
            {"week_start": [_("Too far ahead.")]},
        )
    return week_start


@transaction.atomic
def plan_open(
    user: User, week_start: date | None = None, *, today: date | None = None
) -> tuple[WeeklyPlan, bool]:
    """The user's plan for the week starting `week_start` (next week by default), opened as a draft when
    there is none yet. Returns (plan, created)."""
    today = today or timezone.localdate()
    week = _check_week(week_start or rule.week_start(today) + timedelta(weeks=1), today)
    existing = WeeklyPlan.objects.filter(owner=user, week_start=week).first()
    if existing is not None:
        return existing, False
    if user.org_unit_id is None:
        raise ValidationFailed(
            _("You belong to no team; an admin must place you in one first."), code="no_team"
        )
    try:
        with transaction.atomic():
            plan = WeeklyPlan.objects.create(owner=user, team_id=user.org_unit_id, week_start=week)
    except IntegrityError:  # opened at the same moment in another tab
        return WeeklyPlan.objects.get(owner=user, week_start=week), False
    audit_changes(PLAN, plan.pk, {"week_start": (None, week), "status": (None, plan.status)}, user)
    return plan, True


@transaction.atomic
def plan_submit(user: User, plan_id: int, *, version: int | None) -> WeeklyPlan:
    """Hand the plan to the manager. A plan already submitted is returned unchanged."""
    version = require_version(version)
    plan = _lock(access_weekly_plan(user, plan_id, for_write=True))
    if plan.status == WeeklyPlan.Status.SUBMITTED:
        return plan
    if not plan.items.exists():
        raise ValidationFailed(_("Plan at least one visit or call before submitting."), code="empty_plan")
    versioned_update(plan, version, {"status": WeeklyPlan.Status.SUBMITTED, "submitted_at": timezone.now()})
    audit_changes(PLAN, plan.pk, {"status": (WeeklyPlan.Status.DRAFT, plan.status)}, user)
    return plan


@transaction.atomic
def plan_comment(user: User, plan_id: int, *, text: Any) -> PlanComment:
    """A manager's comment on a rep's plan (the manager of the rep's team or above)."""
    plan = access_weekly_plan(user, plan_id)
    if not can_comment_weekly_plan(user, plan):
        raise PermissionDenied(_("Only the rep's manager, or someone above them, may comment on this plan."))
    body = clean_text(text, "text", 2000, label=_("Comment"), multiline=True).strip()
    if not body:
        raise ValidationFailed(_("Write the comment first."), {"text": [_("This field is required.")]})
    _lock(plan)
    comment = PlanComment.objects.create(plan=plan, author=user, text=body)
    audit_changes(PLAN, plan.pk, {"comment": (None, body[:200])}, user)
    return comment


# --- items -----------------------------------------------------------------------------------------


@dataclass
class _ItemValues:
    kind: str
    day: date
    account_id: int
    opportunity_id: int | None
    goal: str
    contacts: list[Contact]


def _validate_item(plan: WeeklyPlan, values: dict[str, Any], current: PlanItem | None) -> _ItemValues:
    """The item as it will be, checked: a kind of activity, a date inside the week, an account the rep
    sees, contacts of that account, a deal of that account the rep sees."""
    unknown = set(values) - {"kind", "day", "account_id", "contact_ids", "opportunity_id", "goal"}
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(
            _("Field %(field)s cannot be set here.") % {"field": field}, {field: [_("Not editable.")]}
        )
    kind = values.get("kind", current.kind if current else Activity.Kind.VISIT)
    if kind not in Activity.Kind.values:
        raise ValidationFailed(
            _("Unknown activity kind."), {"kind": [_("Choose visit, call, meeting, demo or e-mail.")]}
        )
    day = values.get("day", current.day if current else None)
    if not isinstance(day, date):
        raise ValidationFailed(
            _("Choose the day of the visit or call."), {"day": [_("This field is required.")]}
        )
    clean_date(day, "day")
    first, last = rule.week_days(plan.week_start)
    if not first <= day <= last:
        raise ValidationFailed(
            _("The date must be inside the plan's week (%(first)s to %(last)s).")
            % {"first": first.isoformat(), "last": last.isoformat()},
            {"day": [_("Outside the week.")]},
        )
    account_id = values.get("account_id", current.account_id if current else None)
    if not account_id:
        raise ValidationFailed(_("Choose the account."), {"account_id": [_("This field is required.")]})
    rep = plan.owner
    if not visible_accounts(rep).filter(pk=account_id).exists():
        raise ValidationFailed(
            _("This account is not one of the rep's accounts."), {"account_id": [_("Unknown account.")]}
        )
    account_changed = current is None or account_id != current.account_id
    if "opportunity_id" in values:
        opportunity_id = values["opportunity_id"]
    else:
        opportunity_id = None if account_changed or current is None else current.opportunity_id
    if opportunity_id:
        deal = (
            visible_opportunities(rep).filter(pk=opportunity_id).values_list("account_id", flat=True).first()
        )
        if deal is None:
            raise ValidationFailed(_("Unknown deal."), {"opportunity_id": [_("Unknown deal.")]})
        if deal != account_id:
            raise ValidationFailed(
                _("The deal belongs to another account."), {"opportunity_id": [_("Wrong account.")]}
            )
    if "contact_ids" in values:
        ids = clean_ids(values["contact_ids"] or [], "contact_ids")
    elif current is not None and not account_changed:
        ids = [c.pk for c in current.contacts.all()]
    else:
        ids = []
    if len(ids) > MAX_CONTACTS:
        raise ValidationFailed(
            _("At most %(n)d contacts.") % {"n": MAX_CONTACTS}, {"contact_ids": [_("Too many.")]}
        )
    contacts = list(Contact.objects.filter(pk__in=ids, account_id=account_id))
    if len(contacts) != len(set(ids)):
        raise ValidationFailed(
            _("Contacts must belong to the item's account."), {"contact_ids": [_("Unknown contact.")]}
        )
    goal = clean_text(
        values.get("goal", current.goal if current else ""), "goal", 500, label=_("Goal")
    ).strip()
    return _ItemValues(kind, day, account_id, opportunity_id or None, goal, contacts)


@transaction.atomic
def item_add(user: User, plan_id: int, *, version: int | None, **values: Any) -> PlanItem:
    """Add a visit, call or meeting to the plan (`version`: the plan's)."""
    version = require_version(version)
    plan = _lock(access_weekly_plan(user, plan_id, for_write=True, related=["owner"]))
    plan.owner = user
    clean = _validate_item(plan, values, None)
    if plan.items.count() >= MAX_ITEMS:
        raise ValidationFailed(_("A plan holds at most %(n)d items.") % {"n": MAX_ITEMS}, code="too_many")
    _touch(plan, version)
    item = PlanItem.objects.create(
        plan=plan,
        kind=clean.kind,
        day=clean.day,
        account_id=clean.account_id,
        opportunity_id=clean.opportunity_id,
        goal=clean.goal,
    )
    if clean.contacts:
        item.contacts.set(clean.contacts)
    audit_changes(
        ITEM,
        item.pk,
        {"kind": (None, item.kind), "day": (None, item.day), "account": (None, item.account_id)},
        user,
    )
    return item


def _item_for_write(user: User, plan_id: int, item_id: int) -> tuple[WeeklyPlan, PlanItem]:
    plan = _lock(access_weekly_plan(user, plan_id, for_write=True))
    plan.owner = user
    item = PlanItem.objects.filter(pk=item_id, plan=plan).first()
    if item is None:
        raise NotFound(_("Plan item not found."))
    return plan, item


@transaction.atomic
def item_update(user: User, plan_id: int, item_id: int, *, version: int | None, **values: Any) -> PlanItem:
    """Change the fields given (`version`: the item's). Changing the account drops the contacts and
    the deal unless new ones are given."""
    version = require_version(version)
    plan, item = _item_for_write(user, plan_id, item_id)
    clean = _validate_item(plan, values, item)
    new = {
        "kind": clean.kind,
        "day": clean.day,
        "account_id": clean.account_id,
        "opportunity_id": clean.opportunity_id,
        "goal": clean.goal,
    }
    changes = {f: (getattr(item, f), v) for f, v in new.items() if getattr(item, f) != v}
    before = sorted(c.pk for c in item.contacts.all())
    after = sorted(c.pk for c in clean.contacts)
    if changes.get("account_id") and item.fulfilled_by_id:
        new["fulfilled_by_id"] = None  # the visit logged for it was at the old account
    versioned_update(item, version, new)
    if before != after:
        item.contacts.set(clean.contacts)
        changes["contacts"] = (",".join(map(str, before)), ",".join(map(str, after)))
    _touch(plan, None)
    audit_changes(ITEM, item.pk, changes, user)
    return item


@transaction.atomic
def item_remove(user: User, plan_id: int, item_id: int, *, version: int | None) -> None:
    version = require_version(version)
    plan, item = _item_for_write(user, plan_id, item_id)
    if item.version != version:
        raise Conflict(
            _(
                "This record was changed by someone else (version %(current)s, you edited version %(yours)s). "
                "Reload it and apply your change again."
            )
            % {"current": item.version, "yours": version},
            current_version=item.version,
        )
    audit_changes(
        ITEM, item.pk, {"removed": ("", f"{item.kind} {item.day.isoformat()} {item.account_id}")}, user
    )
    item.delete()
    _touch(plan, None)


@transaction.atomic
def plan_copy_unfinished(user: User, plan_id: int, *, version: int | None) -> int:
    """Copy the items of the rep's previous week that were not done into this plan, each on the same
    weekday a week later (an item already copied is not copied twice). Returns how many were copied."""
    version = require_version(version)
    plan = _lock(access_weekly_plan(user, plan_id, for_write=True))
    previous = plan_vs_actual(user, plan.week_start - timedelta(weeks=1))
    already = set(plan.items.exclude(copied_from=None).values_list("copied_from_id", flat=True))
    todo = [row.item for row in previous.missed if row.item.pk not in already]
    visible = set(
        visible_accounts(user).filter(pk__in={i.account_id for i in todo}).values_list("pk", flat=True)
    )
    todo = [i for i in todo if i.account_id in visible]
    if not todo:
        return 0
    if plan.items.count() + len(todo) > MAX_ITEMS:
        raise ValidationFailed(_("A plan holds at most %(n)d items.") % {"n": MAX_ITEMS}, code="too_many")
    _touch(plan, version)
    for old in todo:
        item = PlanItem.objects.create(
            plan=plan,
            kind=old.kind,
            day=old.day + timedelta(weeks=1),
            account_id=old.account_id,
            opportunity_id=old.opportunity_id,
            goal=old.goal,
            copied_from=old,
        )
        contacts = list(old.contacts.all())
        if contacts:
            item.contacts.set(contacts)
        audit_changes(ITEM, item.pk, {"copied_from": (None, old.pk)}, user)
    return len(todo)


# --- the quick visit log ---------------------------------------------------------------------------


def max_file_bytes() -> int:
    return int(getattr(settings, "KADENCE_VISIT_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_file_types() -> tuple[str, ...]:
    return tuple(
        t.lower().lstrip(".") for t in getattr(settings, "KADENCE_VISIT_FILE_TYPES", DEFAULT_FILE_TYPES)
    )


def check_upload(upload: UploadedFile) -> None:
    """Refuse a file that is too large or of a type not allowed (before anything is written)."""
    limit = max_file_bytes()
    if upload.size is None or upload.size > limit:
        raise ValidationFailed(
            _("The file is too large (at most %(mb)s MB).") % {"mb": round(limit / 1024 / 1024, 1)},
            {"file": [_("Too large.")]},
            code="file_too_large",
        )
    suffix = PurePath(upload.name or "").suffix.lower().lstrip(".")
    allowed = allowed_file_types()
    if suffix not in allowed:
        raise ValidationFailed(
            _("Files of this type cannot be attached; allowed: %(types)s.") % {"types": ", ".join(allowed)},
            {"file": [_("Type not allowed.")]},
            code="file_type",
        )


@dataclass
class LoggedVisit:
    activity: Activity
    item: PlanItem | None
    attachment: VisitAttachment | None
    review: Review | None = None  # the 1-15-30 the visit started, if it started one


@transaction.atomic
def visit_log(
    user: User,
    *,
    account_id: int | None,
    contact_ids: Iterable[int] | None = None,
    opportunity_id: int | None = None,
    kind: str = Activity.Kind.VISIT,
    result: str = "",
    outcome: str = "",
    next_step: str = "",
    next_step_date: date | None = None,
    day: date | None = None,
    subject: str = "",
    upload: UploadedFile | None = None,
    start_cadence: bool = False,
    today: date | None = None,
) -> LoggedVisit:
    """Log a done visit (or call) with its result, outcome, next step and evidence, through the
    activities service; the plan item of that week it keeps (same account, compatible kind, nearest
    day) is marked fulfilled. With `start_cadence`, a deal or customer with no 1-15-30 running gets
    one: the visit is recorded as its review (kadence.rhythm.cadence.services.review_create), so its
    follow-up falls due 15 days later and its judgement at 30 (a running one is left alone: visiting
    again does not put off the judgement)."""
    today = today or timezone.localdate()
    day = day or today
    if result not in Activity.Result.values:
        raise ValidationFailed(_("Unknown result."), {"result": [_("Choose one of the results.")]})
    if not account_id:
        raise ValidationFailed(_("Choose the account."), {"account_id": [_("This field is required.")]})
    if day > today:
        raise ValidationFailed(
            _("A visit is logged once it took place."), {"date": [_("Use today or an earlier date.")]}
        )
    if upload is not None:
        check_upload(upload)
    subject = clean_text(subject or "", "subject", 200).strip()
    if not subject:
        name = visible_accounts(user).filter(pk=account_id).values_list("name", flat=True).first() or ""
        label = Activity.Kind(kind).label if kind in Activity.Kind.values else kind
        subject = f"{label} · {name}"[:200]
    values: dict[str, Any] = {
        "kind": kind,
        "subject": subject,
        "date": day,
        "done": True,
        "outcome": outcome,
        "next_step": next_step,
        "next_step_date": next_step_date,
    }
    values["result"] = result  # the activities service applies the effective-visit rule to it
    activity = activity_services.activity_create(
        user, account_id=account_id, opportunity_id=opportunity_id, contact_ids=contact_ids, **values
    )
    attachment = None
    if upload is not None:
        attachment = VisitAttachment(
            activity=activity,
            name=PurePath(upload.name or "file").name[:200],
            size=upload.size or 0,
            content_type=(getattr(upload, "content_type", "") or "")[:100],
            uploaded_by=user,
        )
        attachment.file.save(attachment.name, upload, save=False)
        attachment.save()
        audit_changes("activities.activity", activity.pk, {"attachment": (None, attachment.name)}, user)
    item = _fulfil(user, activity)
    review = None
    if start_cadence and not cadence_running(opportunity_id=opportunity_id, account_id=account_id):
        review = review_create(
            user,
            opportunity_id=opportunity_id,
            account_id=None if opportunity_id else account_id,
            work_done=subject,
            progress=outcome,
            problems=next_step,
            reviewed_on=day,
            today=today,
        )
    return LoggedVisit(activity, item, attachment, review)


def _fulfil(user: User, activity: Activity) -> PlanItem | None:
    """Pin the activity to the item of the user's plan for its week that it keeps, if any."""
    plan = WeeklyPlan.objects.filter(owner=user, week_start=rule.week_start(activity.date)).first()
    if plan is None:
        return None
    plan = _lock(plan)
    open_items = [
        rule.Planned(i.pk, i.kind, i.account_id, i.day)
        for i in plan.items.filter(fulfilled_by__isnull=True, account_id=activity.account_id)
    ]
    best = rule.best_item(
        rule.Done(activity.pk, activity.kind, activity.account_id, activity.date), open_items
    )
    if best is None:
        return None
    item = PlanItem.objects.get(pk=best.id)
    PlanItem.objects.filter(pk=item.pk).update(
        fulfilled_by=activity, version=F("version") + 1, updated_at=timezone.now()
    )
    item.fulfilled_by = activity
    item.version += 1
    audit_changes(ITEM, item.pk, {"fulfilled_by": (None, activity.pk)}, user)
    return item
