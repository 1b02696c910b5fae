"""htmx helpers every page uses (django-htmx's middleware sets `request.htmx`): which element an htmx
request swaps, and the full page or only its fragment from the same URL."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request (it wants a fragment, not a page)."""
    return bool(getattr(request, "htmx", False))


def swap_target(request: HttpRequest) -> str:
    """The id of the element an htmx request will swap: "" for a normal request, a boosted one or a
    history restore, which all want the full page."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return ""
    return htmx.target or ""


def is_partial(request: HttpRequest, target: str) -> bool:
    """An htmx request that swaps only the element `target`."""
    return swap_target(request) == target


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """The same URL answers a full page or a fragment depending on HX-Request and HX-Target: caches
    must keep them apart."""
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def render_page_or_fragment(
    request: HttpRequest, page_template: str, fragment_template: str, target: str, context: dict[str, Any]
) -> HttpResponse:
    """`fragment_template` for an htmx request swapping `target` (a list's results), else the page."""
    template = fragment_template if is_partial(request, target) else page_template
    return vary_on_htmx(render(request, template, context))
