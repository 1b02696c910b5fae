"""Pages of data in and out: the export of each list, with the filters and order on screen."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBase
from django.views.decorators.http import require_GET

from kadence.core.export import FORMATS_OFFERED, export_response
from kadence.core.requests import PageRequest
from kadence.transfer.exports import EXPORTS


@login_required
@require_GET
def list_export(request: PageRequest, name: str, fmt: str) -> HttpResponseBase:
    """/export/<list>.<csv|xlsx>?<the list page's filters>: the whole list as the user sees it, streamed."""
    export = EXPORTS.get(name)
    if export is None or fmt not in FORMATS_OFFERED:
        raise Http404
    filters, sort = export.from_page(request.user, request.GET)
    return export_response(
        fmt, export.filename, export.title(), export.columns(), export.rows(request.user, filters, sort)
    )
