"""Optimistic concurrency: a write names the version it was based on; a stale one is refused."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.errors import Conflict, ValidationFailed


def require_version(version: Any) -> int:
    """`version` as given by the writer, or ValidationFailed (422, code "version_required") when it
    is missing: every change to a versioned record names the version it was based on."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationFailed(
            _("Say which version you are changing (the version you read)."),
            {"version": [_("This field is required.")]},
            code="version_required",
        )
    return version


def versioned_update(obj: Model, expected_version: int, values: dict[str, Any]) -> None:
    """UPDATE obj's row with `values` only if its version is still `expected_version`, the version
    the writer read. Bumps the version and `updated_at`, and refreshes `obj`. A write without a
    version is refused: defaulting to the version just read would overwrite someone else's change
    silently (DESIGN rule 4)."""
    expected = require_version(expected_version)
    model = type(obj)
    payload = {**values, "version": F("version") + 1}
    if hasattr(obj, "updated_at"):
        payload["updated_at"] = timezone.now()
    updated = model._default_manager.filter(pk=obj.pk, version=expected).update(**payload)
    if not updated:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise Conflict(
            _(
                "This record was changed by someone else (version %(current)s, you edited version %(yours)s). "
                "Reload it and apply your change again."
            )
            % {"current": current, "yours": expected},
            current_version=current,
        )
    for field, value in {**payload, "version": expected + 1}.items():
        setattr(obj, field, value)
