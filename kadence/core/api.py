"""API authentication (bearer tokens for clients, the Django session for the browser) and the
organisation endpoints: users, the signed-in user, the org tree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from ninja.responses import codes_4xx
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from kadence.core.errors import PermissionDenied
from kadence.core.models import ApiToken, User
from kadence.core.pagination import paginate
from kadence.core.schemas import ErrorOut, Id, MeOut, PageOut, PageQuery, UnitOut, UserOut, page_out
from kadence.core.visibility import assignable_users, visible_units, visible_users

# last_used_at is informative; writing it on every request would turn every read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class ApiRequest(HttpRequest):
    """The request an endpoint receives: the API's authentication (ApiTokenAuth or BrowserSessionAuth,
    config/api.py) accepted it and ninja set `auth` to the signed-in user. For annotations: ninja hands
    the endpoint Django's request itself."""

    auth: User


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token issued to an active user and not revoked."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.hash(token), revoked=False, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        user = row.user
        request.user = user
        if user.language:
            # What UserLanguageMiddleware does for a session, for a token client.
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return user


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser's Django session. Unsafe methods need the CSRF token; a request with
    no session at all is simply unauthenticated (401), not a CSRF failure."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed(
                _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value.")
            )
        return request.COOKIES.get(self.param_name)


router = Router(tags=["organisation"])


class UserQuery(PageQuery):
    q: str = Field("", max_length=100, description="Part of the username or display name.")
    role: Literal[tuple(User.Role.values)] | None = None  # type: ignore[valid-type]
    org_unit_id: Id | None = Field(None, description="Members of this unit and the units below it.")
    assignable: bool = Field(False, description="Only people you may give an account or a deal to.")


@router.get("/users", response={200: PageOut[UserOut], codes_4xx: ErrorOut})
def list_users(request: ApiRequest, query: Query[UserQuery]) -> dict[str, Any]:
    """Colleagues (active users), with their role and unit; filter by name, role, unit subtree, or
    to those you may assign records to."""
    base = assignable_users if query.assignable else visible_users
    qs = base(request.auth).select_related("org_unit")
    if query.q:
        qs = qs.filter(Q(username__icontains=query.q) | Q(display_name__icontains=query.q))
    if query.role:
        qs = qs.filter(role=query.role)
    if query.org_unit_id:
        unit = visible_units(request.auth).filter(pk=query.org_unit_id).first()
        qs = qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()
    return page_out(paginate(qs.order_by("username", "id"), query.page, query.page_size))


@router.get("/users/me", response={200: MeOut, codes_4xx: ErrorOut})
def me(request: ApiRequest) -> User:
    """The signed-in user (or the owner of the token)."""
    return request.auth


@router.get("/teams", response={200: list[UnitOut], codes_4xx: ErrorOut})
def list_teams(request: ApiRequest) -> Any:
    """The organisation tree as rows (company, regions, teams), in tree order (by `path`)."""
    return visible_units(request.auth).order_by("path")
