"""Who sees and may change what — the one place that decides it (DESIGN rule 3), for lists and
records and for reports.

Two rules, side by side:

- **Lists, records, detail pages, the API and exports** (`visible_*`, `access_*`, `can_*`): a sales
  rep or inside-sales rep sees what they own, or are on the deal team of; a manager sees everything
  of the units they manage (default: their own team), subtree included; a director likewise for
  their region(s); an admin sees everything (METHODOLOGY §0).
- **Reports** (`resolve_scope` → `Scope`: funnel, forecast, targets, analysis, stalled deals) count
  deals by their owner and the owner's team (`Opportunity.team`), never by deal-team membership: a
  seller's report is their own deals; a manager's or director's is their managed units (or one unit
  or seller of them); an admin's is the company (METHODOLOGY §8.5). A deal a rep sees in their
  lists because they are on its deal team is not in their figures: the figures belong to its owner.

Writes: the owner, a manager or director whose scope holds the record, or an admin. Being on a
deal team gives read access, not write access. Reassigning an opportunity needs a manager or above.

Every list, detail, API endpoint, export and aggregate starts from a `visible_*` queryset or an
`access_*` getter here, every report from `resolve_scope`. A record (or a unit, or a seller) that is
not visible answers "not found", exactly like one that does not exist.

The models the rules filter (opportunities, deal teams, accounts, contacts, activities) belong to
apps above core, which import core; core imports none of them. It looks them up by label in Django's
app registry (`_model("pipeline.Opportunity")`) when a rule runs, and names them only in annotations
(under TYPE_CHECKING, never executed). So the policy stays in one module without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kadence.core.errors import NotFound, PermissionDenied
from kadence.core.models import OrgUnit, User

if TYPE_CHECKING:
    from kadence.accounts.models import Account, Contact
    from kadence.activities.models import Activity
    from kadence.pipeline.models import Opportunity

ALL = None  # scope marker: no restriction


def _model(label: str) -> Any:
    """An app's model by its "app_label.ModelName", from Django's app registry (see the module
    docstring: core does not import the apps above it)."""
    return apps.get_model(label)


def scope_unit_ids(user: User) -> frozenset[int] | None:
    """The org units whose records `user` manages: None for an admin (everything), an empty set
    for a rep, the subtrees of the managed units (or of their own unit) for managers and directors."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_admin_role:
        return ALL
    if user.role not in (User.Role.MANAGER, User.Role.DIRECTOR):
        return frozenset()
    cached = getattr(user, "_kadence_scope", None)
    if cached is not None:
        return cached
    roots = list(user.managed_units.values_list("path", flat=True))
    if not roots and user.org_unit_id:
        roots = [user.org_unit.path]
    query = Q(pk__in=[])
    for path in roots:
        query |= Q(path__startswith=path)
    ids = frozenset(OrgUnit.objects.filter(query).values_list("id", flat=True)) if roots else frozenset()
    user._kadence_scope = ids
    return ids


def in_scope(user: User, team_id: int | None) -> bool:
    scope = scope_unit_ids(user)
    return scope is ALL or (team_id is not None and team_id in scope)


# --- opportunities -------------------------------------------------------------------------


def _deal_team_of(user: User) -> Exists:
    members = _model("pipeline.OpportunityTeamMember").objects
    return Exists(members.filter(opportunity=OuterRef("pk"), user=user))


def visible_opportunities(user: User) -> QuerySet[Opportunity]:
    qs = _model("pipeline.Opportunity").objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    if not user.is_authenticated:
        return qs.none()
    mine = Q(owner=user) | Q(_deal_team_of(user))
    if scope:
        mine |= Q(team_id__in=scope)
    return qs.filter(mine)


def can_write_opportunity(user: User, opp: Opportunity) -> bool:
    return opp.owner_id == user.pk or in_scope(user, opp.team_id)


def can_reassign_opportunity(user: User, opp: Opportunity) -> bool:
    return user.role in (User.Role.MANAGER, User.Role.DIRECTOR, User.Role.ADMIN) and in_scope(
        user, opp.team_id
    )


def can_contribute_to_opportunity(user: User, opp: Opportunity) -> bool:
    """Who may add proof and work to a deal (evidence, assessments, buying centre, milestones, tasks,
    expenses): whoever may write it, and the members of its deal team."""
    if can_write_opportunity(user, opp):
        return True
    members = _model("pipeline.OpportunityTeamMember").objects
    return members.filter(opportunity_id=opp.pk, user_id=user.pk).exists()


def can_approve_for_opportunity(user: User, opp: Opportunity) -> bool:
    """Who may approve a gate or override one (METHODOLOGY §2): a manager, director or admin with the
    deal in scope, and never its owner, whatever their role."""
    return (
        user.role in (User.Role.MANAGER, User.Role.DIRECTOR, User.Role.ADMIN)
        and opp.owner_id != user.pk
        and in_scope(user, opp.team_id)
    )


def access_opportunity_to_contribute(user: User, opp_id: int, *, lock: bool = False) -> Opportunity:
    """The opportunity if `user` may contribute to it (see can_contribute_to_opportunity); `lock`
    as for access_opportunity."""
    opp = access_opportunity(user, opp_id, lock=lock)
    if not can_contribute_to_opportunity(user, opp):
        raise PermissionDenied(_("You may view this opportunity but not work on it."))
    return opp


def access_opportunity(
    user: User, opp_id: int, *, for_write: bool = False, lock: bool = False
) -> Opportunity:
    """The opportunity if `user` may see it (and change it, with `for_write`). With `lock`, the row is
    read under its write lock (SELECT … FOR NO KEY UPDATE, held to the end of the transaction): a
    service that changes what the deal counts for (its level, stage, status, amount, owner, close
    date) decides on the state no one else can change until it commits, so two writes to one deal
    are serialised and the report summaries stay exact. Call it first, inside the transaction."""
    qs = visible_opportunities(user)
    if lock:
        qs = qs.select_for_update(no_key=True, of=("self",))
    opp = qs.filter(pk=opp_id).first()
    if opp is None:
        raise NotFound(_("Opportunity not found."))
    if for_write and not can_write_opportunity(user, opp):
        raise PermissionDenied(_("You may view this opportunity but not change it."))
    return opp


# --- accounts and contacts ------------------------------------------------------------------


def visible_accounts(user: User) -> QuerySet[Account]:
    opportunities = _model("pipeline.Opportunity").objects
    members = _model("pipeline.OpportunityTeamMember").objects
    qs = _model("accounts.Account").objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    if not user.is_authenticated:
        return qs.none()
    deal = Q(Exists(opportunities.filter(account=OuterRef("pk"), owner=user))) | Q(
        Exists(members.filter(opportunity__account=OuterRef("pk"), user=user))
    )
    rule = Q(owner=user) | deal
    if scope:
        rule |= Q(team_id__in=scope)
    return qs.filter(rule)


def can_write_account(user: User, account: Account) -> bool:
    return account.owner_id == user.pk or in_scope(user, account.team_id)


def access_account(user: User, account_id: int, *, for_write: bool = False) -> Account:
    account = visible_accounts(user).filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("Account not found."))
    if for_write and not can_write_account(user, account):
        raise PermissionDenied(_("You may view this account but not change it."))
    return account


def can_write_contacts_of(user: User, account: Account) -> bool:
    """Contacts are shared knowledge: the account's writers and the owners of its opportunities
    may add and edit them."""
    if can_write_account(user, account):
        return True
    return account.opportunities.filter(owner=user).exists()


def visible_contacts(user: User) -> QuerySet[Contact]:
    contacts = _model("accounts.Contact").objects
    if scope_unit_ids(user) is ALL:
        return contacts.all()
    return contacts.filter(account__in=visible_accounts(user))


def access_contact(user: User, contact_id: int, *, for_write: bool = False) -> Contact:
    contact = visible_contacts(user).select_related("account").filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("Contact not found."))
    if for_write and not can_write_contacts_of(user, contact.account):
        raise PermissionDenied(_("You may view this contact but not change it."))
    return contact


# --- activities ------------------------------------------------------------------------------


def visible_activities(user: User) -> QuerySet[Activity]:
    qs = _model("activities.Activity").objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    if not user.is_authenticated:
        return qs.none()
    rule = Q(owner=user) | Q(opportunity__in=visible_opportunities(user)) | Q(account__owner=user)
    if scope:
        rule |= Q(team_id__in=scope)
    return qs.filter(rule)


def can_write_activity(user: User, activity: Activity) -> bool:
    return activity.owner_id == user.pk or in_scope(user, activity.team_id)


def access_activity(user: User, activity_id: int, *, for_write: bool = False) -> Activity:
    activity = visible_activities(user).filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(_("Activity not found."))
    if for_write and not can_write_activity(user, activity):
        raise PermissionDenied(_("You may view this activity but not change it."))
    return activity


# --- organisation ---------------------------------------------------------------------------


def visible_users(user: User) -> QuerySet[User]:
    """Everyone in the company can see who their colleagues are (names, roles, teams): deal teams
    are formed across teams. Contact details of customers are what visibility protects."""
    if not user.is_authenticated:
        return User.objects.none()
    return User.objects.filter(is_active=True)


def assignable_users(user: User) -> QuerySet[User]:
    """People `user` may give an account or a deal to: active colleagues placed in a unit of their
    scope (everyone placed in a unit, for an admin; nobody, for a rep)."""
    scope = scope_unit_ids(user)
    qs = visible_users(user).filter(org_unit__isnull=False).select_related("org_unit")
    return qs if scope is ALL else qs.filter(org_unit_id__in=scope)


def visible_units(user: User) -> QuerySet[OrgUnit]:
    if not user.is_authenticated:
        return OrgUnit.objects.none()
    return OrgUnit.objects.all()


# --- report scope ------------------------------------------------------------------------------
# What a report covers (METHODOLOGY §8.5: rep → team → region → company), from the user and an optional
# `unit_id` / `owner_id`:
# - a seller (rep, inside sales) sees only their own deals: the scope is always themselves;
# - a manager or director: by default everything in their managed units; `unit_id` narrows to a unit of
#   theirs (and the units below it), `owner_id` to one seller in their units;
# - an admin: by default the company; any unit or seller.
# A unit or seller outside the user's reach answers NotFound (404), as an invisible record does.
# Reports count deals by their owner's team (`Opportunity.team`); deal-team memberships do not put a
# deal into a report's scope (the second rule of the module docstring).


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
