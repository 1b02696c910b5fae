"""The request a signed-in page receives, for annotations.

Every page but sign-in, the password reset, the language switch, the health check and the error pages
is behind `login_required`, so its `request.user` is a `User`, never the `AnonymousUser` Django's
stubs allow; django-htmx's middleware sets `request.htmx` on every request. Views and the helpers they
hand the request to take a `PageRequest`; Django hands them its own `HttpRequest` all the same (the
pattern of django-htmx's documentation, and of `ApiRequest` in kadence.core.api for the API).
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from kadence.core.models import User


class PageRequest(HttpRequest):
    """A signed-in page's request: `user` is the signed-in user, `htmx` django-htmx's details."""

    user: User
    htmx: HtmxDetails
