"""Answer parts that several report endpoints share. One class per shape: the OpenAPI document names
its components by class name, so two classes of one name would describe each other's answers."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from kadence.core.visibility import Scope


class ScopeOut(Schema):
    """Whose figures a report shows."""

    kind: str = Field(
        description='"owner" (one seller), "unit" (a unit subtree) or "all" (all of your scope).'
    )
    label: str
    unit_id: int | None
    owner_id: int | None


def scope_out(scope: Scope) -> dict[str, Any]:
    """A report's scope as ScopeOut answers it."""
    return {
        "kind": scope.kind,
        "label": scope.label,
        "unit_id": scope.unit.pk if scope.unit else None,
        "owner_id": scope.owner.pk if scope.owner else None,
    }


class TemplateRef(Schema):
    id: int
    code: str
    name: str
