"""Typed domain errors. Each maps once to an HTTP status and a JSON body {"detail", "code", ...}
(API) and to a form or page message (pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, detail: StrOrPromise, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = str(detail)
        if code:
            self.code = code
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.detail, "code": self.code, **self.extra}


class ValidationFailed(DomainError):
    """Input that breaks a rule; `errors` maps field names to messages."""

    status = 422
    code = "validation_failed"

    def __init__(
        self, detail: StrOrPromise, errors: dict[str, list[str]] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail, errors=errors or {}, **extra)
        self.errors = errors or {}


class NotFound(DomainError):
    """Does not exist, or the user may not see it (both answer the same, so nothing leaks)."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """The user sees the record but may not do this to it."""

    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    """A write based on a stale `version`: someone else changed the record first."""

    status = 409
    code = "conflict"


class GateNotMet(DomainError):
    """A stage move whose exit criteria are not met; `missing` lists them."""

    status = 409
    code = "gate_not_met"


class TooSlow(DomainError):
    """The database cancelled a statement at the web requests' time limit (PostgreSQL's
    statement_timeout, KADENCE_STATEMENT_TIMEOUT_MS): the worker stays alive and the user is told to
    narrow what they asked for."""

    status = 503
    code = "too_slow"


QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout


def as_too_slow(exc: BaseException) -> TooSlow | None:
    """The TooSlow a database error stands for when the database cancelled the statement at its time
    limit; None for any other error."""
    from django.db import OperationalError

    if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
        from django.utils.translation import gettext as _

        return TooSlow(
            _(
                "This took longer than the time limit for a page. Narrow the scope, period or filters and try again."
            )
        )
    return None
