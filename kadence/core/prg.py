"""Post-redirect-get for forms that fail.

A page form whose service refuses it (a gate not met, a stale version, bad input) used to render the
page again as the answer to the POST: the address bar kept the POST's URL and a reload asked to send
the form again. Instead the POST keeps what was posted and the error in the session and answers
303 See Other to the page; the page's GET takes them back (once) and shows the form again, filled in,
with the message in place. A reload then shows the page as it is, and nothing is resent.

Kept: the posted fields (never the CSRF token, never files: a browser cannot refill a file input
anyway), the POST view's URL name and arguments (which form failed), and the error's detail, code,
status and extra fields (`errors`, `missing`, `current_version`), as JSON in the session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponseRedirect, QueryDict

from kadence.core.errors import (
    Conflict,
    DomainError,
    GateNotMet,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

SESSION_KEY = "kadence_failed_post"
NOT_KEPT = frozenset({"csrfmiddlewaretoken"})


@dataclass(frozen=True)
class FailedPost:
    """A form post that failed, as the page's GET gets it back."""

    slot: str  # the URL name of the POST view: which form failed
    kwargs: dict[str, Any]  # that view's URL arguments (a task id, a stage id…)
    data: QueryDict  # what was posted
    error: DomainError  # what was refused, with its status and extra fields


def _plain(value: Any) -> Any:
    """The value as JSON can keep it (lazy translations and dates become text)."""
    return json.loads(json.dumps(value, default=str))


def redirect_after_failure(request: HttpRequest, to: str, error: DomainError) -> HttpResponseRedirect:
    """Keep the failed post and `error` for the page at `to` (a path) and redirect there (303)."""
    match = request.resolver_match
    request.session[SESSION_KEY] = {
        "path": to.split("?", 1)[0],
        "slot": match.url_name if match else "",
        "kwargs": _plain(dict(match.kwargs) if match else {}),
        "data": {key: values for key, values in request.POST.lists() if key not in NOT_KEPT},
        "error": {"detail": error.detail, "code": error.code, "status": error.status, "extra": _plain(error.extra)},
    }
    return HttpResponseRedirect(to, status=303)


def pop_failed_post(request: HttpRequest) -> FailedPost | None:
    """The failed post kept for this page (taken out of the session: shown once), or None."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return None
    kept = session[SESSION_KEY]
    if kept.get("path") != request.path:
        return None
    del session[SESSION_KEY]
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    data._mutable = False
    return FailedPost(kept["slot"], kept["kwargs"], data, _error(kept["error"]))


def _error(stored: dict[str, Any]) -> DomainError:
    """The kept error as its own type again (so `isinstance(error, ValidationFailed)` still holds)."""
    extra = dict(stored["extra"])
    if stored["status"] == ValidationFailed.status:
        error: DomainError = ValidationFailed(stored["detail"], extra.pop("errors", None), code=stored["code"],
                                              **extra)
    else:
        kind = next((k for k in (Conflict, GateNotMet, NotFound, PermissionDenied) if k.code == stored["code"]),
                    DomainError)
        error = kind(stored["detail"], code=stored["code"], **extra)
    error.status = stored["status"]
    return error
