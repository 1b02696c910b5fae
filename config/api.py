"""The one NinjaAPI of Kadence, mounted at /api/ (OpenAPI at /api/openapi.json, docs at /api/docs).

Authentication: a bearer token (API clients) or the Django session (the browser; unsafe methods need
the CSRF token). Errors are mapped here, once, to JSON {"detail", "code", ...}:
domain errors → their status; invalid input → 422 "validation_failed"; unknown → 404 "not_found";
anything unexpected → 500 "server_error" (logged, no internals in the answer). Errors that Django
answers before or around ninja (a method the path does not take, a body Django cannot parse, a failure
in a middleware) get the same JSON body from `ApiErrorsMiddleware`.

The OpenAPI document lists, for every operation, the errors it can answer (`operation_errors`, one
rule for all operations rather than a list on each), and notes every component name that two different
schemas would share (`KadenceOpenAPISchema.collisions`; a test keeps it empty).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from kadence.accounts.api import catalog_router as accounts_catalog
from kadence.accounts.api import router as accounts
from kadence.activities.api import router as activities
from kadence.core.api import ApiTokenAuth, BrowserSessionAuth
from kadence.core.api import router as organisation
from kadence.core.errors import DomainError, as_too_slow
from kadence.core.schemas import ErrorOut
from kadence.deals.api import routers as deal_control
from kadence.insights.api import calibration, changes, forecast, funnel, ideal, stalled
from kadence.keyaccounts.api import routers as keyaccounts
from kadence.performance.api import routers as performance
from kadence.pipeline.api import catalog_router as pipeline_catalog
from kadence.pipeline.api import router as pipeline
from kadence.planning.api import targets
from kadence.rhythm.api import routers as rhythm
from kadence.transfer.api import imports_router as imports
from kadence.transfer.api import router as exports

logger = logging.getLogger("django.request")  # where Django logs its own 500s (and mails ADMINS, if set)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def operation_errors(
    *, authenticated: bool, write: bool, field_names: set[str], path_params: bool
) -> set[int]:
    """The error statuses an operation can answer, from what it takes (one rule for every operation):
    422 always (invalid parameters or body); 401 when it needs a signed-in user or a token; 404 when it
    names records (a path id, or a `..._id(s)` field: missing and invisible answer the same); 403 and 409
    when it writes (allowed to see but not to change; a stale `version`, a gate not met, a duplicate or a
    race with another write)."""
    errors = {422}
    if authenticated:
        errors.add(401)
    if path_params or any(name.endswith(("_id", "_ids")) for name in field_names):
        errors.add(404)
    if write:
        errors |= {403, 409}
    return errors


class KadenceOpenAPISchema(OpenAPISchema):
    """ninja's OpenAPI document with each operation's real error statuses (see `operation_errors`),
    each answering `ErrorOut`, instead of the blanket list of 4xx statuses the routes declare; and
    `collisions`: component names that two different schemas would share. ninja keys components by
    class name only, so the last schema of that name would silently describe both."""

    def __init__(self, api: NinjaAPI, path_prefix: str) -> None:
        self.collisions: dict[str, list[dict[str, Any]]] = {}
        super().__init__(api, path_prefix)

    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details = super().operation_details(operation)
        parameters = details.get("parameters", [])
        errors = operation_errors(
            authenticated=bool(operation.auth_callbacks),
            write=bool(UNSAFE_METHODS & set(operation.methods)),
            field_names={p["name"] for p in parameters} | self._body_fields(details.get("requestBody")),
            path_params=any(p["in"] == "path" for p in parameters),
        )
        responses = {
            status: answer for status, answer in details["responses"].items() if not 400 <= int(status) < 500
        }
        for status in sorted(errors):
            responses[status] = {
                "description": HTTP_DETAILS[status](),
                "content": {self.api.renderer.media_type: {"schema": ERROR_REF}},
            }
        details["responses"] = responses
        return details

    def get_paths(self) -> dict[str, Any]:
        paths = super().get_paths()
        operations = [(path, operation) for path, methods in paths.items() for operation in methods.values()]
        for path, source in operations:
            for status, answer in source["responses"].items():
                if 200 <= int(status) < 300 and (links := self._links(path, source, answer, operations)):
                    answer["links"] = links
        return paths

    def _links(
        self,
        path: str,
        source: dict[str, Any],
        answer: dict[str, Any],
        operations: list[tuple[str, dict[str, Any]]],
    ) -> dict[str, Any]:
        """OpenAPI links from an answer that carries a record (or a page of records: the first one) to
        the operations on it, `<path>/{x}` and below, with `x` = the record's id and, for a write on
        the record itself, `version` = its version. Clients see what follows what; the fuzzer's
        stateful phase creates or lists a record and then works on it."""
        schema = self._resolve(
            answer.get("content", {}).get(self.api.renderer.media_type, {}).get("schema", {})
        )
        record, pointer = schema.get("properties", {}), "$response.body#"
        if "id" not in record and "items" in record:
            record, pointer = (
                self._resolve(record["items"].get("items", {})).get("properties", {}),
                pointer + "/items/0",
            )
        if "id" not in record:
            return {}
        known = {p["name"] for p in source["parameters"] if p["in"] == "path"}
        links = {}
        for target_path, target in operations:
            match = re.fullmatch(re.escape(path) + r"/\{(\w+)\}(/[^{}]*)?((?:/.*)?)", target_path)
            if not match:
                continue
            name, nested = match.group(1), match.group(3)
            others = {p["name"] for p in target["parameters"] if p["in"] == "path"} - {name}
            if not others <= known:
                continue
            link: dict[str, Any] = {
                "operationId": target["operationId"],
                "parameters": {
                    name: f"{pointer}/id",
                    **{other: f"$request.path.{other}" for other in sorted(others)},
                },
            }
            if (
                not nested
                and "version" in record
                and "version" in self._body_fields(target.get("requestBody"))
            ):
                link["requestBody"] = {"version": f"{pointer}/version"}
            links[target["operationId"]] = link
        return links

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            return self.schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return schema

    def get_components(self) -> dict[str, Any]:
        self.add_schema_definitions({"ErrorOut": ErrorOut.model_json_schema(mode="serialization")})
        return super().get_components()

    def _body_fields(self, body: dict[str, Any] | None) -> set[str]:
        for media in (body or {}).get("content", {}).values():
            return set(self._resolve(media.get("schema", {})).get("properties", {}))
        return set()

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        for name, schema in definitions.items():
            known = self.schemas.get(name)
            if known is not None and json.dumps(known, sort_keys=True) != json.dumps(schema, sort_keys=True):
                self.collisions.setdefault(name, [known]).append(schema)
        super().add_schema_definitions(definitions)


# ninja names an operation after the module that defines it ("kadence_pipeline_api_move_opportunity").
# Clients generated from the document know the operations by these names, so an endpoint that moved to
# another module keeps the name of the module it was first defined in (issue 9 moved these).
OPERATION_ID_MODULES = {
    "kadence.planning.api.targets": "kadence.insights.api.targets",
    "kadence.insights.api.ideal": "kadence.insights.api.targets",
}


class KadenceAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        return f"{OPERATION_ID_MODULES.get(module, module)}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> KadenceOpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return KadenceOpenAPISchema(self, path_prefix)


api = KadenceAPI(
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
# Plans and the reports on them, in the order the API documentation lists them.
reports = [
    funnel.router,
    changes.router,
    stalled.router,
    targets.router,
    ideal.router,
    forecast.router,
    calibration.router,
]
for extra_router in [*deal_control, *reports]:
    api.add_router("", extra_router)
api.add_router("", exports)
api.add_router("", imports)
for rhythm_router in rhythm:
    api.add_router("", rhythm_router)
for performance_router in performance:
    api.add_router("", performance_router)
for keyaccounts_router in keyaccounts:
    api.add_router("", keyaccounts_router)
api.add_router("", accounts_catalog)
api.add_router("", pipeline_catalog)

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_failed",
    429: "throttled",
    500: "server_error",
}
# What each status means to a client, for answers that carry no message of their own (and the docs).
HTTP_DETAILS: dict[int, Callable[[], str]] = {
    400: lambda: _("The request could not be read."),
    401: lambda: _("Sign in, or send a valid API token as 'Authorization: Bearer <token>'."),
    403: lambda: _("You may not do this."),
    404: lambda: _("Not found."),
    405: lambda: _("This address does not take this method."),
    409: lambda: _("The record changed or does not allow this now; reload it and try again."),
    413: lambda: _("The request body is too large."),
    422: lambda: _("Invalid input."),
    429: lambda: _("Too many requests; wait a moment and try again."),
    500: lambda: _("Something went wrong on our side. It has been logged; please try again later."),
}


def status_detail(status: int) -> str:
    return HTTP_DETAILS[status]() if status in HTTP_DETAILS else _("The request failed.")


def status_code(status: int) -> str:
    return HTTP_CODES.get(status, "server_error" if status >= 500 else "error")


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
    response = _error(request, 401, status_detail(401), "not_authenticated")
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
    return _error(request, exc.status_code, str(exc), status_code(exc.status_code))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."), "not_found")


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, status_detail(413), "too_large")


@api.exception_handler(MultiPartParserError)
def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A form or upload body Django cannot take apart (e.g. multipart without a boundary): invalid
    input, like a body that is not JSON."""
    return _error(
        request,
        422,
        _("The request body is not valid form data."),
        "validation_failed",
        errors=[{"loc": ["body"], "msg": _("Invalid form data."), "type": "multipart_invalid"}],
    )


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 400, status_detail(400), "bad_request")


@api.exception_handler(DjangoPermissionDenied)
def django_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return _error(request, 403, status_detail(403), "permission_denied")


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything unexpected: logged with its traceback and signalled as Django does for its own 500s
    (error reporters and the test client listen), answered without internals. A statement the
    database cancelled at the web time limit is no bug: 503 too_slow, not logged as an error."""
    too_slow = as_too_slow(exc)
    if too_slow is not None:
        logger.warning("Statement timeout: %s", request.path)
        return api.create_response(request, too_slow.as_dict(), status=too_slow.status)
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    got_request_exception.send(sender=None, request=request)
    return _error(request, 500, status_detail(500), "server_error")


# Last: any other path under /api/ answers a JSON 404 (not the HTML page of the site).
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> None:
    raise Http404


api.add_router("", fallback)


class ApiErrorsMiddleware:
    """Every error answer under /api/ is JSON {"detail", "code"}, also those that never reach an API
    handler: 405 from the URL's method check, 400 for a request Django refuses (a bad Host header, a
    body it cannot parse), 500 from a failure in a middleware. Answers that are JSON already pass
    unchanged; headers such as Allow and WWW-Authenticate are kept. First in MIDDLEWARE, so that it
    sees every other layer's answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path_info):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        body = {"detail": status_detail(status), "code": status_code(status)}
        answer = HttpResponse(json.dumps(body), status=status, content_type="application/json; charset=utf-8")
        for header in ("Allow", "WWW-Authenticate", "Retry-After", "Vary"):
            if header in response:
                answer[header] = response[header]
        return answer


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")
