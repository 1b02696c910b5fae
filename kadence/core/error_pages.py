"""The one mapping of domain errors to error pages used by every page (re-exported by
kadence.core.views). Its own module so that the page helpers of kadence.core.prg, which
kadence.core.views uses too, can answer with it without an import cycle.

A page view does not catch NotFound or PermissionDenied (nor any other DomainError it does not
turn into a form's refusal): it lets them through, and DomainErrorPageMiddleware answers with the
error page (or, for htmx, the error fragment) and the error's status. The API never gets here:
django-ninja maps the same errors to JSON itself (config.api)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kadence.core.errors import DomainError, as_too_slow
from kadence.core.htmx import is_htmx


def render_error(request: HttpRequest, exc: DomainError, *, status: int | None = None) -> HttpResponse:
    """A domain error as a page (or, for an htmx request, a fragment) with the error's HTTP status.
    NotFound answers 404 whether the record is missing or merely invisible, so nothing leaks."""
    template = "core/_error.html" if is_htmx(request) else "core/error.html"
    return render(request, template, {"error": exc}, status=status or exc.status)


class DomainErrorPageMiddleware:
    """A DomainError a page view raises (the record is not there or not the user's to see, 404; not
    the user's to change, 403; a query parameter refused, 422 …) answers as render_error does, and so
    does a statement the database cancelled at the web time limit (503, TooSlow)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return render_error(request, exception)
        too_slow = as_too_slow(exception)
        return render_error(request, too_slow) if too_slow is not None else None
