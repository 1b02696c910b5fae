"""Background work of imports, run by `kadence worker`: a check, an import or an undo of one ImportJob.
`execute` is also what `kadence import` runs in the foreground. And of exports too big for one request:
the writing of one ExportJob's file, and the daily removal of old ones."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kadence.core.errors import DomainError
from kadence.core.export import EXCEL_MAX_ROWS, attachment_name, csv_lines, xlsx_chunks
from kadence.core.jobs import Cadence, schedule
from kadence.core.models import User
from kadence.transfer import importer, pgengine, progress
from kadence.transfer.exports import EXPORTS
from kadence.transfer.models import ExportJob, ImportJob
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


def run_engine(
    job: ImportJob, user: User, *, commit: bool, report: Callable[[str, int, int], None] | None
) -> importer.Outcome:
    """Check or import with the engine that fits: set-based SQL (kadence.transfer.pgengine) where it
    applies, the Python engine (kadence.transfer.importer) otherwise. Both give the same results."""
    engine = pgengine if pgengine.applies(job) else importer
    return engine.run(job, user, commit=commit, report=report)


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
            outcome = run_engine(job, user, commit=False, report=reporting)
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
                outcome = run_engine(job, user, commit=True, report=reporting)
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


# --- exports in the background (issue 12 §9) ------------------------------------------------------

EXPORT_PROGRESS_EVERY = 5000  # rows between two progress reports of an export


@task()
def run_export_job(job_id: int) -> str:
    """Write the file of export `job_id` (started by kadence.transfer.export_jobs.export_job_start)."""
    job = write_export(job_id)
    return f"export {job.pk}: {job.status}"


def write_export(job_id: int) -> ExportJob:
    """Write a queued export's file into storage (MEDIA_ROOT/exports/…) with the same code that streams
    an export (csv_lines, xlsx_chunks), as its author: their visibility, their filters, their language.
    The job records the outcome; a job already taken by another worker is left alone."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    taken = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return job
    with translation.override(job.language or job.created_by.language or settings.LANGUAGE_CODE):
        try:
            _write_export(job)
        except Exception as exc:  # a bug or a lost database: the job says so, the worker goes on
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportJob.Status.FAILED,
                error=_("The export failed: %(error)s") % {"error": str(exc)[:500]},
                finished_at=timezone.now(),
            )
            raise
        finally:
            progress.clear(job.pk, kind="export")
    job.refresh_from_db()
    return job


def _write_export(job: ExportJob) -> None:
    export = EXPORTS[job.list_name]
    user = job.created_by
    filters = export.filters_from(job.filters)
    total = export.count(user, filters, job.sort)
    ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
    progress.report(job.pk, "writing", 0, total, kind="export")
    written = 0

    def counted(rows: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        nonlocal written
        for row in rows:
            yield row
            written += 1
            if written % EXPORT_PROGRESS_EVERY == 0:
                progress.report(job.pk, "writing", written, total, kind="export")

    rows = counted(export.rows(user, filters, job.sort))
    if job.format == ExportJob.Format.XLSX:
        chunks = xlsx_chunks(export.title(), export.columns(), rows)
    else:
        chunks = csv_lines(export.columns(), rows)
    name = attachment_name(export.filename, job.format)
    with tempfile.TemporaryFile() as spool:  # then into storage, whichever it is (files, S3…)
        for chunk in chunks:
            spool.write(chunk)
        size = spool.tell()
        spool.seek(0)
        job.file.save(name, File(spool, name=name), save=False)
    if job.format == ExportJob.Format.XLSX:
        written = min(written, EXCEL_MAX_ROWS - 1)  # the row read past a full sheet is not in it
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        file=job.file.name,
        file_name=name,
        size=size,
        rows_written=written,
        finished_at=timezone.now(),
    )


@schedule("export-cleanup", Cadence("daily", time(3, 15)))
@task()
def export_cleanup() -> str:
    """Remove the exports (their files and their records) finished more than KADENCE_EXPORT_KEEP_DAYS
    days ago."""
    return f"exports removed: {remove_old_exports()}"


def remove_old_exports(now: datetime | None = None) -> int:
    """Delete every export finished (ready or failed) before `now` less the days files are kept, its file
    first, and every one started that long ago and never finished (no worker ran it, or it died: it would
    count against its author's exports running); the number of exports removed."""
    before = (now or timezone.now()) - timedelta(days=settings.KADENCE_EXPORT_KEEP_DAYS)
    old = Q(finished_at__lt=before) | Q(finished_at__isnull=True, created_at__lt=before)
    removed = 0
    for job in ExportJob.objects.filter(old).iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        removed += 1
    return removed
