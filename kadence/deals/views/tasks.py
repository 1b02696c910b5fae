"""The tasks & roles page of a deal (METHODOLOGY §1c, §6): the roles its current stage needs and who
fills them, the current stage's task list with completion standards, assignees and due dates, and
the other stages' tasks; forms to complete, reopen, reassign, reschedule and add tasks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError
from kadence.core.requests import PageRequest
from kadence.deals.forms.tasks import TaskAddForm, TaskCompleteForm, TaskReopenForm, TaskUpdateForm
from kadence.deals.selectors.tasks import deal_tasks, deal_tasks_of
from kadence.deals.services import tasks as services
from kadence.deals.views.common import deal_get, deal_post, render_deal


def tasks_page(
    request: PageRequest,
    pk: int,
    *,
    error: DomainError | None = None,
    form: Any = None,
    status: int = 200,
    task_id: int | None = None,
) -> HttpResponse:
    """The page; after a failed post, `form` is shown again in its place (the task row `task_id`, or
    the add form)."""

    def build(opp, perms) -> dict[str, Any]:
        board = deal_tasks_of(request.user, opp, timezone.localdate())
        add_form = form if isinstance(form, TaskAddForm) else TaskAddForm(assignable=board.assignable)
        return {
            "board": board,
            "add_form": add_form,
            "failed_task_id": task_id,
            "failed_form": form if task_id else None,
        }

    return render_deal(request, pk, "tasks", "deals/tasks.html", build, status=status, error=error)


def _add_form(request: PageRequest, pk: int, data: QueryDict) -> TaskAddForm:
    try:
        assignable = deal_tasks(request.user, pk, timezone.localdate()).assignable
    except DomainError:
        assignable = []  # the service (or the page) answers the access error
    return TaskAddForm(data, assignable=assignable)


@login_required
@require_GET
def deal_tasks_view(request: PageRequest, pk: int) -> HttpResponse:
    def row(form_class):
        return lambda data, kwargs: (form_class(data), {"task_id": kwargs["task_id"]})

    return deal_get(
        request,
        pk,
        tasks_page,
        {
            "deal_task_complete": row(TaskCompleteForm),
            "deal_task_reopen": row(TaskReopenForm),
            "deal_task_update": row(TaskUpdateForm),
            "deal_task_add": lambda data, kwargs: (_add_form(request, pk, data), {}),
        },
    )


@login_required
@require_POST
def deal_task_complete(request: PageRequest, pk: int, task_id: int) -> HttpResponse:
    form = TaskCompleteForm(request.POST)

    def run() -> None:
        services.task_complete(
            request.user, pk, task_id, note=form.cleaned_data["note"], version=form.cleaned_data["version"]
        )

    return deal_post(request, pk, run=run, done=_("Task completed."), redirect_to="deal_tasks", form=form)


@login_required
@require_POST
def deal_task_reopen(request: PageRequest, pk: int, task_id: int) -> HttpResponse:
    form = TaskReopenForm(request.POST)

    def run() -> None:
        services.task_reopen(
            request.user,
            pk,
            task_id,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data.get("reason") or "",
        )

    return deal_post(request, pk, run=run, done=_("Task reopened."), redirect_to="deal_tasks", form=form)


@login_required
@require_POST
def deal_task_update(request: PageRequest, pk: int, task_id: int) -> HttpResponse:
    form = TaskUpdateForm(request.POST)

    def run() -> None:
        data = form.cleaned_data
        services.task_update(
            request.user,
            pk,
            task_id,
            version=data["version"],
            assignee_id=data["assignee"],
            due_on=data.get("due_on"),
        )

    return deal_post(request, pk, run=run, done=_("Task updated."), redirect_to="deal_tasks", form=form)


@login_required
@require_POST
def deal_task_add(request: PageRequest, pk: int) -> HttpResponse:
    form = _add_form(request, pk, request.POST)

    def run() -> None:
        data = form.cleaned_data
        services.task_add(
            request.user,
            pk,
            name=data["name"],
            standard=data.get("standard") or "",
            role_id=data["role"].pk if data.get("role") else None,
            assignee_id=data.get("assignee"),
            due_on=data.get("due_on"),
        )

    return deal_post(request, pk, run=run, done=_("Task added."), redirect_to="deal_tasks", form=form)


urlpatterns = [
    path("opportunities/<int:pk>/tasks/", deal_tasks_view, name="deal_tasks"),
    path("opportunities/<int:pk>/tasks/add/", deal_task_add, name="deal_task_add"),
    path(
        "opportunities/<int:pk>/tasks/<int:task_id>/complete/", deal_task_complete, name="deal_task_complete"
    ),
    path("opportunities/<int:pk>/tasks/<int:task_id>/reopen/", deal_task_reopen, name="deal_task_reopen"),
    path("opportunities/<int:pk>/tasks/<int:task_id>/update/", deal_task_update, name="deal_task_update"),
]
