"""API schemas of a deal's stage tasks and the roles its current stage needs (METHODOLOGY §1c, §6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from ninja import Field, Schema

from kadence.core.schemas import Day, Id, In, NamedOut, PatchIn, Reason, UserRef, Version


class TaskStageOut(NamedOut):
    order: int


class TaskOut(Schema):
    """A task of the deal. `standard` is the completion standard (达成标准) in the active language;
    `overdue` when not done and due before today; `ad_hoc` for tasks added by hand (they never
    satisfy an exit criterion); `can_complete` whether you may complete it."""

    id: int
    code: str
    stage: TaskStageOut
    is_current_stage: bool
    name: str
    name_zh: str
    name_en: str
    standard: str
    standard_zh: str
    standard_en: str
    role: NamedOut | None
    assignee: UserRef | None
    due_on: date | None
    overdue: bool
    done: bool
    done_at: datetime | None
    done_by: UserRef | None
    completion_note: str
    ad_hoc: bool
    can_complete: bool
    created_at: datetime
    version: int


class RoleFillOut(Schema):
    """A role the current stage needs, who fills it (`by_owner`: the owner, as account manager) and
    whether it is missing."""

    role: NamedOut
    filled_by: list[UserRef]
    by_owner: bool
    missing: bool


class DealTasksOut(Schema):
    opportunity_id: int
    current_stage: TaskStageOut
    today: date
    tasks: list[TaskOut] = Field(description="Current stage first, then the other stages in process order.")
    roles: list[RoleFillOut]
    missing_roles: list[NamedOut]
    assignable: list[UserRef] = Field(description="Who tasks may go to: the owner and the deal team.")
    can_edit: bool
    can_contribute: bool


class TaskIn(In):
    """An ad-hoc task on the deal's current stage. Without `assignee_id` it goes to who holds `role_id`
    on the deal team, else to you when you are on the deal, else to the owner."""

    name: str = Field(max_length=200)
    standard: str = Field("", max_length=2000, description="The completion standard (达成标准).")
    role_id: Id | None = None
    assignee_id: Id | None = None
    due_on: Day | None = None


class TaskCompleteIn(In):
    note: str = Field(max_length=500, description="How the completion standard was met (required).")
    version: Version


class TaskReopenIn(In):
    reason: Reason = ""
    version: Version


class TaskPatch(PatchIn):
    """Reassign (to the owner or a deal-team member) and/or move the due date (null clears it)."""

    nullable: ClassVar[frozenset[str]] = frozenset({"due_on"})

    assignee_id: Id | None = None
    due_on: Day | None = None
    version: Version
