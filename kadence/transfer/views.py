"""Pages of data in and out: the export of each list, with the filters and order on screen (streamed, or
written in the background when too big: /exports/); the imports (upload, mapping, preview, check, import,
undo, with progress while the worker runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.core.errors import DomainError, PermissionDenied
from kadence.core.export import FORMATS_OFFERED, export_response
from kadence.core.prg import form_post, refill
from kadence.core.requests import PageRequest
from kadence.core.visibility import access_import_job, can_import
from kadence.transfer import export_jobs, selectors, services
from kadence.transfer.exports import EXPORTS
from kadence.transfer.fields import FIELDS
from kadence.transfer.forms import ImportMappingForm, ImportUploadForm
from kadence.transfer.models import ImportJob

PROBLEMS_PER_PAGE = 100


@login_required
@require_http_methods(["GET", "POST"])
def list_export(request: PageRequest, name: str, fmt: str) -> HttpResponseBase:
    """/export/<list>.<csv|xlsx>?<the list page's filters>: the whole list as the user sees it, streamed;
    written in the background instead (then /exports/) when it has more rows than one request should
    send, or when asked for with a POST ("in the background")."""
    export = EXPORTS.get(name)
    if export is None or fmt not in FORMATS_OFFERED:
        raise Http404
    filters, sort = export.from_page(request.user, request.GET)
    if request.method == "POST":
        return _export_in_background(request, name, fmt, filters, sort)
    if export_jobs.too_big_for_a_request(export, request.user, filters, sort):
        # a GET changes nothing: the page offers to write it in the background (a POST to this address)
        return render(
            request,
            "transfer/export_too_big.html",
            {"title": export.title(), "fmt": fmt, "threshold": export_jobs.background_threshold()},
        )
    return export_response(
        fmt, export.filename, export.title(), export.columns(), export.rows(request.user, filters, sort)
    )


def _require_importer(request: PageRequest) -> None:
    if not can_import(request.user):
        raise PermissionDenied(_("Only managers, directors and admins import data."))


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: PageRequest) -> HttpResponse:
    """/imports/: the imports the user sees, and a new one (upload)."""
    _require_importer(request)
    back = reverse("import_list")
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        return form_post(
            request,
            form,
            lambda f: services.import_job_create(
                request.user,
                kind=f.cleaned_data["kind"],
                upload=f.cleaned_data["file"],
                encoding=f.cleaned_data["encoding"],
                mapping=f.cleaned_data["mapping"],
            ),
            back=back,
            done=lambda job: HttpResponseRedirect(reverse("import_detail", args=[job.pk])),
        )
    failed = refill(request, lambda data: ImportUploadForm(data))
    form = (
        failed.form
        if failed
        else ImportUploadForm(initial={"kind": request.GET.get("kind", "opportunities")})
    )
    page = Paginator(selectors.import_jobs(request.user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "transfer/import_list.html",
        {"form": form, "page": page, "jobs": page.object_list},
        status=failed.status if failed else 200,
    )


def _job_context(
    request: PageRequest, job: ImportJob, form: ImportMappingForm | None = None
) -> dict[str, Any]:
    problems = Paginator(selectors.problems(job), PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    labels = {f.key: f.label for f in FIELDS[job.kind]}
    return {
        "job": job,
        "form": form or ImportMappingForm(initial=ImportMappingForm.initial_for(job), job=job),
        "problems": problems,
        "progress": selectors.job_progress(job),
        "labels": labels,
        "may_act": job.created_by_id == request.user.pk or request.user.is_admin_role,
        "counts": _counts(job),
    }


def _counts(job: ImportJob) -> list[tuple[str, Any]]:
    names = {
        "create": _("to create"),
        "update": _("to update"),
        "skip": _("to skip"),
        "created": _("created"),
        "updated": _("updated"),
        "skipped": _("skipped"),
        "unchanged": _("unchanged"),
        "bad": _("bad rows skipped"),
        "accounts_created": _("accounts created"),
    }
    shown = (
        job.counts if job.status in (ImportJob.Status.DONE, ImportJob.Status.UNDONE) else job.checked_counts
    )
    return [(names.get(k, k), v) for k, v in (shown or {}).items() if not isinstance(v, dict)]


@login_required
@require_http_methods(["GET", "POST"])
def import_detail(request: PageRequest, job_id: int) -> HttpResponse:
    """/imports/<id>/: the file, its mapping (editable until it is imported), the preview, the problems of
    the last check, the actions (check, import, undo, cancel) and the progress while the worker runs."""
    job = services.import_job_refresh(access_import_job(request.user, job_id))
    back = reverse("import_detail", args=[job.pk])
    if request.method == "POST":
        form = ImportMappingForm(request.POST, job=job)
        return form_post(
            request,
            form,
            lambda f: services.import_job_configure(request.user, job.pk, **f.service_kwargs()),
            back=back,
            done=lambda _job: _saved(request, _("Mapping saved: check the file again."), back),
        )
    failed = refill(request, lambda data: ImportMappingForm(data, job=job), current_version=job.version)
    return render(
        request,
        "transfer/import_detail.html",
        _job_context(request, job, failed.form if failed else None),
        status=failed.status if failed else 200,
    )


def _saved(request: PageRequest, message: str, to: str) -> HttpResponse:
    flash.success(request, message)
    return HttpResponseRedirect(to)


ACTIONS: dict[str, tuple[Callable[..., Any], Callable[[], str]]] = {
    "check": (services.import_check, lambda: _("Checking every row…")),
    "commit": (services.import_commit, lambda: _("Importing…")),
    "undo": (services.import_undo, lambda: _("Undoing the import…")),
    "cancel": (services.import_cancel, lambda: _("Cancelling…")),
}


@login_required
@require_POST
def import_action(request: PageRequest, job_id: int, action: str) -> HttpResponse:
    """POST /imports/<id>/<check|commit|undo|cancel>: start (or stop) the background work."""
    if action not in ACTIONS:
        raise Http404
    start, message = ACTIONS[action]
    to = reverse("import_detail", args=[job_id])
    try:
        start(request.user, job_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash.error(request, exc.detail)
        return HttpResponseRedirect(to)
    flash.info(request, message())
    return HttpResponseRedirect(to)


@login_required
@require_GET
def import_status(request: PageRequest, job_id: int) -> HttpResponse:
    """The status panel, polled by htmx while the job runs; when it has finished, the page reloads
    (HX-Refresh) to show the results."""
    job = services.import_job_refresh(access_import_job(request.user, job_id))
    response = render(
        request, "transfer/_import_status.html", {"job": job, "progress": selectors.job_progress(job)}
    )
    if request.GET.get("running") and not job.is_running:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_preview(request: PageRequest, job_id: int) -> HttpResponse:
    """The first rows as they will be stored (an htmx fragment of the import page)."""
    job = access_import_job(request.user, job_id)
    try:
        rows = selectors.preview(job, request.user)
    except DomainError as exc:
        return render(request, "transfer/_import_preview.html", {"error": exc.detail}, status=exc.status)
    specs = FIELDS[job.kind]
    mapped = [s for s in specs if s.key in (job.columns or {}) or s.key in (job.defaults or {})]
    return render(request, "transfer/_import_preview.html", {"rows": rows, "specs": mapped, "job": job})


@login_required
@require_GET
def import_bad_rows(request: PageRequest, job_id: int, fmt: str) -> HttpResponseBase:
    """The rows with problems as xlsx (or CSV), with a column saying what is wrong."""
    job = access_import_job(request.user, job_id)
    if fmt not in FORMATS_OFFERED:
        raise Http404
    columns, rows = selectors.bad_rows_file(job)
    return export_response(fmt, f"import-{job.pk}-problems", str(job.file_name)[:31], columns, rows)


# --- exports in the background (issue 12 §9) ------------------------------------------------------


def _export_in_background(request: PageRequest, name: str, fmt: str, filters: Any, sort: str) -> HttpResponse:
    to = reverse("export_list")
    try:
        job = export_jobs.export_job_start(request.user, name, fmt, filters, sort)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash.error(request, exc.detail)
        return HttpResponseRedirect(to)
    flash.info(
        request,
        _("The export is being prepared in the background; it can be downloaded here when it is ready."),
    )
    return HttpResponseRedirect(f"{to}#export-{job.pk}")


def _export_jobs_context(request: PageRequest) -> dict[str, Any]:
    page = Paginator(export_jobs.export_jobs(request.user), 25).get_page(request.GET.get("page"))
    jobs = [export_jobs.export_job_refresh(job) for job in page.object_list]
    return {
        "page": page,
        "jobs": [
            (job, export_jobs.export_list_title(job), export_jobs.export_job_progress(job)) for job in jobs
        ],
        "running": any(job.is_running for job in jobs),
        "keep_days": settings.KADENCE_EXPORT_KEEP_DAYS,
        "threshold": export_jobs.background_threshold(),
    }


@login_required
@require_GET
def export_list(request: PageRequest) -> HttpResponse:
    """/exports/: the user's exports written in the background (an admin's: everyone's), with their
    progress while they run and a link to the file when it is ready."""
    return render(request, "transfer/export_list.html", _export_jobs_context(request))


@login_required
@require_GET
def export_status(request: PageRequest) -> HttpResponse:
    """The table of /exports/, polled by htmx while an export is queued or running."""
    return render(request, "transfer/_export_jobs.html", _export_jobs_context(request))


@login_required
@require_GET
def export_download(request: PageRequest, job_id: int) -> HttpResponseBase:
    """/exports/<id>/download: the file, to its author (or an admin) only; 404 to anyone else."""
    try:
        job = export_jobs.export_job_file(request.user, job_id)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.detail) from exc
        flash.error(request, exc.detail)
        return HttpResponseRedirect(reverse("export_list"))
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)
