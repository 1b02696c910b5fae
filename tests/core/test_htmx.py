"""The htmx helpers every page uses (kadence.core.htmx)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from kadence.core.htmx import is_htmx, is_partial, swap_target, vary_on_htmx


def _request(**headers):
    request = RequestFactory().get("/list/", **{f"HTTP_{k}": v for k, v in headers.items()})
    request.htmx = HtmxDetails(request)
    return request


@pytest.mark.parametrize(
    ("headers", "target"),
    [
        ({}, ""),  # a normal request: the page
        ({"HX_REQUEST": "true", "HX_TARGET": "results"}, "results"),
        ({"HX_REQUEST": "true"}, ""),
        (
            {"HX_REQUEST": "true", "HX_TARGET": "results", "HX_BOOSTED": "true"},
            "",
        ),  # a boosted link: the page
        ({"HX_REQUEST": "true", "HX_TARGET": "results", "HX_HISTORY_RESTORE_REQUEST": "true"}, ""),
    ],
)
def test_swap_target(headers, target):
    request = _request(**headers)
    assert swap_target(request) == target
    assert is_partial(request, "results") == (target == "results")
    assert is_htmx(request) == ("HX_REQUEST" in headers)


def test_a_request_without_the_middleware_is_no_htmx_request():
    request = RequestFactory().get("/")
    assert not is_htmx(request) and swap_target(request) == ""


def test_vary_on_htmx():
    assert vary_on_htmx(HttpResponse())["Vary"] == "HX-Request, HX-Target"
