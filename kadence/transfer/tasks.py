"""Background work of imports, run by `kadence worker`: a check, an import or an undo of one ImportJob.
`execute` is also what `kadence import` runs in the foreground."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kadence.core.errors import DomainError
from kadence.core.models import User
from kadence.transfer import importer, progress
from kadence.transfer.models import ImportJob
from kadence.transfer.undo import undo_records

Status = ImportJob.Status


@task()
def run_import_job(job_id: int, action: str) -> str:
    """Check, import or undo import `job_id` (started by kadence.transfer.services)."""
    job = execute(job_id, action)
    return f"import {job.pk}: {job.status}"


def execute(job_id: int, action: str, report: Callable[[str, int, int], None] | None = None) -> ImportJob:
    """Run a started job (what the worker does, and the CLI in the foreground): check, commit or undo;
    the job records the outcome. Never raises for the job's own failures: they are its status."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    user = job.created_by
    # problems and messages in the language of the person who started the job
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _execute(job, user, action, report)


def _execute(
    job: ImportJob, user: User, action: str, report: Callable[[str, int, int], None] | None
) -> ImportJob:

    def reporting(phase: str, done: int, total: int) -> None:
        progress.report(job.pk, phase, done, total)
        if report is not None:
            report(phase, done, total)

    reporting("starting", 0, job.total_rows)
    try:
        if action == "check":
            outcome = importer.run(job, user, commit=False, report=reporting)
            ImportJob.objects.filter(pk=job.pk).update(
                status=Status.CHECKED,
                total_rows=outcome.total,
                bad_rows=outcome.bad,
                problem_count=outcome.problems,
                checked_counts=outcome.counts,
                checked_at=timezone.now(),
                finished_at=timezone.now(),
                version=job.version + 1,
            )
        elif action == "commit":
            with transaction.atomic():
                outcome = importer.run(job, user, commit=True, report=reporting)
                ImportJob.objects.filter(pk=job.pk).update(
                    status=Status.DONE,
                    counts=outcome.counts,
                    finished_at=timezone.now(),
                    version=job.version + 1,
                )
        elif action == "undo":
            with transaction.atomic():
                counts = undo_records(job, user, report=reporting)
                ImportJob.objects.filter(pk=job.pk).update(
                    status=Status.UNDONE,
                    undone_at=timezone.now(),
                    undone_by=user,
                    counts={**job.counts, "undo": counts},
                    finished_at=timezone.now(),
                    version=job.version + 1,
                )
        else:
            raise ValueError(action)
    except importer.Cancelled:
        _finish(
            job, Status.CANCELLED if action != "undo" else Status.DONE, _("Cancelled; nothing was changed.")
        )
    except DomainError as exc:
        back = Status.DONE if action == "undo" else Status.FAILED
        _finish(job, back, str(exc.detail))
    except Exception as exc:  # a bug or a lost database: the job says so, the worker goes on
        _finish(
            job,
            Status.DONE if action == "undo" else Status.FAILED,
            _("The job failed: %(error)s") % {"error": str(exc)[:500]},
        )
        raise
    finally:
        progress.clear(job.pk)
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, status: str, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, error=message, finished_at=timezone.now(), version=job.version + 1
    )
