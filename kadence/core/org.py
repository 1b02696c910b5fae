"""Org-tree maintenance."""

from __future__ import annotations

from django.db import transaction

from kadence.core.models import OrgUnit


@transaction.atomic
def orgunit_rebuild_paths() -> int:
    """Recompute every unit's materialised path from its parent chain; returns units changed."""
    units = {u.pk: u for u in OrgUnit.objects.select_for_update().all()}
    changed = 0

    def path_of(unit: OrgUnit, seen: frozenset[int] = frozenset()) -> str:
        if unit.pk in seen:
            raise ValueError("cycle in the organisation tree")
        parent = units.get(unit.parent_id) if unit.parent_id else None
        return (path_of(parent, seen | {unit.pk}) if parent else "/") + f"{unit.pk}/"

    for unit in units.values():
        path = path_of(unit)
        if unit.path != path:
            OrgUnit.objects.filter(pk=unit.pk).update(path=path)
            changed += 1
    return changed
