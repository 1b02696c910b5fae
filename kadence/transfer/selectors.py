"""Reads of imports: the jobs a user sees, a job's progress, a preview of its first rows as they will be
stored, its problems, and its bad rows as a file to fix and re-import."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.export import Column
from kadence.core.models import User
from kadence.core.visibility import visible_import_jobs
from kadence.transfer import importer, progress
from kadence.transfer.fields import fields_of
from kadence.transfer.models import ImportJob, ImportMapping, ImportProblem

PREVIEW_ROWS = 20


def import_jobs(user: User) -> QuerySet[ImportJob]:
    """The imports `user` sees, newest first, with their authors."""
    return visible_import_jobs(user).select_related("created_by").order_by("-created_at", "-id")


def import_mappings(kind: str | None = None) -> QuerySet[ImportMapping]:
    qs = ImportMapping.objects.all().order_by("kind", "name")
    return qs.filter(kind=kind) if kind else qs


@dataclass(frozen=True)
class JobProgress:
    phase: str
    done: int
    total: int
    percent: int


def job_progress(job: ImportJob) -> JobProgress | None:
    """How far a running job is (None when it is not running or has not reported yet)."""
    if not job.is_running:
        return None
    seen = progress.read(job.pk)
    if seen is None:
        return JobProgress("queued", 0, job.total_rows, 0)
    return JobProgress(seen.phase, seen.done, seen.total, seen.percent)


def _shown(value: Any, ref: str = "") -> str:
    if value is None:
        return ""
    if ref in importer.CHOICES:  # a choice: its label, not its code
        labels = dict(importer.CHOICES[ref]())
        if isinstance(value, list | tuple):
            return "、".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, list | tuple):
        return "、".join(_shown(v) for v in value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class PreviewRow:
    number: int
    action: str
    values: dict[str, str]
    problems: list[tuple[str, str]]  # (field label, message)


def preview(job: ImportJob, user: User, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first `limit` rows as they would be stored, with what would happen to each and its problems.
    Nothing is written."""
    sheet, handle = importer.open_job_sheet(job)
    try:
        index = {k: sheet.headers.index(h) for k, h in (job.columns or {}).items() if h in sheet.headers}
        fields = fields_of(job.kind)
        handler = importer.KINDS[job.kind](
            job, user, importer.Lookups(user, job.values or {}), timezone.localdate()
        )
        rows = []
        for number, values in islice(sheet.rows(), limit):
            raw = {key: values[i] if i < len(values) else None for key, i in index.items()}
            for key, value in (job.defaults or {}).items():
                if key in fields and importer.is_empty(raw.get(key)):
                    raw[key] = value
            row = importer.Row(number, raw)
            handler.read(row)
            rows.append(row)
        handler.match(rows)
    finally:
        handle.close()
    out = []
    for row in rows:
        shown = {key: _shown(row.values.get(key, row.raw.get(key)), fields[key].ref) for key in fields}
        if "account" in fields and row.values.get("account_new"):
            shown["account"] = _("%(name)s (new)") % {"name": row.values["account_new"]}
        problems = [
            (str(fields[k].label) if k in fields else k, message) for k, _value, message in row.problems
        ]
        out.append(PreviewRow(row.number, "" if row.problems else row.action, shown, problems))
    return out


def problems(job: ImportJob) -> QuerySet[ImportProblem]:
    return ImportProblem.objects.filter(job=job).order_by("row", "id")


def bad_rows_file(job: ImportJob) -> tuple[list[Column], Iterator[dict[str, Any]]]:
    """The file's rows that have problems, with every original column and one more saying what is wrong
    (for the user to fix in Excel and import again): the columns and the rows, streamed."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for row, column, message in (
        problems(job).values_list("row", "column", "message").iterator(chunk_size=5000)
    ):
        by_row[row].append(f"{column}: {message}" if column else message)
    sheet, handle = importer.open_job_sheet(job)
    headers = list(sheet.headers)
    problem_header = _("Problems")
    columns = [Column(h or f"#{i + 1}", str(i), "text") for i, h in enumerate(headers)]
    columns.append(Column(problem_header, "__problems", "text", 60))

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for number, values in sheet.rows():
                found = by_row.get(number)
                if found:
                    row: dict[str, Any] = {str(i): importer.as_text(v) for i, v in enumerate(values)}
                    row["__problems"] = "；".join(found)
                    yield row
        finally:
            handle.close()

    return columns, rows()
