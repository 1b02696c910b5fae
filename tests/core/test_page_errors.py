"""How a page answers a domain error, written once (kadence.core.error_pages, kadence.core.prg): the
middleware turns an error a view lets through into its error page, and `refuse` tells a form's
refusal (post-redirect-get) from an error page."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from kadence.core.error_pages import DomainErrorPageMiddleware
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.prg import SESSION_KEY, action_post, refuse


def _request(method: str = "get", *, htmx: bool = False, **data):
    request = getattr(RequestFactory(), method)(
        "/somewhere/", data, **({"HTTP_HX_REQUEST": "true"} if htmx else {})
    )
    request.htmx = HtmxDetails(request)
    request.session = SessionStore()
    request.resolver_match = None
    request._messages = _Messages()
    return request


class _Messages(list):
    def add(self, level, message, extra_tags=""):
        self.append(message)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("No such deal."), 404),
        (PermissionDenied("Not yours."), 403),
        (ValidationFailed("Bad."), 422),
    ],
)
def test_a_domain_error_a_view_lets_through_is_its_error_page(error, status):
    middleware = DomainErrorPageMiddleware(lambda request: None)
    page = middleware.process_exception(_request(), error)
    assert page.status_code == status
    assert error.detail in page.content.decode()
    assert b"<html" in page.content  # the whole page


def test_an_htmx_request_gets_the_error_fragment():
    page = DomainErrorPageMiddleware(lambda request: None).process_exception(
        _request(htmx=True), NotFound("No such deal.")
    )
    assert page.status_code == 404
    assert b"<html" not in page.content and b"No such deal." in page.content


def test_other_exceptions_are_not_the_middlewares():
    assert (
        DomainErrorPageMiddleware(lambda request: None).process_exception(_request(), KeyError("x")) is None
    )


@pytest.mark.parametrize("error", [NotFound("gone"), PermissionDenied("not yours")])
def test_refuse_raises_not_found_and_forbidden_again_for_their_error_page(error):
    with pytest.raises(type(error)):
        refuse(_request("post"), "/back/", error)


def test_refuse_keeps_any_other_refusal_and_redirects_back():
    request = _request("post", name="typed")
    answer = refuse(request, "/back/?q=1", Conflict("Changed meanwhile."))
    assert (answer.status_code, answer["Location"]) == (303, "/back/?q=1")
    kept = request.session[SESSION_KEY]
    assert kept["path"] == "/back/" and kept["data"] == {"name": ["typed"]}
    assert kept["error"]["status"] == 409


def test_action_post_says_done_or_refuses():
    request = _request("post")
    answer = action_post(request, lambda: None, back="/back/", done="Saved.")
    assert (answer.status_code, answer["Location"], request._messages) == (302, "/back/", ["Saved."])

    def refused():
        raise ValidationFailed("No.")

    assert action_post(request, refused, back="/back/", done="Saved.").status_code == 303
