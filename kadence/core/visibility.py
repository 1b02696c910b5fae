"""Who sees and may change what — the one place that decides it (DESIGN rule 3).

Rules (METHODOLOGY §0):
- a sales rep or inside-sales rep sees what they own, or are on the deal team of;
- a manager sees everything of the units they manage (default: their own team), subtree included;
- a director likewise for their region(s);
- an admin sees everything.
Writes: the owner, a manager or director whose scope holds the record, or an admin. Being on a
deal team gives read access, not write access. Reassigning an opportunity needs a manager or above.

Every list, detail, API endpoint, export and aggregate starts from a `visible_*` queryset or an
`access_*` getter here. A record that is not visible answers "not found", exactly like one that
does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kadence.core.errors import NotFound, PermissionDenied
from kadence.core.models import OrgUnit, User

if TYPE_CHECKING:
    from kadence.accounts.models import Account, Contact
    from kadence.activities.models import Activity
    from kadence.pipeline.models import Opportunity

ALL = None  # scope marker: no restriction


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


def _deal_team_of(user: User):
    from kadence.pipeline.models import OpportunityTeamMember

    return Exists(OpportunityTeamMember.objects.filter(opportunity=OuterRef("pk"), user=user))


def visible_opportunities(user: User) -> QuerySet[Opportunity]:
    from kadence.pipeline.models import Opportunity

    qs = Opportunity.objects.all()
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
    from kadence.pipeline.models import OpportunityTeamMember

    return OpportunityTeamMember.objects.filter(opportunity_id=opp.pk, user_id=user.pk).exists()


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
    from kadence.accounts.models import Account
    from kadence.pipeline.models import Opportunity, OpportunityTeamMember

    qs = Account.objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    if not user.is_authenticated:
        return qs.none()
    deal = Q(Exists(Opportunity.objects.filter(account=OuterRef("pk"), owner=user))) | Q(
        Exists(OpportunityTeamMember.objects.filter(opportunity__account=OuterRef("pk"), user=user))
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
    from kadence.accounts.models import Contact

    if scope_unit_ids(user) is ALL:
        return Contact.objects.all()
    return Contact.objects.filter(account__in=visible_accounts(user))


def access_contact(user: User, contact_id: int, *, for_write: bool = False) -> Contact:
    contact = visible_contacts(user).select_related("account").filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("Contact not found."))
    if for_write and not can_write_contacts_of(user, contact.account):
        raise PermissionDenied(_("You may view this contact but not change it."))
    return contact


# --- activities ------------------------------------------------------------------------------


def visible_activities(user: User) -> QuerySet[Activity]:
    from kadence.activities.models import Activity

    qs = Activity.objects.all()
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
