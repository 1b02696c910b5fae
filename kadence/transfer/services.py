"""Import use cases (writes). The API, the pages and `kadence import` call these.

An import goes: upload (the file is stored, its encoding detected, its columns matched to fields) →
configure (the user corrects the mapping and the value maps, chooses what happens to duplicates and to
bad rows, and may save the mapping by name) → check (a dry run in the background: every row validated,
every problem recorded) → import (in the background, in one transaction) → perhaps undo. Each step
checks the job's status, and a configuration change needs the version the user read (409 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import access_import_job, can_import, is_admin
from kadence.transfer import importer, progress
from kadence.transfer.fields import FIELDS, fields_of, guess_columns
from kadence.transfer.models import ImportJob, ImportKind, ImportMapping
from kadence.transfer.reader import ENCODINGS, file_type, open_sheet, sniff_encoding
from kadence.transfer.tasks import run_import_job

Status = ImportJob.Status
MAX_BYTES = getattr(settings, "KADENCE_IMPORT_MAX_BYTES", 1 << 30)


def _require_importer(user: User) -> None:
    if not can_import(user):
        raise PermissionDenied(_("Only managers, directors and admins import data."))


def _kind(kind: str) -> str:
    if kind not in ImportKind.values:
        raise ValidationFailed(_("Unknown kind of import."), {"kind": [_("Choose a listed kind.")]})
    return kind


@transaction.atomic
def import_job_create(
    user: User, *, kind: str, upload: File, encoding: str = "", sheet: str = "", mapping: str = ""
) -> ImportJob:
    """Store an uploaded file as a new import of `kind`: its type, SHA-256 and (for a CSV) encoding, its
    header row and a first mapping — the saved `mapping` named, else matched from the headers."""
    _require_importer(user)
    kind = _kind(kind)
    if kind == ImportKind.ORG and not is_admin(user):
        raise PermissionDenied(_("Only admins import the organisation."))
    name = (upload.name or "upload").rsplit("/", 1)[-1][:255]
    ftype = file_type(name)
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationFailed(_("The file is larger than the import limit."), {"file": [_("Too large.")]})
    if encoding and encoding not in ENCODINGS:
        raise ValidationFailed(_("Unknown encoding."), {"encoding": [_("Choose a listed encoding.")]})
    detected = sniff_encoding(upload) if ftype == "csv" else ""
    parsed = open_sheet(upload, ftype, encoding=encoding or detected, sheet=sheet)
    headers = [h for h in parsed.headers]
    if not any(headers):
        raise ValidationFailed(_("The first row must hold the column headers."), {"file": [_("No headers.")]})
    # the data rows (for progress; empty lines are not rows), read before the file is stored: a file
    # that cannot be read to its end is refused and leaves nothing behind
    total_rows = sum(1 for _ in parsed.rows())
    saved = ImportMapping.objects.filter(kind=kind, name=mapping).first() if mapping else None
    if mapping and saved is None:
        raise ValidationFailed(
            _("No saved mapping is called %(name)s.") % {"name": mapping},
            {"mapping": [_("Unknown mapping.")]},
        )
    job = ImportJob(
        kind=kind,
        file_name=name,
        sha256=importer.file_sha256(upload),
        size=upload.size or 0,
        file_type=ftype,
        encoding=encoding or detected,
        detected_encoding=detected,
        sheet=sheet,
        headers=headers,
        columns=_known_columns(kind, saved.columns, headers) if saved else guess_columns(kind, headers),
        values=saved.values if saved else {},
        defaults=saved.defaults if saved else {},
        mapping_name=saved.name if saved else "",
        total_rows=total_rows,
        created_by=user,
    )
    upload.seek(0)
    job.file.save(name, upload, save=False)
    job.save()
    return job


def _known_columns(kind: str, columns: dict[str, str], headers: list[str]) -> dict[str, str]:
    """A saved mapping's columns that this file has (a missing one is left for the user)."""
    fields = fields_of(kind)
    return {k: h for k, h in columns.items() if k in fields and h in headers}


def _clean_mapping(
    kind: str, headers: list[str] | None, columns: Any, values: Any, defaults: Any
) -> dict[str, Any]:
    fields = fields_of(kind)
    if not isinstance(columns, dict) or not isinstance(values, dict) or not isinstance(defaults, dict):
        raise ValidationFailed(_("The mapping is malformed."), {"columns": [_("Give field → column.")]})
    clean_columns: dict[str, str] = {}
    for key, header in columns.items():
        if key not in fields:
            raise ValidationFailed(
                _("Unknown field: %(field)s") % {"field": key}, {"columns": [_("Unknown field.")]}
            )
        if header in (None, ""):
            continue
        if not isinstance(header, str) or (headers is not None and header not in headers):
            raise ValidationFailed(
                _("The file has no column “%(header)s”.") % {"header": str(header)[:100]},
                {"columns": [_("Unknown column.")]},
            )
        clean_columns[key] = header
    taken: dict[str, str] = {}
    for key, header in clean_columns.items():
        if header in taken:
            raise ValidationFailed(
                _("Column “%(header)s” is mapped to two fields.") % {"header": header},
                {"columns": [_("Map a column once.")]},
            )
        taken[header] = key
    clean_values: dict[str, dict[str, str]] = {}
    for key, table in values.items():
        if key not in fields or not isinstance(table, dict):
            raise ValidationFailed(
                _("Unknown field: %(field)s") % {"field": str(key)[:60]}, {"values": [_("Unknown field.")]}
            )
        clean_values[key] = {str(k)[:200]: str(v)[:200] for k, v in table.items() if str(v).strip()}
    clean_defaults: dict[str, str] = {}
    for key, value in defaults.items():
        if key not in fields:
            raise ValidationFailed(
                _("Unknown field: %(field)s") % {"field": str(key)[:60]}, {"defaults": [_("Unknown field.")]}
            )
        if value not in (None, ""):
            clean_defaults[key] = str(value)[:500]
    missing = [
        str(f.label)
        for f in FIELDS[kind]
        if f.required and f.key not in clean_columns and f.key not in clean_defaults
    ]
    if missing:
        raise ValidationFailed(
            _("Map a column (or give a default) for: %(fields)s") % {"fields": ", ".join(missing)},
            {"columns": [_("Required fields are not mapped.")]},
        )
    return {"columns": clean_columns, "values": clean_values, "defaults": clean_defaults}


@transaction.atomic
def import_job_configure(
    user: User,
    job_id: int,
    *,
    version: int,
    columns: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    defaults: dict[str, str] | None = None,
    on_duplicate: str | None = None,
    skip_invalid: bool | None = None,
    create_accounts: bool | None = None,
    encoding: str | None = None,
    save_as: str = "",
) -> ImportJob:
    """Change how an import reads its file; a checked import must be checked again. `save_as` also
    saves the mapping under that name (replacing a saved one of that name)."""
    require_version(version)
    job = access_import_job(user, job_id, for_write=True)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (Status.UPLOADED, Status.CHECKED, Status.FAILED, Status.CANCELLED):
        raise Conflict(
            _("This import is %(status)s; it cannot be changed.") % {"status": job.get_status_display()}
        )
    changes: dict[str, Any] = {}
    if encoding is not None and encoding != job.encoding:
        if job.file_type != "csv" or encoding not in ENCODINGS:
            raise ValidationFailed(_("Unknown encoding."), {"encoding": [_("Choose a listed encoding.")]})
        with job.file.open("rb") as handle:
            headers = open_sheet(handle, "csv", encoding=encoding).headers
        changes.update(encoding=encoding, headers=headers)
        # the headers read differently now: keep what still names a column, match the rest again
        kept = {k: h for k, h in (columns if columns is not None else job.columns).items() if h in headers}
        columns = {**guess_columns(job.kind, headers), **kept}
    mapping = _clean_mapping(
        job.kind,
        changes.get("headers", job.headers),
        job.columns if columns is None else columns,
        job.values if values is None else values,
        job.defaults if defaults is None else defaults,
    )
    changes.update(mapping)
    if on_duplicate is not None:
        if on_duplicate not in ImportJob.OnDuplicate.values:
            raise ValidationFailed(
                _("Choose what happens to existing records."),
                {"on_duplicate": [_("Choose a listed option.")]},
            )
        changes["on_duplicate"] = on_duplicate
    if skip_invalid is not None:
        changes["skip_invalid"] = bool(skip_invalid)
    if create_accounts is not None:
        changes["create_accounts"] = bool(create_accounts)
    save_as = (save_as or "").strip()[:100]
    if save_as:
        changes["mapping_name"] = save_as
    changes["status"] = Status.UPLOADED
    versioned_update(job, version, changes)
    if save_as:
        import_mapping_save(user, kind=job.kind, name=save_as, **mapping)
    return job


@transaction.atomic
def import_mapping_save(
    user: User,
    *,
    kind: str,
    name: str,
    columns: dict[str, str],
    values: dict[str, Any],
    defaults: dict[str, str],
) -> ImportMapping:
    """Save (or replace) the mapping `name` for `kind`."""
    _require_importer(user)
    kind = _kind(kind)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationFailed(_("Give the mapping a name."), {"name": [_("This field is required.")]})
    clean = _clean_mapping(kind, None, columns, values, defaults)
    mapping, created = ImportMapping.objects.select_for_update().get_or_create(
        kind=kind, name=name, defaults={**clean, "created_by": user}
    )
    if not created:
        for key, value in clean.items():
            setattr(mapping, key, value)
        mapping.updated_at = timezone.now()
        mapping.version += 1
        mapping.save()
    return mapping


@transaction.atomic
def import_mapping_delete(user: User, mapping_id: int) -> None:
    _require_importer(user)
    deleted, _rows = ImportMapping.objects.filter(pk=mapping_id).delete()
    if not deleted:
        raise ValidationFailed(_("No such mapping."), {"mapping": [_("Unknown mapping.")]})


def _start(
    user: User, job_id: int, *, allowed: tuple[str, ...], status: str, action: str, background: bool = True
) -> ImportJob:
    with transaction.atomic():
        job = access_import_job(user, job_id, for_write=True)
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in allowed:
            raise Conflict(_("This import is %(status)s.") % {"status": job.get_status_display()})
        if action == "commit" and job.bad_rows and not job.skip_invalid:
            raise ValidationFailed(
                _("%(count)s row(s) have problems: fix the file, or choose to import the valid rows only.")
                % {"count": job.bad_rows},
                code="bad_rows",
            )
        progress.clear(job.pk)
        job.status = status
        job.error = ""
        job.started_at = timezone.now()
        job.finished_at = None
        job.version += 1
        job.save()
        if background:  # else the caller runs it (kadence import, in the foreground)
            transaction.on_commit(lambda: _enqueue(run_import_job, job.pk, action))
    return job


def _enqueue(task: Any, job_id: int, action: str) -> None:
    result = task.enqueue(job_id, action)
    ImportJob.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def import_check(user: User, job_id: int, *, background: bool = True) -> ImportJob:
    """Validate every row in the background without writing (the dry run)."""
    return _start(
        user,
        job_id,
        allowed=(Status.UPLOADED, Status.CHECKED, Status.FAILED, Status.CANCELLED),
        status=Status.CHECKING,
        action="check",
        background=background,
    )


def import_commit(user: User, job_id: int, *, background: bool = True) -> ImportJob:
    """Import a checked file in the background, all or nothing (or the valid rows, when chosen)."""
    return _start(
        user,
        job_id,
        allowed=(Status.CHECKED,),
        status=Status.IMPORTING,
        action="commit",
        background=background,
    )


def import_undo(user: User, job_id: int, *, background: bool = True) -> ImportJob:
    """Undo an import in the background: what it created is removed, what it updated restored, unless
    any of those records changed since (then nothing is undone and they are listed)."""
    return _start(
        user, job_id, allowed=(Status.DONE,), status=Status.UNDOING, action="undo", background=background
    )


def import_cancel(user: User, job_id: int) -> ImportJob:
    """Ask a running check or import to stop: it stops at the next batch of rows and writes nothing."""
    job = access_import_job(user, job_id, for_write=True)
    if not job.is_running:
        raise Conflict(_("This import is not running."))
    progress.request_cancel(job.pk)
    return job


def import_job_refresh(job: ImportJob) -> ImportJob:
    """A running job whose worker stopped reporting (it died: its transaction was rolled back) is
    marked failed."""
    if not job.is_running or job.started_at is None:
        return job
    seen = progress.read(job.pk)
    silent = (
        (timezone.now() - job.started_at).total_seconds() > progress.STALE if seen is None else seen.stale
    )
    if silent:
        ImportJob.objects.filter(pk=job.pk, status=job.status).update(
            status=Status.FAILED,
            error=_(
                "The background worker stopped before the job finished; nothing was written. Run it again."
            ),
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
    return job
