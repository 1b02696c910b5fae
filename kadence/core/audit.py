"""Field audit trail: write one AuditEntry per changed field, inside the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kadence.core.models import AuditEntry, User


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(getattr(value, "pk", value))


def audit_changes(
    entity: str, entity_id: int, changes: dict[str, tuple[Any, Any]], actor: User | None, reason: str = ""
) -> list[AuditEntry]:
    """Record `changes` ({field: (old, new)}); unchanged pairs are skipped."""
    return AuditEntry.objects.bulk_create(_entries(entity, {entity_id: changes}, actor, reason))


def _entries(
    entity: str, changes: dict[int, dict[str, tuple[Any, Any]]], actor: User | None, reason: str
) -> list[AuditEntry]:
    now = timezone.now()
    return [
        AuditEntry(
            entity=entity,
            entity_id=entity_id,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
            actor=actor,
            at=now,
            reason=reason[:500],
        )
        for entity_id, fields in changes.items()
        for field, (old, new) in fields.items()
        if _text(old) != _text(new)
    ]


def audit_many(
    entity: str, changes: dict[int, dict[str, tuple[Any, Any]]], actor: User | None, reason: str = ""
) -> int:
    """Record the changes of many records of one entity ({id: {field: (old, new)}}) in one insert —
    for set-based writes (a target grid saves thousands of rows at once). Returns the entries written."""
    rows = _entries(entity, changes, actor, reason)
    AuditEntry.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def diff(obj: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Pairs (current, proposed) for the fields of `values` that differ on `obj`."""
    return {f: (getattr(obj, f), v) for f, v in values.items() if _text(getattr(obj, f)) != _text(v)}
