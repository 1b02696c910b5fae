"""Post-redirect-get for forms that fail.

A page form whose service refuses it (a gate not met, a stale version, bad input) used to render the
page again as the answer to the POST: the address bar kept the POST's URL and a reload asked to send
the form again. Instead the POST keeps what was posted and the error in the session and answers
303 See Other to the page; the page's GET takes them back (once) and shows the form again, filled in,
with the message in place. A reload then shows the page as it is, and nothing is resent.

Kept: the posted fields (never the CSRF token, never files: a browser cannot refill a file input
anyway), the POST view's URL name and arguments (which form failed), and the error's detail, code,
status and extra fields (`errors`, `missing`, `current_version`), as JSON in the session.

A form page does it in two calls: its POST answers with `form_post` (validate the form, call the
service, redirect on success; a form that fails its own validation is refused like a service
refusal), its GET asks `refill` for the form that failed: bound again to what was posted, so that
is_valid() shows its own field and non-field errors again, with the service's refusal placed on it
(`place_error`, the one form-error adapter) and the refusal's 4xx status for the page. A page with
several forms uses `pop_failed_post` and `rebind` (the slot says which form failed). `create_page`
and `edit_page` are the two calls together; `edit_page` is the one conflict pattern (the input kept,
the form rebased, the values saved meanwhile shown beside it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from kadence.core.errors import (
    Conflict,
    DomainError,
    GateNotMet,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SESSION_KEY = "kadence_failed_post"
# Refusals that are no form's failure: the record is not there (or not the user's to see), or not the
# user's to change. They answer with their error page (kadence.core.error_pages), never by PRG.
ERROR_PAGES: tuple[type[DomainError], ...] = (NotFound, PermissionDenied)
NOT_KEPT = frozenset({"csrfmiddlewaretoken"})
INVALID_FORM = _("Please correct the highlighted fields.")

F = TypeVar("F", bound=forms.BaseForm)


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
        "error": {
            "detail": error.detail,
            "code": error.code,
            "status": error.status,
            "extra": _plain(error.extra),
        },
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
        error: DomainError = ValidationFailed(
            stored["detail"], extra.pop("errors", None), code=stored["code"], **extra
        )
    else:
        kind = next(
            (k for k in (Conflict, GateNotMet, NotFound, PermissionDenied) if k.code == stored["code"]),
            DomainError,
        )
        error = kind(stored["detail"], code=stored["code"], **extra)
    error.status = stored["status"]
    return error


# --- form pages ----------------------------------------------------------------------------------


def invalid_form_error(form: forms.BaseForm) -> ValidationFailed:
    """A form that failed its own validation, as the refusal to keep (its messages by field)."""
    return ValidationFailed(INVALID_FORM, {field: list(messages) for field, messages in form.errors.items()})


def redirect_invalid_form(request: HttpRequest, to: str, form: forms.BaseForm) -> HttpResponseRedirect:
    """A form refused by its own validation (no service was called): kept and redirected like a
    service's refusal; the page's GET validates it again, so its messages come back (refill)."""
    return redirect_after_failure(request, to, invalid_form_error(form))


def refuse(
    request: HttpRequest,
    back: str,
    error: DomainError,
    *,
    error_pages: tuple[type[DomainError], ...] = ERROR_PAGES,
) -> HttpResponse:
    """The answer to a post a service refused with `error`: a refusal of the kinds in `error_pages`
    is raised again, for its error page (DomainErrorPageMiddleware); any other is kept and answered
    303 to `back` (the page the form was on), whose GET shows it (post-redirect-get)."""
    if isinstance(error, error_pages):
        raise error
    return redirect_after_failure(request, back, error)


def action_post(
    request: HttpRequest, run: Callable[[], Any], *, back: str, done: StrOrPromise
) -> HttpResponse:
    """The POST of an action whose input needs no form of its own to validate: `run()` the service
    call, then back to `back` with the message `done`; refused, as `refuse` says."""
    try:
        run()
    except DomainError as exc:
        return refuse(request, back, exc)
    flash.success(request, done)
    return HttpResponseRedirect(back)


def form_post(
    request: HttpRequest,
    form: F,
    save: Callable[[F], Any],
    *,
    back: str,
    done: Callable[[Any], HttpResponse],
    error_pages: tuple[type[DomainError], ...] = ERROR_PAGES,
) -> HttpResponse:
    """The POST of a form page: validate `form`, `save(form)` through the service and answer
    `done(result)` (a redirect with a message). Refused (the form's own validation, or a domain
    error): kept, and 303 to `back` (the form's page, with its query string), whose GET shows the
    form again (refill). A refusal of the kinds in `error_pages` (the record is not there, or not
    the user's to change) is not a form's failure: its error page answers."""
    if not form.is_valid():
        return redirect_invalid_form(request, back, form)
    try:
        result = save(form)
    except DomainError as exc:
        return refuse(request, back, exc, error_pages=error_pages)
    return done(result)


def field_for(form: forms.BaseForm, key: str) -> str | None:
    """The form field a service's error key names, or None: the form's own `error_field(key)` when it
    names fields its own way (a C139 answer "answers.C3.confirmed_on" is the field "C3-date"), else
    its `service_fields` (service keyword → field), else by name (`account_id` is the field
    `account`, `contact_ids` the field `contacts`)."""
    own = getattr(form, "error_field", None)
    if own is not None:
        return own(key)
    named = getattr(form, "service_fields", {}).get(key)
    if named in form.fields:
        return named
    for candidate in (key, key.removesuffix("_id"), key.removesuffix("_ids") + "s"):
        if candidate in form.fields:
            return candidate
    return None


def place_error(form: forms.BaseForm, error: DomainError, *, detail: bool = True) -> None:
    """The one way a refusal goes on its form: the detail above it (unless `detail` is False: the page
    shows it beside the form), each of the service's messages (a ValidationFailed's `errors`) next to
    the field its key names (field_for; a field showing an error already keeps that one), above the
    form when no field matches."""
    if detail:
        form.add_error(None, error.detail)
    for key, messages in (getattr(error, "errors", None) or {}).items():
        name = field_for(form, key)
        if name is not None and form.has_error(name):
            continue
        for message in messages:
            form.add_error(name, message)


def place_field_errors(form: forms.BaseForm, error: DomainError) -> None:
    """place_error for a page that shows the refusal's detail itself (core/_error.html)."""
    place_error(form, error, detail=False)


Place = Callable[[Any, DomainError], None]


def rebase(form: F, version: int | None, field: str = "version") -> F:
    """`form` (bound) with its hidden version set to `version`, the record's as now shown: sending it
    again is a decision taken with the refusal (and the saved values) in view."""
    data = form.data.copy()
    data[form.add_prefix(field)] = "" if version is None else str(version)
    form.data = data
    return form


def show_refused(form: F, error: DomainError, *, place: Place | None = place_error) -> F:
    """A refused form, bound to what was posted, validated again (its own errors come back) and,
    unless its own validation was the refusal, with the refusal placed on it by `place`."""
    own_refusal = not form.is_valid() and isinstance(error, ValidationFailed)
    if place is not None and not own_refusal:
        place(form, error)
    return form


def rebind(
    failed: FailedPost,
    make: Callable[[QueryDict], F],
    *,
    version: int | None = None,
    place: Place | None = place_error,
) -> F:
    """The form that failed, built by `make(data)` from what was posted and shown as show_refused
    says. With `version`, rebased on it (when the form has a version)."""
    form = make(failed.data.copy())
    if version is not None and form.add_prefix("version") in form.data:
        rebase(form, version)
    return show_refused(form, failed.error, place=place)


@dataclass(frozen=True)
class Refill(Generic[F]):
    """A form page's GET after its form was refused: the form filled in again, and the refusal."""

    form: F
    error: DomainError

    @property
    def status(self) -> int:
        """The page's status: the refusal's (422, 409, 403…), as the refused post had, so that what
        shows the error is a 4xx; a reload gets the page as it is, 200."""
        return self.error.status


def refill(
    request: HttpRequest,
    make: Callable[[QueryDict], F],
    *,
    current_version: int | None = None,
    place: Place | None = place_error,
) -> Refill[F] | None:
    """The refused form of this page (once), or None. After a stale version (Conflict) the form is
    rebased on `current_version`, the record's now; after other refusals it keeps the version it
    was posted with, so that a change made meanwhile is still caught."""
    failed = pop_failed_post(request)
    if failed is None:
        return None
    version = current_version if isinstance(failed.error, Conflict) else None
    return Refill(rebind(failed, make, version=version, place=place), failed.error)


# --- conflicts: the one way a page shows a stale write --------------------------------------------


def conflict_rows(form: forms.BaseForm, current: Any) -> list[tuple[str, str, str]]:
    """(label, value saved now, value in this form) for every field of the refused `form` whose
    value differs from the record `current` as saved now: what the user looks at before saving over
    someone else's change. Hidden fields and fields the record has no attribute for are left out; a
    many-to-many is compared by its ids."""
    rows = []
    cleaned = getattr(form, "cleaned_data", {})
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput) or name not in cleaned or not hasattr(current, name):
            continue
        saved, mine = getattr(current, name), cleaned[name]
        if hasattr(saved, "all"):  # a many-to-many: the ids saved against the ids chosen
            saved_ids = sorted(item.pk for item in saved.all())
            mine_ids = sorted(getattr(item, "pk", item) for item in (mine or []))
            if saved_ids != mine_ids:
                names = dict(getattr(field, "choices", []) or [])
                rows.append(
                    (
                        str(form[name].label),
                        ", ".join(str(names.get(i, i)) for i in saved_ids) or "—",
                        ", ".join(str(names.get(i, i)) for i in mine_ids) or "—",
                    )
                )
        elif _display(field, saved) != _display(field, mine):
            rows.append((str(form[name].label), _display(field, saved), _display(field, mine)))
    return rows


def _display(field: forms.Field, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if value in (None, ""):
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    choices = dict(getattr(field, "choices", []) or [])
    if isinstance(value, list | tuple):
        return ", ".join(str(choices.get(v, v)) for v in value) or "—"
    return str(choices.get(value, value))


def place_unless_conflict(form: forms.BaseForm, error: DomainError) -> None:
    """place_error, except for a stale version: the conflict (core/_conflict.html) shows that."""
    if not isinstance(error, Conflict):
        place_error(form, error)


# --- form pages ---------------------------------------------------------------------------------


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where a form sends the user after saving: its `next` parameter when it is a page of this site
    (never another host: no open redirect), else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def saved(request: HttpRequest, message: str, to: str) -> HttpResponse:
    """A form saved: the message, and the page `to`."""
    flash.success(request, message)
    return HttpResponseRedirect(to)


def create_page(
    request: HttpRequest,
    make: Callable[..., Any],
    initial: dict[str, Any],
    *,
    save: Callable[[Any], Any],
    done: Callable[[Any], HttpResponse],
    page: Callable[[Any, int], HttpResponse],
    back: str | None = None,
    error_pages: tuple[type[DomainError], ...] = ERROR_PAGES,
) -> HttpResponse:
    """A form that creates a record: POST saves through the service (form_post: refused, back to
    `back`, by default this page's address, by post-redirect-get); GET shows the empty form, or the
    refused one filled in again with its messages and the refusal's status."""
    if request.method == "POST":
        return form_post(
            request,
            make(request.POST),
            save,
            back=back or request.get_full_path(),
            done=done,
            error_pages=error_pages,
        )
    refilled = refill(request, make, place=place_unless_conflict)
    if refilled is None:
        return page(make(None, initial=initial), 200)
    return page(refilled.form, refilled.status)


def edit_page(
    request: HttpRequest,
    make: Callable[..., Any],
    initial: Callable[[], dict[str, Any]],
    *,
    version: int,
    reload: Callable[[], Any],
    save: Callable[[Any], Any],
    done: Callable[[Any], HttpResponse],
    page: Callable[[Any, dict[str, Any] | None, int], HttpResponse],
) -> HttpResponse:
    """An edit form that carries the version it read: the one conflict pattern. POST: as
    create_page. GET: the record's values, or the refused form filled in again; after a stale
    version the user's input is kept, the form is rebased on the record's current `version` and the
    page gets `conflict` ({"detail", "rows": conflict_rows against `reload()`}, shown by
    core/_conflict.html): nothing was written, and saving again is a deliberate choice made with
    the saved values in view."""
    if request.method == "POST":
        return form_post(request, make(request.POST), save, back=request.get_full_path(), done=done)
    refilled = refill(request, make, current_version=version, place=place_unless_conflict)
    if refilled is None:
        return page(make(None, initial=initial()), None, 200)
    conflict = None
    if isinstance(refilled.error, Conflict):
        conflict = {"detail": refilled.error.detail, "rows": conflict_rows(refilled.form, reload())}
    return page(refilled.form, conflict, refilled.status)
