"""Sizing-input writes (issue 14 §6): a unit's own inputs (hours per activity, selling hours per rep a
month, optionally activities per won deal) or the company default. Atomic, audited, row locked,
optimistic `version` (a stale write is a 409)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes, diff
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import can_set_sizing, visible_units
from kadence.performance.sizing.models import SizingAssumption

ENTITY = "performance.sizingassumption"
LIMITS = {  # field → (lowest, highest) accepted
    "hours_per_activity": (Decimal("0.01"), Decimal("100")),
    "selling_hours_per_month": (Decimal("0"), Decimal("744")),  # the hours of a 31-day month
    "activities_per_won_deal": (Decimal("0"), Decimal("10000")),
}
PLACES = Decimal("0.01")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        if field not in LIMITS:
            errors[field] = [_("Not editable.")]
            continue
        if value is None or value == "":
            if field == "activities_per_won_deal":
                clean[field] = None  # from history
            else:
                errors[field] = [_("This field is required.")]
            continue
        try:
            number = Decimal(str(value)).quantize(PLACES, ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            errors[field] = [_("Enter a number.")]
            continue
        low, high = LIMITS[field]
        if not low <= number <= high:
            errors[field] = [_("From %(low)s to %(high)s.") % {"low": low, "high": high}]
            continue
        clean[field] = number
    if errors:
        raise ValidationFailed(_("Check the sizing inputs."), errors)
    return clean


def _unit(user: User, unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = visible_units(user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("Unknown unit."))
    return unit


@transaction.atomic
def sizing_set(user: User, unit_id: int | None, *, version: int | None, **values: Any) -> SizingAssumption:
    """Set the sizing inputs of a unit (None: the company default). A unit without its own row gets one
    (`version` None; it then no longer follows its ancestors' row); a row that exists is changed with the
    `version` read (409 when stale, or when a row was created meanwhile)."""
    unit = _unit(user, unit_id)
    if not can_set_sizing(user, unit):
        raise PermissionDenied(_("You may not set the sizing inputs of this unit."))
    clean = _clean(values)
    rows = SizingAssumption.objects.select_for_update()
    row = (
        rows.filter(unit=unit) if unit is not None else rows.filter(unit__isnull=True).order_by("pk")
    ).first()
    if row is None:
        if version is not None:
            raise Conflict(_("These inputs were removed meanwhile; reload the page."), current_version=None)
        try:
            with transaction.atomic():
                row = SizingAssumption.objects.create(unit=unit, **clean)
        except IntegrityError as exc:  # a concurrent create of the same unit's row
            raise Conflict(
                _("Someone set these inputs meanwhile; reload the page."), code="duplicate"
            ) from exc
        audit_changes(ENTITY, row.pk, {k: (None, v) for k, v in clean.items()}, user, reason="created")
        return row
    if version is None:
        raise Conflict(
            _("This unit already has its own inputs; change those (with their version)."),
            code="duplicate",
            current_version=row.version,
        )
    version = require_version(version)
    changes = diff(row, clean)
    versioned_update(row, version, clean)
    audit_changes(ENTITY, row.pk, changes, user)
    return row


@transaction.atomic
def sizing_reset(user: User, unit_id: int, *, version: int | None) -> None:
    """Remove a unit's own inputs: it follows its nearest ancestor's row (or the default) again."""
    unit = _unit(user, unit_id)
    if not can_set_sizing(user, unit):
        raise PermissionDenied(_("You may not set the sizing inputs of this unit."))
    checked = require_version(version)
    row = SizingAssumption.objects.select_for_update().filter(unit=unit).first()
    if row is None:
        raise NotFound(_("This unit has no inputs of its own."))
    if row.version != checked:
        raise Conflict(
            _("These inputs were changed by someone else; reload them."), current_version=row.version
        )
    audit_changes(ENTITY, row.pk, {f: (getattr(row, f), None) for f in LIMITS}, user, reason="deleted")
    row.delete()
