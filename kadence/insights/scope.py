"""What a report covers (METHODOLOGY §8.5: rep → team → region → company). Every funnel, forecast and
analysis report resolves its scope here, from the user and optional `unit_id` / `owner_id`:

- a seller (rep, inside sales) sees only their own deals: the scope is always themselves;
- a manager or director: by default everything in their managed units; `unit_id` narrows to a unit of
  theirs (and the units below it), `owner_id` to one seller in their units;
- an admin: by default the company; any unit or seller.

A unit or seller outside the user's reach answers NotFound (404), as an invisible record does.
Reports count deals by their owner's team (`Opportunity.team`); deal-team memberships do not put a
deal into a report's scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kadence.core.errors import NotFound
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import scope_unit_ids


@dataclass(frozen=True)
class Scope:
    """A report's scope: one seller (`owner`), one unit subtree (`unit`), or — both None — all
    units in `unit_ids` (None = the whole company)."""

    owner: User | None = None
    unit: OrgUnit | None = None
    unit_ids: frozenset[int] | None = None

    @property
    def label(self) -> str:
        if self.owner is not None:
            return self.owner.label
        if self.unit is not None:
            return self.unit.name
        return _("Everything in your scope") if self.unit_ids is not None else _("Company")

    @property
    def kind(self) -> str:
        return "owner" if self.owner is not None else "unit" if self.unit is not None else "all"

    def q(self, prefix: str = "") -> Q:
        """A filter on a model with `owner` and `team` (or `<prefix>owner`, `<prefix>team`)."""
        if self.owner is not None:
            return Q(**{f"{prefix}owner_id": self.owner.pk})
        if self.unit is not None:
            return Q(**{f"{prefix}team__path__startswith": self.unit.path})
        if self.unit_ids is not None:
            return Q(**{f"{prefix}team_id__in": sorted(self.unit_ids)})
        return Q()

    def filter(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        return qs.filter(self.q(prefix))


def resolve_scope(user: User, *, unit_id: int | None = None, owner_id: int | None = None) -> Scope:
    """The scope `user` asked for, checked against what they may see (NotFound otherwise)."""
    if user.is_seller:
        if owner_id not in (None, user.pk) or unit_id is not None:
            raise NotFound(_("You can only see your own figures."))
        return Scope(owner=user)
    units = scope_unit_ids(user)  # None = everything (admin)
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id).first()
        in_reach = owner is not None and (owner.pk == user.pk or units is None or owner.org_unit_id in units)
        if not in_reach:
            raise NotFound(_("Unknown seller."))
        return Scope(owner=owner)
    if unit_id is not None:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None or (units is not None and unit.pk not in units):
            raise NotFound(_("Unknown unit."))
        return Scope(unit=unit)
    return Scope(unit_ids=frozenset(units) if units is not None else None)
