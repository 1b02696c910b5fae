"""The one NinjaAPI of Kadence, mounted at /api/ (OpenAPI at /api/openapi.json, docs at /api/docs).

Authentication: a bearer token (API clients) or the Django session (the browser; unsafe methods need
the CSRF token). Errors are mapped here, once, to JSON {"detail", "code", ...}:
domain errors → their status; invalid input → 422 "validation_failed"; unknown → 404 "not_found".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kadence.accounts.api import catalog_router as accounts_catalog
from kadence.accounts.api import router as accounts
from kadence.activities.api import router as activities
from kadence.core.api import ApiTokenAuth, BrowserSessionAuth
from kadence.core.api import router as organisation
from kadence.core.errors import DomainError
from kadence.deals.api import routers as deal_control
from kadence.insights.api import routers as insights
from kadence.pipeline.api import catalog_router as pipeline_catalog
from kadence.pipeline.api import router as pipeline

api = NinjaAPI(
    title="Kadence API",
    version="1",
    description="Key-account sales process control: accounts, contacts, opportunities and their stage "
    "history, activities, and the methodology configuration. Money is a decimal string; "
    "dates are ISO 8601. Lists take `page` and `page_size`.",
    urls_namespace="api",
    auth=[ApiTokenAuth(), BrowserSessionAuth()],
)

api.add_router("", organisation)
api.add_router("", accounts)
api.add_router("", pipeline)
api.add_router("", activities)
for extra_router in [*deal_control, *insights]:
    api.add_router("", extra_router)
api.add_router("", accounts_catalog)
api.add_router("", pipeline_catalog)

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
}


def _error(request: HttpRequest, status: int, detail: str, code: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


PARAM_SOURCES = {"body", "query", "path", "header", "cookie"}
BODY_PARAM = "payload"  # every endpoint names its body parameter so; clients need not see it


def _clean_error(error: dict[str, Any]) -> dict[str, Any]:
    """A pydantic error without the parts that may not serialise (input, ctx objects, url)."""
    loc = list(error.get("loc", ()))
    if len(loc) > 1 and loc[0] == "body" and loc[1] == BODY_PARAM:
        del loc[1]
    return {"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        field = ".".join(str(p) for p in error["loc"] if p not in PARAM_SOURCES)
        parts.append(f"{field}: {error['msg']}" if field else error["msg"])
    return "; ".join(parts) + ("; …" if len(errors) > 5 else "")


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [_clean_error(e) for e in exc.errors]
    return _error(
        request,
        422,
        _("Invalid input: %(problems)s") % {"problems": _summary(errors)},
        "validation_failed",
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(
        request,
        401,
        _("Sign in, or send a valid API token as 'Authorization: Bearer <token>'."),
        "not_authenticated",
    )
    response["WWW-Authenticate"] = 'Bearer realm="kadence"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # The body is not JSON (ninja's parser failed): the same answer as any other invalid input.
        return _error(
            request,
            422,
            _("The request body is not valid JSON."),
            "validation_failed",
            errors=[{"loc": ["body"], "msg": _("Invalid JSON."), "type": "json_invalid"}],
        )
    return _error(request, exc.status_code, str(exc), HTTP_CODES.get(exc.status_code, "error"))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."), "not_found")


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, _("The request body is too large."), "too_large")


# Last: any other path under /api/ answers a JSON 404 (not the HTML page of the site).
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> None:
    raise Http404


api.add_router("", fallback)
