"""Answer parts that several report endpoints share. One class per shape: the OpenAPI document names
its components by class name, so two classes of one name would describe each other's answers."""

from __future__ import annotations

from ninja import Field, Schema


class ScopeOut(Schema):
    """Whose figures a report shows."""

    kind: str = Field(
        description='"owner" (one seller), "unit" (a unit subtree) or "all" (all of your scope).'
    )
    label: str
    unit_id: int | None
    owner_id: int | None


class TemplateRef(Schema):
    id: int
    code: str
    name: str
