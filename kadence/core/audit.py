"""Field audit trail: write one AuditEntry per changed field, inside the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kadence.core.bulk import insert_rows
from kadence.core.models import AuditEntry, User


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(getattr(value, "pk", value))


# The columns of an entry, in the order _rows gives them.
FIELDS = ("entity", "entity_id", "field", "old_value", "new_value", "actor_id", "at", "reason")


def audit_changes(
    entity: str, entity_id: int, changes: dict[str, tuple[Any, Any]], actor: User | None, reason: str = ""
) -> list[AuditEntry]:
    """Record `changes` ({field: (old, new)}); unchanged pairs are skipped."""
    rows = _rows(entity, {entity_id: changes}, actor, reason)
    return AuditEntry.objects.bulk_create([AuditEntry(**dict(zip(FIELDS, row, strict=True))) for row in rows])


def _rows(
    entity: str, changes: dict[int, dict[str, tuple[Any, Any]]], actor: User | None, reason: str
) -> list[tuple]:
    """The entries of `changes` as column tuples (FIELDS), the unchanged pairs left out."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    reason = reason[:500]
    return [
        (entity, entity_id, field, old_text, new_text, actor_id, now, reason)
        for entity_id, fields in changes.items()
        for field, (old, new) in fields.items()
        if (old_text := _text(old)) != (new_text := _text(new))
    ]


def audit_many(
    entity: str, changes: dict[int, dict[str, tuple[Any, Any]]], actor: User | None, reason: str = ""
) -> int:
    """Record the changes of many records of one entity ({id: {field: (old, new)}}) in one write (COPY
    on PostgreSQL) — for set-based writes (a target grid saves thousands of rows at once). Returns the
    entries written."""
    rows = _rows(entity, changes, actor, reason)
    insert_rows(AuditEntry, FIELDS, rows)
    return len(rows)


def diff(obj: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Pairs (current, proposed) for the fields of `values` that differ on `obj`."""
    return {f: (getattr(obj, f), v) for f, v in values.items() if _text(getattr(obj, f)) != _text(v)}
