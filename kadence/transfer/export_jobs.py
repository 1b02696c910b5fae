"""Exports in the background (issue 12 §9): the use cases (start one, notice a dead worker's) and the reads
(a person's exports, one's progress, its file) of an ExportJob. The pages and the API call these; the
writing itself is kadence.transfer.tasks.write_export, run by the worker.

An export is sent in the request when the rows its filters select are at most
KADENCE_EXPORT_BACKGROUND_ROWS (a bounded count decides: it stops one row past the threshold), and
written by the worker otherwise, or whenever its author asks for it in the background. Starting the same
export (list, format, filters, order) while it is queued or running gives back that job, not a second one;
a person has at most KADENCE_EXPORT_MAX_RUNNING exports queued or running."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kadence.core.errors import Conflict, NotFound, ValidationFailed
from kadence.core.export import FORMATS_OFFERED
from kadence.core.models import User
from kadence.core.visibility import access_export_job, visible_export_jobs
from kadence.transfer import progress
from kadence.transfer.exports import EXPORTS, ListExport
from kadence.transfer.models import ExportJob
from kadence.transfer.selectors import JobProgress
from kadence.transfer.tasks import run_export_job

Status = ExportJob.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)


def background_threshold() -> int:
    """Exports of more rows than this run in the background (KADENCE_EXPORT_BACKGROUND_ROWS)."""
    return int(settings.KADENCE_EXPORT_BACKGROUND_ROWS)


def too_big_for_a_request(export: ListExport, user: User, filters: Any, sort: str) -> bool:
    """Whether the export selects more rows than one request should send (a count bounded by the
    threshold: it never reads more than threshold + 1 rows)."""
    limit = background_threshold()
    return export.count(user, filters, sort, limit=limit) > limit


def export_job_start(user: User, name: str, fmt: str, filters: Any, sort: str) -> ExportJob:
    """Queue the export of list `name` as `fmt`, with the list's `filters` and `sort`, for the worker to
    write as `user` (in the active language). The same export already queued or running is returned
    instead of a second one; more than KADENCE_EXPORT_MAX_RUNNING at once is a Conflict."""
    export = EXPORTS.get(name)
    if export is None or fmt not in FORMATS_OFFERED:
        raise NotFound(_("No such export."))
    data = export.filters_data(filters)
    with transaction.atomic():
        # one person's starts one after another: two clicks never make two jobs, nor pass the limit
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = list(ExportJob.objects.filter(created_by=user, status__in=ACTIVE))
        for job in active:
            if (job.list_name, job.format, job.filters, job.sort) == (name, fmt, data, sort):
                return job
        if len(active) >= settings.KADENCE_EXPORT_MAX_RUNNING:
            raise Conflict(
                _("You have %(count)s exports being prepared; start another when one is ready.")
                % {"count": len(active)},
                code="too_many_exports",
            )
        job = ExportJob.objects.create(
            created_by=user,
            list_name=name,
            format=fmt,
            filters=data,
            sort=sort,
            language=translation.get_language() or "",
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    result = run_export_job.enqueue(job_id)
    ExportJob.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def export_job_refresh(job: ExportJob) -> ExportJob:
    """The job, failed if it is running and its worker has not reported for progress.STALE seconds (the
    worker died: its file will never come)."""
    if job.status != Status.RUNNING:
        return job
    seen = progress.read(job.pk, kind="export")
    started = job.started_at or job.created_at
    if (seen is None or seen.stale) and timezone.now() - started > timedelta(seconds=progress.STALE):
        ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.FAILED,
            error=_("The worker stopped while writing this export; start it again."),
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
    return job


# --- reads -------------------------------------------------------------------------------------------


def export_jobs(user: User) -> QuerySet[ExportJob]:
    """The exports `user` sees (their own; an admin everyone's), newest first, with their authors."""
    return visible_export_jobs(user).select_related("created_by").order_by("-created_at", "-id")


def export_job_progress(job: ExportJob) -> JobProgress | None:
    """How far a queued or running export is (None once it has finished)."""
    if not job.is_running:
        return None
    seen = progress.read(job.pk, kind="export") if job.status == Status.RUNNING else None
    if seen is None:
        return JobProgress("queued" if job.status == Status.QUEUED else "writing", 0, job.total_rows, 0)
    return JobProgress(seen.phase, seen.done, seen.total, seen.percent)


def export_job_file(user: User, job_id: int) -> ExportJob:
    """The export whose file `user` may download: their own, or any for an admin (NotFound otherwise, and
    when its file is gone); ValidationFailed (422 `export_not_ready`) while it is not ready: a GET
    answers 401, 404 or 422 (config/api.py operation_errors)."""
    job = access_export_job(user, job_id)
    if job.status != Status.DONE:
        raise ValidationFailed(
            _("This export is not ready: poll it until its status is done."), code="export_not_ready"
        )
    if not job.file or not job.file.storage.exists(job.file.name):
        raise NotFound(_("This export's file is no longer kept."))
    return job


def export_list_title(job: ExportJob) -> str:
    """The list an export is of, in the active language."""
    export = EXPORTS.get(job.list_name)
    return export.title() if export else job.list_name
