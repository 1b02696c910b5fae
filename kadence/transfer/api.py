"""The API of data in and out: each list exported whole (CSV or xlsx), with the list's own filters,
streamed or (when too big for one request) written in the background; the imports."""

from __future__ import annotations

from typing import Any, Literal

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status, codes_4xx

from kadence.accounts.schemas import AccountFiltersQuery, ContactFiltersQuery
from kadence.activities.schemas import ActivityFiltersQuery
from kadence.core.api import ApiRequest
from kadence.core.errors import ValidationFailed
from kadence.core.export import export_response
from kadence.core.pagination import paginate
from kadence.core.schemas import ErrorOut, IdPath, PageOut, PageQuery, page_out
from kadence.core.visibility import access_export_job, access_import_job, can_import
from kadence.pipeline.schemas import OpportunityFiltersQuery
from kadence.transfer import export_jobs, selectors, services
from kadence.transfer.exports import EXPORTS, ContactFilters
from kadence.transfer.fields import FIELDS
from kadence.transfer.models import ExportJob, ImportJob
from kadence.transfer.schemas import (
    ExportJobOut,
    FieldOut,
    ImportJobIn,
    ImportJobOut,
    Kind,
    MappingIn,
    PreviewRowOut,
    ProblemOut,
    ProblemQuery,
    SavedMappingOut,
)
from kadence.transfer.selectors import job_progress
from kadence.transfer.services import import_job_refresh

router = Router(tags=["exports"])

Format = Literal["csv", "xlsx"]
FORMAT_HELP = "csv (UTF-8 with a byte-order mark, streamed) or xlsx."
FILE = {
    "responses": {
        200: {
            "description": "The file: every row the list's filters select that you may see, in the list's order.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


class OpportunityExportQuery(OpportunityFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


class AccountExportQuery(AccountFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


class ContactExportQuery(ContactFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


class ActivityExportQuery(ActivityFiltersQuery):
    format: Format = Field("csv", description=FORMAT_HELP)


def _export(
    request: ApiRequest, name: str, fmt: str, filters: Any, sort: str, *, background: bool = False
) -> Any:
    """The file streamed (GET); with `background` (POST), an export started in the background: 202 and
    the job to poll. A GET of more rows than one request should send changes nothing and answers 422
    `too_many_rows`: POST the same query to export it in the background (see docs/export.md)."""
    export = EXPORTS[name]
    if background:
        return Status(
            202, export_job_out(export_jobs.export_job_start(request.auth, name, fmt, filters, sort))
        )
    if export_jobs.too_big_for_a_request(export, request.auth, filters, sort):
        raise ValidationFailed(
            _(
                "More than %(rows)s rows: too many for one request. POST the same query to this address to "
                "export them in the background."
            )
            % {"rows": f"{export_jobs.background_threshold():,}"},
            code="too_many_rows",
        )
    return export_response(
        fmt, export.filename, export.title(), export.columns(), export.rows(request.auth, filters, sort)
    )


FileOrJob = {codes_4xx: ErrorOut}


@router.get("/exports/opportunities", response=FileOrJob, openapi_extra=FILE)
def export_opportunities(request: ApiRequest, query: Query[OpportunityExportQuery]) -> Any:
    """The opportunities you may see, with the filters of `GET /api/opportunities`, as one file; more
    than KADENCE_EXPORT_BACKGROUND_ROWS (100,000 by default) answer 422 `too_many_rows`: POST the same query
    to export them in the background."""
    return _export(request, "opportunities", query.format, query.filters(), query.sort)


@router.get("/exports/accounts", response=FileOrJob, openapi_extra=FILE)
def export_accounts(request: ApiRequest, query: Query[AccountExportQuery]) -> Any:
    """The accounts you may see, with the filters of `GET /api/accounts`, as one file; more
    than KADENCE_EXPORT_BACKGROUND_ROWS (100,000 by default) answer 422 `too_many_rows`: POST the same query
    to export them in the background."""
    return _export(request, "accounts", query.format, query.filters(), query.sort)


@router.get("/exports/contacts", response=FileOrJob, openapi_extra=FILE)
def export_contacts(request: ApiRequest, query: Query[ContactExportQuery]) -> Any:
    """The contacts you may see, with the filters of `GET /api/contacts`, as one file; more
    than KADENCE_EXPORT_BACKGROUND_ROWS (100,000 by default) answer 422 `too_many_rows`: POST the same query
    to export them in the background."""
    return _export(request, "contacts", query.format, ContactFilters(query.account_id, query.q), "")


@router.get("/exports/activities", response=FileOrJob, openapi_extra=FILE)
def export_activities(request: ApiRequest, query: Query[ActivityExportQuery]) -> Any:
    """The activities you may see, with the filters of `GET /api/activities`, as one file; more
    than KADENCE_EXPORT_BACKGROUND_ROWS (100,000 by default) answer 422 `too_many_rows`: POST the same query
    to export them in the background."""
    return _export(request, "activities", query.format, query.filters(), "")


# --- exports in the background (issue 12 §9) ------------------------------------------------------

ExportJobId = IdPath
Started = {202: ExportJobOut, codes_4xx: ErrorOut}


def export_job_out(job: ExportJob) -> dict[str, Any]:
    """An export job as the API shows it (a dead worker's job is reported failed)."""
    job = export_jobs.export_job_refresh(job)
    now = export_jobs.export_job_progress(job)
    done = job.status == ExportJob.Status.DONE
    return {
        "id": job.pk,
        "list": job.list_name,
        "format": job.format,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "filters": job.filters,
        "sort": job.sort,
        "total_rows": job.total_rows,
        "rows_written": job.rows_written,
        "progress": now.__dict__ if now else None,
        "file_name": job.file_name,
        "size": job.size,
        "error": job.error,
        "url": reverse("api:export_job", kwargs={"job_id": job.pk}),
        "download_url": reverse("api:export_job_download", kwargs={"job_id": job.pk}) if done else None,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@router.post("/exports/opportunities", response=Started)
def start_export_opportunities(request: ApiRequest, query: Query[OpportunityExportQuery]) -> Any:
    """Export the opportunities you may see in the background, with the filters of `GET /api/opportunities`: 202 and
    the export job (the same job again while an identical one is queued or running)."""
    return _export(request, "opportunities", query.format, query.filters(), query.sort, background=True)


@router.post("/exports/accounts", response=Started)
def start_export_accounts(request: ApiRequest, query: Query[AccountExportQuery]) -> Any:
    """Export the accounts you may see in the background, with the filters of `GET /api/accounts`: 202 and
    the export job (the same job again while an identical one is queued or running)."""
    return _export(request, "accounts", query.format, query.filters(), query.sort, background=True)


@router.post("/exports/contacts", response=Started)
def start_export_contacts(request: ApiRequest, query: Query[ContactExportQuery]) -> Any:
    """Export the contacts you may see in the background, with the filters of `GET /api/contacts`: 202 and
    the export job (the same job again while an identical one is queued or running)."""
    filters = ContactFilters(query.account_id, query.q)
    return _export(request, "contacts", query.format, filters, "", background=True)


@router.post("/exports/activities", response=Started)
def start_export_activities(request: ApiRequest, query: Query[ActivityExportQuery]) -> Any:
    """Export the activities you may see in the background, with the filters of `GET /api/activities`: 202 and
    the export job (the same job again while an identical one is queued or running)."""
    return _export(request, "activities", query.format, query.filters(), "", background=True)


@router.get("/export-jobs", response={200: PageOut[ExportJobOut], codes_4xx: ErrorOut})
def list_export_jobs(request: ApiRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Your exports in the background (an admin: everyone's), newest first."""
    page = paginate(export_jobs.export_jobs(request.auth), query.page, query.page_size)
    return {**page_out(page), "items": [export_job_out(j) for j in page.items]}


@router.get("/export-jobs/{job_id}", response={200: ExportJobOut, codes_4xx: ErrorOut}, url_name="export_job")
def get_export_job(request: ApiRequest, job_id: ExportJobId) -> dict[str, Any]:
    """One export, with its progress while it runs (poll it); 404 if it is not yours."""
    return export_job_out(access_export_job(request.auth, job_id))


@router.get(
    "/export-jobs/{job_id}/download",
    response={codes_4xx: ErrorOut},
    openapi_extra=FILE,
    url_name="export_job_download",
)
def download_export_job(request: ApiRequest, job_id: ExportJobId) -> Any:
    """The file of a finished export: to its author or an admin only (404 to anyone else; 422
    `export_not_ready` while it is not ready)."""
    job = export_jobs.export_job_file(request.auth, job_id)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)


# --- imports -------------------------------------------------------------------------------------------

imports_router = Router(tags=["imports"])
ImportId = IdPath
MappingId = IdPath
Accepted = {202: ImportJobOut, codes_4xx: ErrorOut}


def job_out(job: ImportJob) -> dict[str, Any]:
    """An import as the API and the page's status poll show it (a dead worker's job is reported failed)."""
    job = import_job_refresh(job)
    now = job_progress(job)
    return {
        **{
            f: getattr(job, f)
            for f in ImportJobOut.model_fields
            if hasattr(job, f) and f not in ("created_by", "progress")
        },
        "status_label": str(job.get_status_display()),
        "created_by": job.created_by,
        "progress": now.__dict__ if now else None,
    }


@imports_router.get("/imports/fields", response={200: list[FieldOut], codes_4xx: ErrorOut})
def import_fields(request: ApiRequest, kind: Kind) -> list[dict[str, Any]]:
    """The fields an import of `kind` fills, with the column headers each is recognised by."""
    return [
        {
            "key": f.key,
            "label": str(f.label),
            "read": f.read,
            "required": f.required,
            "help": str(f.help),
            "names": list(f.names),
        }
        for f in FIELDS[kind]
    ]


@imports_router.get("/imports", response={200: PageOut[ImportJobOut], codes_4xx: ErrorOut})
def list_imports(request: ApiRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """The imports you may see (your own; a manager's units'; an admin all), newest first."""
    page = paginate(selectors.import_jobs(request.auth), query.page, query.page_size)
    return {**page_out(page), "items": [job_out(j) for j in page.items]}


@imports_router.post("/imports", response={201: ImportJobOut, codes_4xx: ErrorOut})
def create_import(
    request: ApiRequest, payload: Form[ImportJobIn], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """Upload a file to import (multipart/form-data): CSV (encoding detected: UTF-8, UTF-8 with BOM,
    GB18030/GBK) or xlsx/xls. Its columns are matched to the fields of `kind` from their headers, or
    from the saved `mapping` named. Nothing is checked or written yet."""
    job = services.import_job_create(
        request.auth,
        kind=payload.kind,
        upload=file,
        encoding=payload.encoding,
        sheet=payload.sheet,
        mapping=payload.mapping,
    )
    return Status(201, job_out(job))


@imports_router.get("/imports/{job_id}", response={200: ImportJobOut, codes_4xx: ErrorOut})
def get_import(request: ApiRequest, job_id: ImportId) -> dict[str, Any]:
    """One import, with its progress while it runs (poll it)."""
    return job_out(access_import_job(request.auth, job_id))


@imports_router.put("/imports/{job_id}/mapping", response={200: ImportJobOut, codes_4xx: ErrorOut})
def configure_import(request: ApiRequest, job_id: ImportId, payload: MappingIn) -> dict[str, Any]:
    """Correct the mapping, the value maps and the defaults, choose what happens to existing records and
    bad rows; `save_as` also saves the mapping by name. A checked import must be checked again."""
    job = services.import_job_configure(request.auth, job_id, **payload.dict())
    return job_out(job)


@imports_router.get("/imports/{job_id}/preview", response={200: list[PreviewRowOut], codes_4xx: ErrorOut})
def preview_import(request: ApiRequest, job_id: ImportId) -> list[dict[str, Any]]:
    """The first rows as they will be stored, what happens to each (create / update / skip) and their
    problems. Nothing is written."""
    job = access_import_job(request.auth, job_id)
    return [
        {"row": r.number, "action": r.action, "values": r.values, "problems": [list(p) for p in r.problems]}
        for r in selectors.preview(job, request.auth)
    ]


@imports_router.post("/imports/{job_id}/check", response=Accepted)
def check_import(request: ApiRequest, job_id: ImportId) -> Status[dict[str, Any]]:
    """Start the dry run in the background: every row validated, every problem recorded, nothing written.
    Poll `GET /api/imports/{id}`; then read `/problems`."""
    return Status(202, job_out(services.import_check(request.auth, job_id)))


@imports_router.post("/imports/{job_id}/commit", response=Accepted)
def commit_import(request: ApiRequest, job_id: ImportId) -> Status[dict[str, Any]]:
    """Start the import of a checked file in the background: all rows in one transaction, or only the
    valid ones when `skip_invalid` was chosen (422 `bad_rows` otherwise)."""
    return Status(202, job_out(services.import_commit(request.auth, job_id)))


@imports_router.post("/imports/{job_id}/undo", response=Accepted)
def undo_import(request: ApiRequest, job_id: ImportId) -> Status[dict[str, Any]]:
    """Start undoing an import: what it created is removed and what it updated restored, unless those
    records changed since (then nothing is undone and the job's `error` lists them)."""
    return Status(202, job_out(services.import_undo(request.auth, job_id)))


@imports_router.post("/imports/{job_id}/cancel", response=Accepted)
def cancel_import(request: ApiRequest, job_id: ImportId) -> Status[dict[str, Any]]:
    """Stop a running check or import at its next batch of rows; nothing is written."""
    return Status(202, job_out(services.import_cancel(request.auth, job_id)))


@imports_router.get("/imports/{job_id}/problems", response={200: PageOut[ProblemOut], codes_4xx: ErrorOut})
def import_problems(request: ApiRequest, job_id: ImportId, query: Query[ProblemQuery]) -> dict[str, Any]:
    """Every problem the last check found: row (as the spreadsheet numbers it), column, value, message."""
    job = access_import_job(request.auth, job_id)
    return page_out(paginate(selectors.problems(job), query.page, query.page_size))


@imports_router.get("/imports/{job_id}/bad-rows", response={codes_4xx: ErrorOut}, openapi_extra=FILE)
def import_bad_rows(request: ApiRequest, job_id: ImportId, format: Format = "xlsx") -> Any:  # noqa: A002
    """The rows with problems, every original column plus one saying what is wrong: fix them in Excel
    and import the file again."""
    job = access_import_job(request.auth, job_id)
    columns, rows = selectors.bad_rows_file(job)
    return export_response(format, f"import-{job.pk}-problems", str(job.file_name)[:31], columns, rows)


@imports_router.get("/import-mappings", response={200: list[SavedMappingOut], codes_4xx: ErrorOut})
def list_mappings(request: ApiRequest, kind: Kind | None = None) -> Any:
    """The saved mappings (of `kind`): to those who import (managers, directors, admins); none to others."""
    if not can_import(request.auth):
        return []
    return list(selectors.import_mappings(kind)[:500])


@imports_router.delete("/import-mappings/{mapping_id}", response={204: None, codes_4xx: ErrorOut})
def delete_mapping(request: ApiRequest, mapping_id: MappingId) -> Status[None]:
    services.import_mapping_delete(request.auth, mapping_id)
    return Status(204, None)
