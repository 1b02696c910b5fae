"""Deal control over the API: a deal's stage tasks and the roles its current stage needs
(METHODOLOGY §1c, §6). Reads and writes go through kadence.deals.selectors.tasks and
kadence.deals.services.tasks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Router
from ninja.responses import Status, codes_4xx

from kadence.core.schemas import MAX_ID, ErrorOut
from kadence.deals.schemas.tasks import DealTasksOut, TaskCompleteIn, TaskIn, TaskOut, TaskPatch, TaskReopenIn
from kadence.deals.selectors.tasks import DealTasks, TaskRow, deal_tasks
from kadence.deals.services import tasks as services

router = Router(tags=["deal control"])

OppId = Path[int, {"ge": 1, "le": MAX_ID}]
TaskId = Path[int, {"ge": 1, "le": MAX_ID}]
ONE = {200: TaskOut, codes_4xx: ErrorOut}


def _named(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.pk, "code": row.code, "name": row.name, "name_zh": row.name_zh, "name_en": row.name_en}


def _task_out(row: TaskRow, current_stage_id: int) -> dict[str, Any]:
    task = row.task
    return {
        "id": task.pk,
        "code": task.code,
        "stage": {**_named(task.stage), "order": task.stage.order},
        "is_current_stage": task.stage_id == current_stage_id,
        "name": task.name,
        "name_zh": task.name_zh,
        "name_en": task.name_en,
        "standard": task.standard,
        "standard_zh": task.standard_zh,
        "standard_en": task.standard_en,
        "role": _named(task.role),
        "assignee": task.assignee,
        "due_on": task.due_on,
        "overdue": row.overdue,
        "done": task.done_at is not None,
        "done_at": task.done_at,
        "done_by": task.done_by,
        "completion_note": task.completion_note,
        "ad_hoc": row.is_ad_hoc,
        "can_complete": row.can_complete,
        "created_at": task.created_at,
        "version": task.version,
    }


def _board_out(board: DealTasks) -> dict[str, Any]:
    opp = board.opp
    return {
        "opportunity_id": opp.pk,
        "current_stage": {**_named(opp.stage), "order": opp.stage.order},
        "today": board.today,
        "tasks": [_task_out(row, opp.stage_id) for row in board.rows],
        "roles": [
            {
                "role": _named(fill.role),
                "filled_by": fill.users,
                "by_owner": fill.by_owner,
                "missing": fill.missing,
            }
            for fill in board.roles
        ],
        "missing_roles": [_named(role) for role in board.missing_roles],
        "assignable": board.assignable,
        "can_edit": board.can_edit,
        "can_contribute": True,  # whoever sees a deal may work on it
    }


def _one(request: HttpRequest, opp_id: int, task_id: int) -> dict[str, Any]:
    board = deal_tasks(request.auth, opp_id, timezone.localdate())
    row = next(r for r in board.rows if r.task.pk == task_id)
    return _task_out(row, board.opp.stage_id)


@router.get("/opportunities/{opp_id}/tasks", response={200: DealTasksOut, codes_4xx: ErrorOut})
def list_tasks(request: HttpRequest, opp_id: OppId) -> dict[str, Any]:
    """The deal's tasks (current stage first) with their completion standards, assignees, due dates
    and overdue flags; the roles the current stage needs, who fills them and which are missing."""
    return _board_out(deal_tasks(request.auth, opp_id, timezone.localdate()))


@router.post("/opportunities/{opp_id}/tasks", response={201: TaskOut, codes_4xx: ErrorOut})
def add_task(request: HttpRequest, opp_id: OppId, payload: TaskIn) -> Status[dict[str, Any]]:
    """Add an ad-hoc task to the deal's current stage (the owner, a manager or the deal team)."""
    task = services.task_add(request.auth, opp_id, **payload.dict())
    return Status(201, _one(request, opp_id, task.pk))


@router.post("/opportunities/{opp_id}/tasks/{task_id}/complete", response=ONE)
def complete_task(
    request: HttpRequest, opp_id: OppId, task_id: TaskId, payload: TaskCompleteIn
) -> dict[str, Any]:
    """Complete a task with a note on how its standard was met (its assignee, the owner or a manager).
    The deal's level is rechecked: a task an exit criterion names may open the stage gate."""
    services.task_complete(request.auth, opp_id, task_id, note=payload.note, version=payload.version)
    return _one(request, opp_id, task_id)


@router.post("/opportunities/{opp_id}/tasks/{task_id}/reopen", response=ONE)
def reopen_task(
    request: HttpRequest, opp_id: OppId, task_id: TaskId, payload: TaskReopenIn
) -> dict[str, Any]:
    """Reopen a done task (who may change the deal); the deal's level is rechecked."""
    services.task_reopen(request.auth, opp_id, task_id, version=payload.version, reason=payload.reason)
    return _one(request, opp_id, task_id)


@router.patch("/opportunities/{opp_id}/tasks/{task_id}", response=ONE)
def update_task(request: HttpRequest, opp_id: OppId, task_id: TaskId, payload: TaskPatch) -> dict[str, Any]:
    """Reassign the task (to the owner or a deal-team member) and/or move its due date."""
    services.task_update(request.auth, opp_id, task_id, version=payload.version, **payload.changes("version"))
    return _one(request, opp_id, task_id)
