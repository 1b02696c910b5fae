"""What every page's navigation needs to know of the user (the predicates of kadence.core.visibility)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kadence.core.visibility import can_import


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"may_import": bool(user is not None and user.is_authenticated and can_import(user))}
