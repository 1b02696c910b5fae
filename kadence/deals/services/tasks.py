"""Stage tasks (任务清单 with 达成标准, METHODOLOGY §1c, §6): entering a stage creates its task list on the
deal; people complete tasks with a note on how the completion standard was met, reopen them,
reassign them, move their due dates and add tasks of their own to the current stage.

Who may do what:
- complete: the task's assignee, or whoever may write the deal (owner, manager, director, admin);
- reopen, reassign, change the due date: whoever may write the deal;
- add an ad-hoc task: whoever may contribute to the deal (writers and the deal team).
Tasks are assigned to the owner or a member of the deal team. A lost deal's tasks are frozen; a won
deal's stay open to work (the handover to delivery comes after signing). Every change is audited on
the opportunity (field "task"); completing or reopening rechecks the deal, since exit criteria of
kind "task" gate its stage.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_date, clean_text
from kadence.core.visibility import (
    access_opportunity,
    can_write_opportunity,
)
from kadence.deals.models import OpportunityTask
from kadence.deals.selectors.tasks import AD_HOC_PREFIX
from kadence.deals.services.gates import opportunity_recheck
from kadence.pipeline.models import DealRole, Opportunity, OpportunityTeamMember, Stage, StageTask

ENTITY = "pipeline.opportunity"
FIELD = "task"
UNSET: Any = object()


def _role_holders(opp: Opportunity) -> dict[int | None, int]:
    """role id → the deal-team member who joined first in that role (a task with no role: none)."""
    holders: dict[int | None, int] = {}
    for role_id, user_id in (
        OpportunityTeamMember.objects.filter(opportunity=opp)
        .order_by("added_at", "id")
        .values_list("role_id", "user_id")
    ):
        holders.setdefault(role_id, user_id)
    return holders


def stage_tasks_create(opp: Opportunity, stage: Stage, actor: User | None = None) -> list[OpportunityTask]:
    """Create the deal's tasks for `stage` (one per active StageTask; none twice when a deal comes back
    to a stage). Each goes to the deal-team member holding the task's role, else to the owner, due
    `due_days` after today. No access check: called by the pipeline services that moved the deal."""
    templates = list(StageTask.objects.filter(stage=stage, is_active=True).order_by("order", "id"))
    if not templates:
        return []
    existing = set(
        OpportunityTask.objects.filter(opportunity=opp, stage=stage).values_list("code", flat=True)
    )
    holders = _role_holders(opp)
    today = timezone.localdate()
    rows = [
        OpportunityTask(
            opportunity=opp,
            stage=stage,
            stage_task=t,
            code=t.code,
            name_zh=t.name_zh,
            name_en=t.name_en,
            standard_zh=t.standard_zh,
            standard_en=t.standard_en,
            role_id=t.role_id,
            assignee_id=holders.get(t.role_id, opp.owner_id),
            due_on=today + timedelta(days=t.due_days),
        )
        for t in templates
        if t.code not in existing
    ]
    return OpportunityTask.objects.bulk_create(rows)


def stage_tasks_create_many(deals: Any, written: dict[str, tuple[int, int]] | None = None) -> int:
    """`stage_tasks_create` for many deals at once, each at the stage it is in now (a bulk load: an
    import's new deals; `deals` is a query of their ids): the same rows (one per active StageTask of
    the stage, none twice, to the deal-team member holding the task's role, else to the owner, due
    `due_days` after today) written with one INSERT … SELECT. A lost deal gets none (its tasks are
    closed). tests/deals/test_tasks.py holds the two to the same rows. Returns the number written; on
    PostgreSQL, `written` (kadence.core.bulk.references_checked_at_once's ranges) gets the range of
    ids written."""
    due_days = sorted(set(StageTask.objects.filter(is_active=True).values_list("due_days", flat=True)))
    if not due_days:
        return 0
    today = timezone.localdate()
    quote = connection.ops.quote_name
    task, opp, template = (
        OpportunityTask._meta.db_table,
        Opportunity._meta.db_table,
        StageTask._meta.db_table,
    )
    member = OpportunityTeamMember._meta.db_table
    due = "CASE t.due_days " + " ".join("WHEN %s THEN %s" for _d in due_days) + " END"
    ids, id_params = Opportunity.objects.filter(pk__in=deals).values("pk").query.sql_with_params()
    params: list[Any] = [v for d in due_days for v in (d, today + timedelta(days=d))]
    params += [timezone.now(), Opportunity.Status.LOST, *id_params]
    insert = f"""
            INSERT INTO {task} (opportunity_id, stage_id, stage_task_id, code, name_zh, name_en, standard_zh,
                                standard_en, role_id, assignee_id, due_on, completion_note, created_at, version)
            SELECT o.id, t.stage_id, t.id, t.code, t.name_zh, t.name_en, t.standard_zh, t.standard_en, t.role_id,
                   coalesce((SELECT m.user_id FROM {member} m WHERE m.opportunity_id = o.id AND m.role_id = t.role_id
                             ORDER BY m.added_at, m.id LIMIT 1), o.owner_id),
                   {due}, '', %s, 1
            FROM {opp} o JOIN {template} t ON t.stage_id = o.stage_id AND t.is_active
            WHERE o.status <> %s AND o.id IN ({ids})
              AND NOT EXISTS (SELECT 1 FROM {task} x WHERE x.opportunity_id = o.id AND x.stage_id = t.stage_id
                              AND x.code = t.code)
            ORDER BY o.id, t.{quote("order")}, t.id
            """  # noqa: S608 - names are ours
    with connection.cursor() as cursor:
        if written is None or connection.vendor != "postgresql":
            cursor.execute(insert, params)
            return cursor.rowcount
        cursor.execute(
            f"WITH ins AS ({insert} RETURNING id) SELECT min(id), max(id), count(*) FROM ins", params
        )
        first, last, count = cursor.fetchone()
        if count:
            written[task] = (first, last)
        return count


# --- helpers -----------------------------------------------------------------------------------------


def _task(opp: Opportunity, task_id: int) -> OpportunityTask:
    task = OpportunityTask.objects.filter(pk=task_id, opportunity=opp).select_related("assignee").first()
    if task is None:
        raise NotFound(_("Task not found."))
    return task


def _not_lost(opp: Opportunity) -> None:
    if opp.status == Opportunity.Status.LOST:
        raise ValidationFailed(
            _("The deal is lost; its tasks are closed. Reopen the deal to work on them."), code="closed"
        )


def assignable_user_ids(opp: Opportunity) -> set[int]:
    """Who a task of the deal may go to: its owner and the members of its deal team."""
    return {
        opp.owner_id,
        *OpportunityTeamMember.objects.filter(opportunity=opp).values_list("user_id", flat=True),
    }


def _assignee(opp: Opportunity, assignee_id: Any) -> int:
    try:
        number = int(assignee_id)
    except (TypeError, ValueError):
        number = 0
    if isinstance(assignee_id, bool) or number not in assignable_user_ids(opp):
        raise ValidationFailed(
            _("A task goes to the deal's owner or a member of its deal team."),
            {"assignee_id": [_("Choose the owner or a deal-team member.")]},
        )
    return number


def _due(value: Any) -> date | None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise ValidationFailed(_("Enter a valid date."), {"due_on": [_("Enter a valid date.")]})
    return clean_date(value, "due_on")


def _label(task: OpportunityTask) -> str:
    """One audit line: "<code>: <state>; <assignee>; due <date>"."""
    state = "done" if task.done_at else "open"
    who = (
        User.objects.filter(pk=task.assignee_id).values_list("username", flat=True).first()
        if task.assignee_id
        else ""
    )
    return f"{task.code}: {state}; {who or '-'}; due {task.due_on.isoformat() if task.due_on else '-'}"


# --- use cases ---------------------------------------------------------------------------------------


@transaction.atomic
def task_complete(user: User, opp_id: int, task_id: int, *, note: str, version: int) -> OpportunityTask:
    """Mark a task done with a note on how its completion standard was met (required). The deal is
    rechecked: a task named by an exit criterion may open the gate."""
    require_version(version)
    opp = access_opportunity(user, opp_id, lock=True)
    task = _task(opp, task_id)
    if task.assignee_id != user.pk and not can_write_opportunity(user, opp):
        raise PermissionDenied(_("Only the task's assignee or who may change the deal can complete it."))
    _not_lost(opp)
    if task.done_at is not None:
        raise ValidationFailed(_("This task is already done."), code="already_done")
    note = clean_text(note, "note", 500, multiline=True).strip()
    if not note:
        raise ValidationFailed(
            _("Say how the completion standard was met."), {"note": [_("Describe how the standard was met.")]}
        )
    before = _label(task)
    versioned_update(task, version, {"done_at": timezone.now(), "done_by": user, "completion_note": note})
    audit_changes(ENTITY, opp.pk, {FIELD: (before, _label(task))}, user, note)
    opportunity_recheck(opp, user)
    return task


@transaction.atomic
def task_reopen(user: User, opp_id: int, task_id: int, *, version: int, reason: str = "") -> OpportunityTask:
    """Undo a completion (who may write the deal). The deal is rechecked, so its level may fall."""
    require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    task = _task(opp, task_id)
    _not_lost(opp)
    if task.done_at is None:
        raise ValidationFailed(_("This task is not done."), code="not_done")
    reason = clean_text(reason, "reason", 500, multiline=True).strip()
    before = _label(task)
    versioned_update(task, version, {"done_at": None, "done_by": None, "completion_note": ""})
    audit_changes(ENTITY, opp.pk, {FIELD: (before, _label(task))}, user, reason)
    opportunity_recheck(opp, user)
    return task


@transaction.atomic
def task_update(
    user: User, opp_id: int, task_id: int, *, version: int, assignee_id: Any = UNSET, due_on: Any = UNSET
) -> OpportunityTask:
    """Reassign a task (to the owner or a deal-team member) and/or move its due date (None clears
    it). Only the fields given change; who may write the deal does this."""
    require_version(version)
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    task = _task(opp, task_id)
    _not_lost(opp)
    values: dict[str, Any] = {}
    if assignee_id is not UNSET:
        new = _assignee(opp, assignee_id)
        if new != task.assignee_id:
            values["assignee_id"] = new
    if due_on is not UNSET:
        new_due = _due(due_on)
        if new_due != task.due_on:
            values["due_on"] = new_due
    if not values:
        return task
    before = _label(task)
    versioned_update(task, version, values)
    audit_changes(ENTITY, opp.pk, {FIELD: (before, _label(task))}, user)
    return task


@transaction.atomic
def task_add(
    user: User,
    opp_id: int,
    *,
    name: str,
    standard: str = "",
    role_id: int | None = None,
    assignee_id: int | None = None,
    due_on: date | None = None,
) -> OpportunityTask:
    """Add a task of one's own to the deal's current stage (whoever may contribute). It goes to
    `assignee_id` (owner or deal-team member), else to who holds `role_id` on the team, else to its
    author when they are on the deal, else to the owner. Ad-hoc tasks never satisfy an exit
    criterion: their codes are generated."""
    opp = access_opportunity(user, opp_id, lock=True)
    _not_lost(opp)
    name = clean_text(name, "name", 200).strip()
    if not name:
        raise ValidationFailed(_("Name the task."), {"name": [_("Required.")]})
    standard = clean_text(standard, "standard", 2000, multiline=True).strip()
    role = None
    if role_id is not None:
        role = DealRole.objects.filter(pk=role_id).first()
        if role is None:
            raise ValidationFailed(_("Unknown deal role."), {"role_id": [_("Choose a role.")]})
    if assignee_id is not None:
        assignee = _assignee(opp, assignee_id)
    else:
        holder = _role_holders(opp).get(role.pk) if role else None
        assignee = holder or (user.pk if user.pk in assignable_user_ids(opp) else opp.owner_id)
    task = OpportunityTask.objects.create(
        opportunity=opp,
        stage_id=opp.stage_id,
        code=f"{AD_HOC_PREFIX}{uuid.uuid4().hex[:12]}",
        name_zh=name,
        name_en=name,
        standard_zh=standard,
        standard_en=standard,
        role=role,
        assignee_id=assignee,
        due_on=_due(due_on),
        created_at=timezone.now(),
    )
    audit_changes(ENTITY, opp.pk, {FIELD: ("", f"{_label(task)}; {name}")}, user)
    return task
