"""Reads of the team sale (METHODOLOGY §1c, §6): a deal's tasks grouped by stage with their overdue
flags, the roles its current stage needs and who fills them, and a person's overdue deal tasks.

A task is overdue when it is not done and its due date is before `today`. A required role is filled
by the deal-team members holding it; the owner fills "account_manager" (the rep leads the deal). A
role nobody fills is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import F

from kadence.core.models import User
from kadence.core.visibility import (
    access_opportunity,
    can_write_opportunity,
    visible_opportunities,
)
from kadence.deals.models import OpportunityTask
from kadence.pipeline.models import DealRole, Opportunity, OpportunityTeamMember, Stage

OWNER_ROLE = "account_manager"
AD_HOC_PREFIX = "adhoc-"  # the code of a task added by hand (not one of a stage's tasks)


@dataclass
class TaskRow:
    task: OpportunityTask
    overdue: bool
    is_ad_hoc: bool
    can_complete: bool


@dataclass
class StageTasks:
    """The tasks of one stage of the deal; `is_current` for the stage the deal is at."""

    stage: Stage
    is_current: bool
    tasks: list[TaskRow] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(1 for row in self.tasks if row.task.done_at is None)

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.tasks if row.overdue)


@dataclass
class RoleFill:
    """A role the current stage needs and who fills it (`by_owner`: the owner, as account manager)."""

    role: DealRole
    users: list[User]
    by_owner: bool = False

    @property
    def missing(self) -> bool:
        return not self.users


@dataclass
class DealTasks:
    opp: Opportunity
    groups: list[StageTasks]
    roles: list[RoleFill]
    assignable: list[User]
    can_edit: bool
    today: date

    @property
    def current(self) -> StageTasks:
        return self.groups[0]

    @property
    def others(self) -> list[StageTasks]:
        return self.groups[1:]

    @property
    def missing_roles(self) -> list[DealRole]:
        return [fill.role for fill in self.roles if fill.missing]

    @property
    def rows(self) -> list[TaskRow]:
        return [row for group in self.groups for row in group.tasks]


def is_overdue(task: OpportunityTask, today: date) -> bool:
    return task.done_at is None and task.due_on is not None and task.due_on < today


def deal_tasks(user: User, opp_id: int, today: date) -> DealTasks:
    """The deal's tasks by stage (the current stage first, then the others in process order), the
    current stage's roles with who fills them, and who tasks may go to. Six queries at most,
    whatever the number of tasks, stages or team members."""
    return deal_tasks_of(user, access_opportunity(user, opp_id, related=("stage", "owner")), today)


def deal_tasks_of(user: User, opp: Opportunity, today: date) -> DealTasks:
    """deal_tasks of a deal the caller got from access_opportunity (with its stage and owner)."""
    can_edit = can_write_opportunity(user, opp)
    lost = opp.status == Opportunity.Status.LOST
    tasks = list(
        OpportunityTask.objects.filter(opportunity=opp)
        .select_related("stage", "role", "assignee", "done_by")
        .order_by("stage__order", F("stage_task__order").asc(nulls_last=True), "created_at", "id")
    )
    groups: dict[int, StageTasks] = {opp.stage_id: StageTasks(opp.stage, True)}
    for task in tasks:
        group = groups.setdefault(task.stage_id, StageTasks(task.stage, False))
        group.tasks.append(
            TaskRow(
                task,
                is_overdue(task, today),
                task.code.startswith(AD_HOC_PREFIX),
                not lost and (can_edit or task.assignee_id == user.pk),
            )
        )
    current = groups.pop(opp.stage_id)
    ordered = [current, *sorted(groups.values(), key=lambda g: g.stage.order)]

    members = list(
        OpportunityTeamMember.objects.filter(opportunity=opp)
        .select_related("user", "role")
        .order_by("added_at", "id")
    )
    roles = []
    for role in opp.stage.required_roles.order_by("order", "code"):
        users = [m.user for m in members if m.role_id == role.pk]
        by_owner = role.code == OWNER_ROLE and opp.owner_id not in {u.pk for u in users}
        roles.append(RoleFill(role, ([opp.owner] if by_owner else []) + users, by_owner))
    assignable = [opp.owner, *[m.user for m in members if m.user_id != opp.owner_id]]
    return DealTasks(opp, ordered, roles, assignable, can_edit, today)


def tasks_due(user: User, today: date, limit: int = 10) -> list[OpportunityTask]:
    """The user's overdue tasks on open deals they can see, the most overdue first (one query)."""
    return list(
        OpportunityTask.objects.filter(
            assignee=user,
            done_at__isnull=True,
            due_on__lt=today,
            opportunity__status=Opportunity.Status.OPEN,
            opportunity__in=visible_opportunities(user),
        )
        .select_related("opportunity", "stage")
        .order_by("due_on", "id")[:limit]
    )
