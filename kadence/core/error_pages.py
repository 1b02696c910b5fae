"""The one mapping of domain errors to error pages used by every page view (re-exported by
kadence.core.views). Its own module so that the page helpers of kadence.core.prg, which
kadence.core.views uses too, can answer with it without an import cycle."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kadence.core.errors import DomainError


def render_error(request: HttpRequest, exc: DomainError, *, status: int | None = None) -> HttpResponse:
    """A domain error as a page (or, for an htmx request, a fragment) with the error's HTTP status.
    NotFound answers 404 whether the record is missing or merely invisible, so nothing leaks."""
    template = "core/_error.html" if getattr(request, "htmx", False) else "core/error.html"
    return render(request, template, {"error": exc}, status=status or exc.status)
