"""Who sees and may change what — the one place that decides it (DESIGN rule 3), for lists and
records and for reports. No other module compares roles: they call the predicates here.

The deal rules, side by side (a deal is in a set when…):

| rule | a seller | a manager / director | an admin | used by |
|---|---|---|---|---|
| **list** `visible_opportunities` | owns it, or is on its deal team | + its team is in their units (subtree) | every deal | lists, detail pages, the API, exports, deal-control tabs, `access_opportunity` |
| **report** `resolve_scope` → `Scope` | owns it | its team (`Opportunity.team`) is in their units, or the unit / seller they chose | the company, or the unit / seller chosen | funnel, analysis, stalled deals, ideal funnel and capacity, forecasts, accuracy, orders, the probabilistic forecast, targets of a scope |
| **report, default scope** `report_opportunities` | owns it | its team is in their units | every deal | the cost-of-sale report |
| **dashboard** `dashboard_opportunities` | owns it | the list rule | the list rule | the home page, expense alerts |

Why two rules: a list answers "what may I open", so a deal-team member finds the deals they work
on; a report answers "what do the people I answer for sell" (METHODOLOGY §8.5: rep → team → region
→ company), so a deal counts once, for its owner and the owner's team, never for a deal-team
member: a deal a rep sees in their lists because they are on its deal team is not in their figures.
The calibration is company-wide statistics with no deal data (`can_read_calibration`): every
reader gets the same figures.

Writes: the owner, a manager or director whose scope holds the record, or an admin. Being on a
deal team gives read access and the right to add proof and work (evidence, assessments, buying
centre, milestones, tasks, expenses) — whoever may see a deal may contribute to it — not the right
to change the deal. Reassigning an opportunity needs a manager or above; approving a gate a manager,
director or admin with the deal in scope who is not its owner.

Every list, detail, API endpoint, export and aggregate starts from a `visible_*` queryset or an
`access_*` getter here (`related=` loads the relations the caller needs with the row, so it is
read once), every report from `resolve_scope`, every scope picker from `scope_choices`. A record
(or a unit, or a seller) that is not visible answers "not found", exactly like one that does not
exist.

The models the rules filter (opportunities, deal teams, accounts, contacts, activities, evidence,
targets) belong to apps above core, which import core; core imports none of them. It looks them
up by label in Django's app registry (`_model("pipeline.Opportunity")`) when a rule runs, and names
them only in annotations (under TYPE_CHECKING, never executed). So the policy stays in one module
without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from kadence.core.errors import NotFound, PermissionDenied
from kadence.core.models import OrgUnit, User

if TYPE_CHECKING:
    from kadence.accounts.models import Account, Contact
    from kadence.activities.models import Activity
    from kadence.deals.models import Evidence
    from kadence.pipeline.models import Opportunity
    from kadence.planning.models import Target
    from kadence.transfer.models import ExportJob, ImportJob

ALL = None  # scope marker: no restriction

# --- roles -------------------------------------------------------------------------------------
# Every decision that depends on a role is a named predicate here; no other module compares roles.

SELLER_ROLES = (User.Role.REP, User.Role.INSIDE)
"""Sellers (reps, inside sales): they own deals and hold personal targets; a report of theirs is
their own figures."""
LEAD_ROLES = (User.Role.MANAGER, User.Role.DIRECTOR)
"""Managers and directors: they lead units (their managed units, subtree included)."""
FORECAST_ROLES = (*SELLER_ROLES, *LEAD_ROLES)
"""Who calls a forecast: sellers for their deals, managers and directors for their units."""


def is_admin(user: User) -> bool:
    """An admin (or a superuser): sees and may change everything, the company is their report scope."""
    return user.is_admin_role


def is_seller(user: User) -> bool:
    """A rep or inside-sales rep: their report scope is always themselves."""
    return user.role in SELLER_ROLES


def is_lead(user: User) -> bool:
    """A manager or director (by role; an admin is not a lead)."""
    return user.role in LEAD_ROLES


def can_choose_report_scope(user: User) -> bool:
    """May pick a unit or a seller as a report's scope (everyone but a seller)."""
    return not is_seller(user)


def can_lead(user: User) -> bool:
    """A manager, director or admin: who adjusts forecasts, sets targets and sees the comparisons of
    their units (a superuser counts as an admin)."""
    return is_lead(user) or is_admin(user)


def can_choose_owner(user: User) -> bool:
    """May name who owns an account on its form (a manager, director or admin)."""
    return can_lead(user)


def sees_regions(user: User) -> bool:
    """Reports break a director's or admin's figures down by region as well as by team."""
    return user.role == User.Role.DIRECTOR or is_admin(user)


def can_change_calibration(user: User) -> bool:
    """Recomputing the calibration and switching reports to it is an admin's decision."""
    return is_admin(user)


def holds_personal_target(user: User) -> bool:
    """Personal targets are for sellers (targets of everyone else are their units')."""
    return is_seller(user)


def sellers_q(prefix: str = "") -> Q:
    """A filter on users (or on `<prefix>role`) keeping the sellers."""
    return Q(**{f"{prefix}role__in": SELLER_ROLES})


def deal_lead_candidates(unit_ids: list[int], *, exclude: int | None = None) -> QuerySet[User]:
    """Active managers and directors who manage one of `unit_ids` (a deal's team and the units above
    it), but not `exclude` (the deal's owner): who a deal's manager is chosen from."""
    return (
        User.objects.filter(is_active=True, role__in=LEAD_ROLES, managed_units__in=unit_ids)
        .exclude(pk=exclude)
        .distinct()
    )


def leads_closer(role: str) -> bool:
    """Between a manager and a director over a deal, the manager is the closer lead."""
    return role == User.Role.MANAGER


def _model(label: str) -> Any:
    """An app's model by its "app_label.ModelName", from Django's app registry (see the module
    docstring: core does not import the apps above it)."""
    return apps.get_model(label)


def scope_unit_ids(user: User) -> frozenset[int] | None:
    """The org units whose records `user` manages: None for an admin (everything), an empty set
    for a rep, the subtrees of the managed units (or of their own unit) for managers and directors."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if is_admin(user):
        return ALL
    if not is_lead(user):
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


class _IdIn(Func):
    """`pk IN (a set of ids)`, which PostgreSQL reads as `pk = ANY(ARRAY(…))`: the set is computed once
    and the rows are fetched by primary key, where `IN (subquery)` let the planner hash-join the set
    against a scan of the whole table (its estimate of a union of id sets is far too high)."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        set_sql, set_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            return f"{pk_sql} = ANY(ARRAY{set_sql})", (*pk_params, *set_params)
        return f"{pk_sql} IN {set_sql}", (*pk_params, *set_params)


IdIn = _IdIn  # for the reports that narrow a table to a small set of ids the same way


def _deal_team_ids(user: User) -> QuerySet:
    """The ids of the deals `user` is on the deal team of (read through the (user, opportunity) index)."""
    members = _model("pipeline.OpportunityTeamMember").objects
    return members.filter(user=user).order_by().values("opportunity_id")


def visible_opportunities(user: User) -> QuerySet[Opportunity]:
    """The list rule, written for the planner: the user's own deals — owned (opp_owner_status) and on
    the deal team (the (user, opportunity) index) — as one set of ids computed once and fetched by
    primary key (_IdIn), and for a manager or director, OR the deals of their units (team_id, whose
    statistics the planner knows). A rep's query costs what their book holds, whatever the table
    holds; a director's walks a sort index and stops at the page, instead of fetching the tens of
    thousands of deals of a region first. (A correlated EXISTS for the deal team made every such
    query scan the whole table.)"""
    opportunity = _model("pipeline.Opportunity")
    qs = opportunity.objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    if not user.is_authenticated:
        return qs.none()
    owned = opportunity.objects.filter(owner=user).order_by().values("id")
    on_team = _deal_team_ids(user)
    if not scope:
        return qs.filter(_IdIn(F("pk"), Subquery(owned.union(on_team))))
    # Only the own deals outside the units go in the id set: every row a sort index walks is tested
    # against it, and a manager on the deal teams of hundreds of their own team's deals made that
    # test cost more than the walk.
    units = sorted(scope)
    owned = owned.exclude(team_id__in=units)
    on_team = on_team.exclude(opportunity__team_id__in=units)
    return qs.filter(Q(team_id__in=units) | Q(_IdIn(F("pk"), Subquery(owned.union(on_team)))))


def summary_cover(user: User, *, own: bool = False) -> tuple[Q | None, QuerySet[Opportunity]]:
    """The list rule (with `own`, a seller's dashboard rule: their own deals) split for the owner ×
    team summaries (PipelineTotal): the summary rows `user` sees whole — a Q on `owner` / `team_id`,
    None for every row — and the deals they see beyond those rows, to be added one by one: deal-team
    memberships outside their own deals and their units'. The two never overlap, so the sum of both
    is exactly the sum over visible_opportunities (or over one's own deals)."""
    opportunity = _model("pipeline.Opportunity")
    scope = scope_unit_ids(user)
    if scope is ALL and not own:
        return None, opportunity.objects.none()
    if not user.is_authenticated:
        return Q(pk__in=[]), opportunity.objects.none()
    whole = Q(owner=user)
    if own:
        return whole, opportunity.objects.none()
    if scope:
        whole |= Q(team_id__in=sorted(scope))
    beyond = opportunity.objects.filter(_IdIn(F("pk"), Subquery(_deal_team_ids(user)))).exclude(whole)
    return whole, beyond


def can_write_opportunity(user: User, opp: Opportunity) -> bool:
    return opp.owner_id == user.pk or in_scope(user, opp.team_id)


def _managing_role(user: User) -> bool:
    """A manager, director or admin by role (a superuser with a seller's role is not one here)."""
    return user.role in (*LEAD_ROLES, User.Role.ADMIN)


def can_reassign_opportunity(user: User, opp: Opportunity) -> bool:
    return _managing_role(user) and in_scope(user, opp.team_id)


def can_approve_for_opportunity(user: User, opp: Opportunity) -> bool:
    """Who may approve a gate or override one (METHODOLOGY §2): a manager, director or admin with the
    deal in scope, and never its owner, whatever their role."""
    return _managing_role(user) and opp.owner_id != user.pk and in_scope(user, opp.team_id)


def access_opportunity(
    user: User,
    opp_id: int,
    *,
    for_write: bool = False,
    lock: bool = False,
    related: Iterable[str] = (),
) -> Opportunity:
    """The opportunity if `user` may see it (and change it, with `for_write`). Whoever may see a deal
    may also add proof and work to it (evidence, assessments, buying centre, milestones, tasks,
    expenses): its deal team reads and contributes, its writers also change it. `related` names the
    relations to load with it (select_related), so a caller fetches the row once. With `lock`, the
    row is read under its write lock (SELECT … FOR NO KEY UPDATE, held to the end of the
    transaction): a service that changes what the deal counts for (its level, stage, status, amount,
    owner, close date) decides on the state no one else can change until it commits, so two writes
    to one deal are serialised and the report summaries stay exact. Call it first, inside the
    transaction."""
    qs = _related(visible_opportunities(user), related)
    if lock:
        qs = qs.select_for_update(no_key=True, of=("self",))
    opp = qs.filter(pk=opp_id).first()
    if opp is None:
        raise NotFound(_("Opportunity not found."))
    if for_write and not can_write_opportunity(user, opp):
        raise PermissionDenied(_("You may view this opportunity but not change it."))
    return opp


def dashboard_opportunities(user: User) -> QuerySet[Opportunity]:
    """What a personal dashboard (the home page, the expense alerts) counts: a seller's own deals
    (their figures, as in a report), for anyone else every deal they can see (the list rule)."""
    qs = visible_opportunities(user)
    return qs.filter(owner=user) if is_seller(user) else qs


def report_opportunities(user: User) -> QuerySet[Opportunity]:
    """The deals a report counts for `user` when no unit or seller is chosen (the cost-of-sale
    report): a seller's own, a manager's or director's those of their units, an admin's all.
    Deal-team memberships add nothing: a report is about the people one answers for (the report
    rule; resolve_scope narrows it to a unit or a seller)."""
    visible = visible_opportunities(user)
    scope = scope_unit_ids(user)
    if scope is ALL:
        return visible
    if scope:
        return visible.filter(team_id__in=scope)
    return visible.filter(owner=user)


def _related(qs: QuerySet, related: Iterable[str]) -> QuerySet:
    names = list(related)
    return qs.select_related(*names) if names else qs


# --- accounts and contacts ------------------------------------------------------------------


def _account_member_ids(user: User, *, write: bool = False) -> QuerySet:
    """The ids of the accounts `user` collaborates on (accounts.AccountMember, like a deal team: read
    through the (user, account) index); with `write`, only those with write access."""
    members = _model("accounts.AccountMember").objects.filter(user=user)
    if write:
        members = members.filter(access="write")
    return members.order_by().values("account_id")


def visible_accounts(user: User) -> QuerySet[Account]:
    """Accounts `user` owns, of their units, with a deal they own or are on the deal team of, or that
    they collaborate on (an account's team, AccountMember). Like visible_opportunities, each branch is
    an index scan (the accounts of the user's deals and memberships are one id set fetched by primary
    key) instead of correlated EXISTS per account."""
    opportunities = _model("pipeline.Opportunity").objects
    members = _model("pipeline.OpportunityTeamMember").objects
    qs = _model("accounts.Account").objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    if not user.is_authenticated:
        return qs.none()
    of_deals = (
        opportunities.filter(owner=user)
        .order_by()
        .values("account_id")
        .union(
            members.filter(user=user).order_by().values("opportunity__account_id"),
            _account_member_ids(user),
        )
    )
    rule = Q(owner=user) | Q(_IdIn(F("pk"), Subquery(of_deals)))
    if scope:
        rule |= Q(team_id__in=sorted(scope))
    return qs.filter(rule)


def can_write_account(user: User, account: Account) -> bool:
    """The owner, a manager / director / admin with the account in scope, or a collaborator with write
    access (AccountMember.access "write")."""
    if account.owner_id == user.pk or in_scope(user, account.team_id):
        return True
    return _account_member_ids(user, write=True).filter(account_id=account.pk).exists()


def can_manage_account_members(user: User, account: Account) -> bool:
    """Who adds and removes an account's collaborators: its owner, or a manager / director / admin with
    the account in scope (a write collaborator changes the account but not its team)."""
    return account.owner_id == user.pk or in_scope(user, account.team_id)


def can_merge_accounts(user: User, survivor: Account, merged: Account) -> bool:
    """Merging two accounts (issue 15 §1): an admin, or a manager / director with both in scope."""
    return _managing_role(user) and in_scope(user, survivor.team_id) and in_scope(user, merged.team_id)


def access_account(
    user: User, account_id: int, *, for_write: bool = False, related: Iterable[str] = ()
) -> Account:
    account = _related(visible_accounts(user), related).filter(pk=account_id).first()
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


def access_contact(
    user: User, contact_id: int, *, for_write: bool = False, related: Iterable[str] = ()
) -> Contact:
    contact = visible_contacts(user).select_related("account", *related).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("Contact not found."))
    if for_write and not can_write_contacts_of(user, contact.account):
        raise PermissionDenied(_("You may view this contact but not change it."))
    return contact


# --- activities ------------------------------------------------------------------------------


def visible_activities(user: User) -> QuerySet[Activity]:
    """Activities `user` logged, on accounts they own, on deals they may see (owned, on the deal team,
    in their units), or booked to their units. Written as a UNION of id sets, each read through its own
    index (owner, account, the deal's owner, the deal team, the unit), so the planner starts from the
    user's own rows instead of testing every activity against a list of every visible deal."""
    activity = _model("activities.Activity")
    qs = activity.objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    if not user.is_authenticated:
        return qs.none()

    def ids(**lookup: Any) -> QuerySet[Activity]:
        return activity.objects.filter(**lookup).order_by().values("id")

    branches = [
        ids(owner=user),
        ids(account__owner=user),
        ids(opportunity__owner=user),
        ids(opportunity__team_members__user=user),
    ]
    if not scope:
        return qs.filter(_IdIn(F("pk"), Subquery(branches[0].union(*branches[1:]))))
    # A manager or director: booked to their units, or on a deal of their units (the deal's team,
    # kept on the activity as deal_team), both tested on the list index's entries as it is walked,
    # or one of their own (the small id set above, less what their units already hold) — as for
    # their deals, fetching a region's tens of thousands of activity ids first cost a director more
    # than a second.
    units = sorted(scope)
    own = [branch.exclude(team_id__in=units) for branch in branches]
    return qs.filter(
        Q(team_id__in=units) | Q(deal_team_id__in=units) | Q(_IdIn(F("pk"), Subquery(own[0].union(*own[1:]))))
    )


def can_write_activity(user: User, activity: Activity) -> bool:
    return activity.owner_id == user.pk or in_scope(user, activity.team_id)


def access_activity(
    user: User, activity_id: int, *, for_write: bool = False, related: Iterable[str] = ()
) -> Activity:
    activity = _related(visible_activities(user), related).filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(_("Activity not found."))
    if for_write and not can_write_activity(user, activity):
        raise PermissionDenied(_("You may view this activity but not change it."))
    return activity


# --- evidence ---------------------------------------------------------------------------------


def access_evidence(user: User, evidence_id: int, *, related: Iterable[str] = ()) -> Evidence:
    """Evidence of a deal `user` can see (NotFound otherwise, also once removed). Whoever sees the
    deal may add evidence; who may withdraw it is decided with can_remove_evidence."""
    evidence = (
        _related(_model("deals.Evidence").objects, related)
        .filter(pk=evidence_id, removed_at__isnull=True)
        .first()
    )
    if evidence is None:
        raise NotFound(_("Evidence not found."))
    access_opportunity(user, evidence.opportunity_id)
    return evidence


def can_remove_evidence(user: User, evidence: Evidence, opp: Opportunity) -> bool:
    """Who added the evidence, or whoever may write its deal."""
    return evidence.added_by_id == user.pk or can_write_opportunity(user, opp)


# --- targets (METHODOLOGY §10.1) ---------------------------------------------------------------
# Who sees: an admin every target; a manager or director the targets of the units in their scope and
# of the sellers placed in those units, and their own; a seller only their own.
# Who may set (create, edit, delete): an admin any target; a manager or director the targets of the
# units in their scope and of the sellers placed in them — a manager their teams and their sellers, a
# director their regions and everything below. Nobody sets their own seller target (targets come from
# above); personal targets are for sellers (holds_personal_target).


def visible_targets(user: User) -> QuerySet[Target]:
    qs = _model("planning.Target").objects.all()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return qs
    rule = Q(user_id=user.pk)
    if scope:
        rule |= Q(unit_id__in=scope) | Q(user__org_unit_id__in=scope)
    return qs.filter(rule)


def can_set_target(user: User, *, unit: OrgUnit | None = None, seller: User | None = None) -> bool:
    """May `user` set the target of `unit` or of `seller` (see above)?"""
    if is_admin(user):
        return True
    if not is_lead(user):
        return False
    if unit is not None:
        return in_scope(user, unit.pk)
    return seller is not None and seller.pk != user.pk and in_scope(user, seller.org_unit_id)


def can_edit_target(user: User, target: Target) -> bool:
    return can_set_target(user, unit=target.unit, seller=target.user)


def access_target(
    user: User, target_id: int, *, for_write: bool = False, related: Iterable[str] = ()
) -> Target:
    """The target if `user` may see it (NotFound otherwise) and, `for_write`, set it (PermissionDenied).
    Its unit and its seller (with the seller's unit) come with it, which the write check reads."""
    target = (
        visible_targets(user)
        .select_related("unit", "user", "user__org_unit", *related)
        .filter(pk=target_id)
        .first()
    )
    if target is None:
        raise NotFound(_("Target not found."))
    if for_write and not can_edit_target(user, target):
        raise PermissionDenied(_("You may view this target but not change it."))
    return target


# --- the target grid (issue 14 §1) ----------------------------------------------------------------
# A grid's rows are read by whoever reads the targets of their scope: an admin all, a manager or director
# the rows of their units and of the sellers under them (their own managed units included), a seller their
# own row. Writes go one level lower: a lead edits the rows strictly below their managed units (the row
# of their own unit is handed down from above), an admin every row. Approving a grid, and making one,
# is for whoever may set the target of its root unit.


def grid_rows_q(user: User) -> Q | None:
    """A filter on `performance.GridRow` keeping the rows `user` may read (None: every row)."""
    scope = scope_unit_ids(user)
    if scope is ALL:
        return None
    rule = Q(user_id=user.pk)
    if scope:
        ids = sorted(scope)
        rule |= Q(unit_id__in=ids) | Q(user__isnull=False, under_id__in=ids)
    return rule


def visible_grids(user: User) -> QuerySet:
    """The grids holding a row `user` may read."""
    grids = _model("performance.TargetGrid").objects.all()
    rule = grid_rows_q(user)
    if rule is None:
        return grids
    rows = _model("performance.GridRow").objects.filter(rule).values("grid_id")
    return grids.filter(pk__in=Subquery(rows))


def can_edit_grid_row(user: User, under_id: int | None) -> bool:
    """May `user` change a grid row that hangs under the unit `under_id` (None: the root row)?"""
    if is_admin(user):
        return True
    return is_lead(user) and under_id is not None and in_scope(user, under_id)


def can_manage_grid(user: User, root: OrgUnit) -> bool:
    """May `user` make, spread from the top and approve a grid whose root is `root`?"""
    return can_set_target(user, unit=root)


# --- imports -------------------------------------------------------------------------------------


def can_import(user: User) -> bool:
    """Who imports data: an admin (everything), a manager or director (into their own units)."""
    return user.is_authenticated and user.is_active and can_lead(user)


def visible_import_jobs(user: User) -> QuerySet[ImportJob]:
    """Imports an admin sees all of; a manager or director sees their own and those of the people of
    their units; anyone else none."""
    jobs = _model("transfer.ImportJob").objects
    if not can_import(user):
        return jobs.none()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return jobs.all()
    return jobs.filter(Q(created_by=user) | Q(created_by__org_unit_id__in=sorted(scope)))


def access_import_job(user: User, job_id: int, *, for_write: bool = False) -> ImportJob:
    """The import if `user` may see it (NotFound otherwise); `for_write` (run, undo, cancel) only its
    author or an admin (PermissionDenied)."""
    job = visible_import_jobs(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("Import not found."))
    if for_write and job.created_by_id != user.pk and not is_admin(user):
        raise PermissionDenied(_("Only the person who started this import, or an admin, may act on it."))
    return job


def visible_export_jobs(user: User) -> QuerySet[ExportJob]:
    """Exports in the background: a person sees (and downloads) their own, an admin everyone's. Nobody
    else, not even a manager: a file is the rows its author may see, which may be more than theirs."""
    jobs = _model("transfer.ExportJob").objects
    if not (user.is_authenticated and user.is_active):
        return jobs.none()
    return jobs.all() if is_admin(user) else jobs.filter(created_by=user)


def access_export_job(user: User, job_id: int) -> ExportJob:
    """The export if `user` may see it (NotFound otherwise, so that its existence is not told)."""
    job = visible_export_jobs(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("Export not found."))
    return job


def settable_units(user: User) -> QuerySet[OrgUnit]:
    """Units whose target `user` may set (for forms)."""
    if is_admin(user):
        return OrgUnit.objects.order_by("path")
    if not is_lead(user):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(pk__in=sorted(scope_unit_ids(user) or ())).order_by("path")


def settable_sellers(user: User) -> QuerySet[User]:
    """Active sellers whose target `user` may set (for forms)."""
    sellers = User.objects.filter(sellers_q(), is_active=True).exclude(pk=user.pk)
    if is_admin(user):
        return sellers.order_by("username")
    if not is_lead(user):
        return User.objects.none()
    return sellers.filter(org_unit_id__in=sorted(scope_unit_ids(user) or ())).order_by("username")


# --- organisation ---------------------------------------------------------------------------


def visible_users(user: User) -> QuerySet[User]:
    """Everyone in the company can see who their colleagues are (names, roles, teams): deal teams
    are formed across teams. Contact details of customers are what visibility protects."""
    if not user.is_authenticated:
        return User.objects.none()
    return User.objects.filter(is_active=True)


def list_owners(user: User) -> QuerySet[User]:
    """The people a list's owner filter offers: everyone for an admin; for a manager or director, the
    people placed in the units they lead, and themselves; for a seller, themselves. The filter picks
    among one's own people: offering the whole company's directory would make every page grow with the
    company (two thousand names at a million deals) for choices a seller never needs."""
    people = visible_users(user)
    scope = scope_unit_ids(user)
    if scope is ALL:
        return people
    return people.filter(Q(pk=user.pk) | Q(org_unit_id__in=sorted(scope)))


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


@dataclass(frozen=True)
class ScopeChoices:
    """What a report's scope picker offers: units (by path) and people (by name)."""

    units: list[OrgUnit]
    people: list[User]


def scope_choices(user: User, *, roles: tuple[str, ...] | None = SELLER_ROLES) -> ScopeChoices:
    """The units and people `user` may choose as a report's scope (resolve_scope accepts each): the
    units of their reach (every unit, for an admin) and the active people placed in those units who
    hold one of `roles` (None: any role; forecasts also offer managers and directors, whose calls
    they are). Nothing for a seller, whose scope is always themselves."""
    if not can_choose_report_scope(user):
        return ScopeChoices([], [])
    reach = scope_unit_ids(user)
    units = visible_units(user).order_by("path")
    people = visible_users(user).filter(org_unit__isnull=False)
    if reach is not ALL:
        units = units.filter(pk__in=sorted(reach))
        people = people.filter(org_unit_id__in=sorted(reach))
    if roles is not None:
        people = people.filter(role__in=roles)
    return ScopeChoices(list(units), list(people.order_by("display_name", "username")))


# --- company-wide figures ----------------------------------------------------------------------


def can_read_calibration(user: User) -> bool:
    """The calibration (observed win rates per level, stage and C139 band) is company-wide
    statistics with no deal data in it: everyone signed in reads the same figures, whatever their
    report scope. Changing it is can_change_calibration."""
    return user.is_authenticated and user.is_active


# --- rhythm: pack ---
# The weekly 1x1 pack of a seller (issue 13 §6): the seller reads their own; a manager or director the
# packs of the sellers placed in their units; an admin every seller's. Only the seller's manager and
# above write in it (notes, actions); the seller may mark done the actions they own. The approval inbox
# (issue 13 §5) is for managers, directors and admins.


def pack_readers_q(user: User) -> Q:
    """The sellers whose packs `user` may read, as a filter on users."""
    scope = scope_unit_ids(user)
    if scope is ALL:
        return sellers_q()
    if not scope:
        return Q(pk=user.pk) & sellers_q()
    return sellers_q() & (Q(pk=user.pk) | Q(org_unit_id__in=sorted(scope)))


def pack_reps(user: User) -> QuerySet[User]:
    """The active sellers whose packs `user` may open, by name."""
    if not user.is_authenticated:
        return User.objects.none()
    return (
        User.objects.filter(pack_readers_q(user), is_active=True)
        .select_related("org_unit")
        .order_by("display_name", "username")
    )


def access_pack_rep(user: User, rep_id: int) -> User:
    """The seller whose pack `user` asks for, or NotFound (not a seller, or not theirs to read)."""
    rep = (
        User.objects.filter(pack_readers_q(user), pk=rep_id).select_related("org_unit").first()
        if user.is_authenticated
        else None
    )
    if rep is None:
        raise NotFound(_("Unknown seller."))
    return rep


def can_write_pack(user: User, rep: User) -> bool:
    """The rep's manager and above (a lead whose units hold the rep, or an admin), never the rep."""
    return can_lead(user) and user.pk != rep.pk and in_scope(user, rep.org_unit_id)


def can_mark_pack_action(user: User, rep: User, owner_id: int) -> bool:
    """Who may mark an action of `rep`'s pack done: whoever writes the pack, or the rep for their own."""
    return can_write_pack(user, rep) or (user.pk == rep.pk and owner_id == user.pk)


def uses_inbox(user: User) -> bool:
    """The approval inbox is for managers, directors and admins."""
    return user.is_authenticated and can_lead(user)


# --- rhythm: cadence ---
# The 1-15-30 reviews and their items, and the debrief talks and ride-alongs (kadence.rhythm.cadence):
# a rep sees those about themselves (`rep`), a manager those of their teams, a director their regions,
# an admin all (`team`: the subject's team when reviewed, the rep's unit for a debrief). Who may record
# a review or an item: the rep of the subject, a manager or director with its team in scope, an admin;
# never another rep (a rep cannot judge someone else's deal). Debriefs are recorded by a manager,
# director or admin about a seller in their scope; the rep reads them.


def _rhythm_rule(user: User) -> Q | None:
    """None: everything (admin); otherwise the Q on `rep` / `team` of the user's reach."""
    scope = scope_unit_ids(user)
    if scope is ALL:
        return None
    rule = Q(rep_id=user.pk)
    if scope:
        rule |= Q(team_id__in=sorted(scope))
    return rule


def _rhythm_visible(label: str, user: User) -> QuerySet:
    qs = _model(label).objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    rule = _rhythm_rule(user)
    return qs if rule is None else qs.filter(rule)


def visible_cadence_reviews(user: User) -> QuerySet:
    return _rhythm_visible("rhythm.Review", user)


def visible_cadence_items(user: User) -> QuerySet:
    return _rhythm_visible("rhythm.CadenceItem", user)


def can_act_on_cadence(user: User, rep_id: int, team_id: int | None) -> bool:
    """May record a review, follow-up or judgement for the rep `rep_id` of team `team_id`: the rep
    themselves, a manager or director with the team in scope, an admin."""
    if rep_id == user.pk:
        return True
    return (is_lead(user) or is_admin(user)) and in_scope(user, team_id)


def access_cadence_item(user: User, item_id: int, *, for_write: bool = False, lock: bool = False) -> Any:
    """The 1-15-30 item if `user` sees it (NotFound), and may act on it with `for_write`
    (PermissionDenied); `lock` reads it under its row lock (inside the caller's transaction)."""
    qs = visible_cadence_items(user).select_related("review")
    if lock:
        qs = qs.select_for_update(of=("self",))
    item = qs.filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("1-15-30 item not found."))
    if for_write and not can_act_on_cadence(user, item.rep_id, item.team_id):
        raise PermissionDenied(_("Only the rep, their manager or above may record this."))
    return item


def visible_debriefs(user: User) -> QuerySet:
    """Debriefs and ride-alongs about the user, or of their units; those they recorded; all for an admin."""
    qs = _model("rhythm.Debrief").objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    rule = _rhythm_rule(user)
    return qs if rule is None else qs.filter(rule | Q(manager_id=user.pk))


def can_record_debrief(user: User, rep: User) -> bool:
    """A manager, director or admin about a seller in their scope (not about themselves)."""
    return (
        rep.pk != user.pk
        and is_seller(rep)
        and (is_lead(user) or is_admin(user))
        and in_scope(user, rep.org_unit_id)
    )


def access_debrief(user: User, debrief_id: int, *, for_write: bool = False) -> Any:
    """The debrief if `user` sees it (NotFound); `for_write` only who recorded it, or an admin."""
    debrief = visible_debriefs(user).select_related("rep", "manager").filter(pk=debrief_id).first()
    if debrief is None:
        raise NotFound(_("Debrief not found."))
    if for_write and debrief.manager_id != user.pk and not is_admin(user):
        raise PermissionDenied(_("Only who recorded this debrief, or an admin, may change it."))
    return debrief


def debrief_reps(user: User) -> QuerySet[User]:
    """The sellers `user` may record a debrief or ride-along about (for forms)."""
    sellers = User.objects.filter(sellers_q(), is_active=True, org_unit__isnull=False).exclude(pk=user.pk)
    if is_admin(user):
        return sellers.order_by("display_name", "username")
    if not is_lead(user):
        return User.objects.none()
    return sellers.filter(org_unit_id__in=sorted(scope_unit_ids(user) or ())).order_by(
        "display_name", "username"
    )


# --- rhythm: notify ---


def visible_notifications(user: User) -> QuerySet:
    """A user's notifications are theirs alone, whatever their role (an admin included): the reminders
    of others are reached through the records they point at, not through someone's inbox."""
    model = _model("rhythm.Notification")
    if not user.is_authenticated or not user.is_active:
        return model.objects.none()
    return model.objects.filter(user_id=user.pk)


def access_notification(user: User, notification_id: int, *, lock: bool = False) -> Any:
    """One of the user's own notifications (NotFound otherwise, the same for another user's)."""
    rows = visible_notifications(user).filter(pk=notification_id)
    row = (rows.select_for_update() if lock else rows).first()
    if row is None:
        raise NotFound(_("Notification not found."))
    return row


# --- rhythm: plans ---
# Weekly work plans (METHODOLOGY §10.3): a rep sees their own; a manager the plans of their teams, a
# director of their regions (the plan's team, kept from when it was opened, in their units); an admin
# every plan. Only the rep changes their plan; a manager or director with the plan in their units (or an
# admin) comments on it. Visit attachments follow their activity.


def visible_weekly_plans(user: User) -> QuerySet:
    plans = _model("rhythm.WeeklyPlan").objects
    scope = scope_unit_ids(user)
    if scope is ALL:
        return plans.all()
    if not user.is_authenticated:
        return plans.none()
    if not scope:
        return plans.filter(owner=user)
    return plans.filter(Q(owner=user) | Q(team_id__in=sorted(scope)))


def can_edit_weekly_plan(user: User, plan: Any) -> bool:
    """The plan's rep only: a plan is the rep's commitment, the manager comments on it."""
    return plan.owner_id == user.pk


def can_comment_weekly_plan(user: User, plan: Any) -> bool:
    """A manager of the rep's team or above (director of its region, admin), not the rep themselves."""
    return plan.owner_id != user.pk and can_lead(user) and in_scope(user, plan.team_id)


def access_weekly_plan(
    user: User, plan_id: int, *, for_write: bool = False, related: Iterable[str] = ()
) -> Any:
    plan = _related(visible_weekly_plans(user), related).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Plan not found."))
    if for_write and not can_edit_weekly_plan(user, plan):
        raise PermissionDenied(_("Only the rep whose plan this is may change it."))
    return plan


def plan_people(user: User) -> QuerySet[User]:
    """The sellers whose weekly plans `user` reviews: the active sellers placed in their units (all, for
    an admin); just themselves for a seller."""
    scope = scope_unit_ids(user)
    people = User.objects.filter(sellers_q(), is_active=True, org_unit__isnull=False)
    if scope is ALL:
        return people
    if not scope:
        return people.filter(pk=user.pk)
    return people.filter(org_unit_id__in=sorted(scope))


def access_visit_attachment(user: User, attachment_id: int) -> Any:
    """An attachment of an activity `user` sees (NotFound otherwise)."""
    attachment = _model("rhythm.VisitAttachment").objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("File not found."))
    if not visible_activities(user).filter(pk=attachment.activity_id).exists():
        raise NotFound(_("File not found."))
    return attachment


# --- rhythm: quotas ---
# Activity quotas (kadence.rhythm.quotas): attainment reads the sellers of a report scope (a seller
# themselves; a manager their teams; a director their regions; an admin the company); the quota rows
# are configured by admins and read by the people they apply to and by their leads.


def quota_sellers(scope: Scope) -> QuerySet[User]:
    """The active sellers (reps, inside sales) of a report scope, placed in a unit: those whose activity
    attainment the scope's report shows."""
    people = User.objects.filter(sellers_q(), is_active=True, org_unit__isnull=False)
    if scope.owner is not None:
        return people.filter(pk=scope.owner.pk)
    if scope.unit is not None:
        return people.filter(org_unit__path__startswith=scope.unit.path)
    if scope.unit_ids is not None:
        return people.filter(org_unit_id__in=sorted(scope.unit_ids))
    return people


def can_set_sizing(user: User, unit: OrgUnit | None) -> bool:
    """Sales-force sizing inputs (kadence.performance.sizing): a unit's are set by whoever may set its
    target (an admin; a manager or director in whose reach it is); the company default by an admin."""
    if unit is None:
        return is_admin(user)
    return can_set_target(user, unit=unit)


def can_configure_quotas(user: User) -> bool:
    """Activity quotas and the effective-visit rule are company configuration: an admin's."""
    return is_admin(user)


def visible_activity_quotas(user: User) -> QuerySet[Any]:
    """Quota rows `user` may read: every row for an admin; the role rows and the rows of the people in
    their units for a manager or director (and their own); their role's row and their own for a seller."""
    quotas = _model("rhythm.ActivityQuota").objects
    if not user.is_authenticated or not user.is_active:
        return quotas.none()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return quotas.all()
    if is_lead(user):
        return quotas.filter(Q(user__isnull=True) | Q(user=user) | Q(user__org_unit_id__in=sorted(scope)))
    return quotas.filter(Q(user__isnull=True, role=user.role) | Q(user=user))


# --- target negotiations (三上三下, kadence.performance.negotiation) -----------------------------------


def visible_negotiations(user: User) -> QuerySet[Any]:
    """Negotiations `user` may read: those on a grid they read, for a manager, director or admin (a seller
    sees the outcome in the grid and the targets of record, not the rounds)."""
    negotiations = _model("performance.Negotiation").objects
    if not user.is_authenticated or not user.is_active or not can_lead(user):
        return negotiations.none()
    if is_admin(user):
        return negotiations.all()
    return negotiations.filter(grid__in=Subquery(visible_grids(user).values("pk")))


def negotiation_parties_q(user: User) -> Q | None:
    """A filter on `performance.NegotiationParty` keeping the units whose figures `user` reads (None:
    every unit): an admin all; a lead the units in their reach (the top reaches all of them)."""
    scope = scope_unit_ids(user)
    if scope is ALL:
        return None
    return Q(unit_id__in=sorted(scope or ()))


def can_answer_negotiation(user: User, unit_id: int) -> bool:
    """May `user` answer for a negotiating unit (its committed figure)? Its lead — a manager or director
    in whose reach it is — or an admin."""
    return is_admin(user) or (is_lead(user) and in_scope(user, unit_id))


def can_configure_negotiation(user: User) -> bool:
    """The negotiation rules (rounds at most, the agreed gap) are company configuration: an admin's."""
    return is_admin(user)


# --- commissions (issue 14 §7) ----------------------------------------------------------------------
# A seller reads their own statement only; a manager or director the statements of the sellers placed in
# their units; an admin every one. Plans, assignments and credit rules are company configuration: an
# admin's. Computing a period is for whoever leads units (each for the sellers of their reach).


def can_configure_commission(user: User) -> bool:
    """Commission plans, their assignments and the split-credit rules are configured by an admin."""
    return user.is_authenticated and user.is_active and is_admin(user)


def can_compute_commission(user: User) -> bool:
    """A manager, director or admin computes a period's statements (for the sellers of their reach)."""
    return user.is_authenticated and user.is_active and can_lead(user)


def visible_commission_statements(user: User) -> QuerySet:
    """The commission statements `user` may read: their own; the statements of sellers placed in their
    units for a manager or director; all for an admin."""
    statements = _model("performance.CommissionStatement").objects
    if not user.is_authenticated or not user.is_active:
        return statements.none()
    scope = scope_unit_ids(user)
    if scope is ALL:
        return statements.all()
    if scope:
        return statements.filter(Q(user_id=user.pk) | Q(user__org_unit_id__in=sorted(scope)))
    return statements.filter(user_id=user.pk)


# --- account plans (issue 15 §8, kadence.keyaccounts.plans) -------------------------------------
# Who sees a plan: whoever sees its account (visible_accounts). Who writes it (its fields, status,
# quarters, actions): the account's owner, a manager or director whose units hold the account, an
# admin (can_write_account). An action's owner may also update that action (status, note, activities),
# and must be a user who may see the account.


def visible_account_plans(user: User) -> QuerySet[Any]:
    """The account plans of the accounts `user` sees."""
    plans = _model("keyaccounts.AccountPlan").objects.all()
    if scope_unit_ids(user) is ALL:
        return plans
    if not user.is_authenticated:
        return plans.none()
    return plans.filter(account_id__in=Subquery(visible_accounts(user).order_by().values("pk")))


def can_write_account_plan(user: User, plan: Any) -> bool:
    """The account's owner, managers over it, an admin (`plan.account` is read)."""
    return can_write_account(user, plan.account)


def can_update_plan_action(user: User, plan: Any, action: Any) -> bool:
    """The plan's writers, and the action's owner (their own action's progress)."""
    return action.owner_id == user.pk or can_write_account_plan(user, plan)


def may_own_plan_action(owner: User, account: Account) -> bool:
    """An action's owner must be an active user who may see the plan's account."""
    return owner.is_active and visible_accounts(owner).filter(pk=account.pk).exists()


def access_account_plan(
    user: User, plan_id: int, *, for_write: bool = False, lock: bool = False, related: Iterable[str] = ()
) -> Any:
    """The plan (with its account) if `user` sees it (and may write it, with `for_write`); with `lock`
    its row is read FOR UPDATE (call it inside the transaction)."""
    qs = _related(visible_account_plans(user), ("account", *related))
    if lock:
        qs = qs.select_for_update(of=("self",))
    plan = qs.filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Account plan not found."))
    if for_write and not can_write_account_plan(user, plan):
        raise PermissionDenied(_("You may view this account plan but not change it."))
    return plan


# --- key accounts: importance and KAM (issue 15 §5–7) ------------------------------------------------
# The scores, types, stages and surveys of an account are read by whoever sees the account and written
# (scores entered, type overridden, stage changed, checklist ticked, survey recorded) by whoever may
# change it (can_write_account). The criteria, weights, bands and type rules are company configuration:
# an admin's.


def can_configure_importance(user: User) -> bool:
    """The importance criteria, weights, bands and type rules are configured by an admin."""
    return user.is_authenticated and user.is_active and is_admin(user)


def scoped_accounts(user: User, scope: Scope) -> QuerySet[Account]:
    """The accounts `user` sees that fall in a report's `scope` (owner or team of the account)."""
    return scope.filter(visible_accounts(user))


# --- key accounts: coverage of the pool and screening platforms (issue 15 §9–10) ------------------


def is_inside_seller(user: User) -> bool:
    """An inside-sales rep (their account limit is the inside one, ~200; a rep's is the outside one, 20)."""
    return user.role == User.Role.INSIDE


def inside_sellers_q(prefix: str = "") -> Q:
    """A filter on users (or on `<prefix>role`) keeping the inside-sales reps."""
    return Q(**{f"{prefix}role": User.Role.INSIDE})


def unowned_accounts_q() -> Q:
    """Accounts nobody sells to: the owner has left (inactive) or is not a seller (a manager, director or
    admin holding them as a pool)."""
    return Q(owner__is_active=False) | ~sellers_q("owner__")


def can_configure_account_plans(user: User) -> bool:
    """The account plans' settings (due-soon window, activity window, home page list): an admin's."""
    return is_admin(user)


def can_configure_coverage(user: User) -> bool:
    """The coverage policy (limits, neglect days) and the platforms' wall criteria are an admin's."""
    return is_admin(user)


def can_assign_accounts(user: User) -> bool:
    """Bulk assignment of accounts is a manager's, director's or admin's (to sellers of their units)."""
    return can_lead(user)


def coverage_assignees(user: User) -> QuerySet[User]:
    """The sellers `user` may give accounts to in bulk: active sellers placed in a unit of their scope."""
    if not can_assign_accounts(user):
        return User.objects.none()
    return assignable_users(user).filter(sellers_q()).order_by("display_name", "username")


# --- key-account value: BP, SOW / SOA, RAD, ABC (issue 15) ------------------------------------------
# The figures of a scope follow the report rule (resolve_scope): a seller their own accounts, a manager or
# director the accounts of their units, an admin every account. The stored RAD cells and ABC classes carry the
# account's owner and team, so Scope.filter applies to them directly. BP is entered by whoever may change
# the account; the thresholds and margins are an admin's; recomputing every account's cells is an admin's
# (and the nightly job's).


def can_enter_buying_power(user: User, account: Account) -> bool:
    """Who may enter or change an account's buying power: whoever may change the account."""
    return user.is_authenticated and user.is_active and can_write_account(user, account)


def can_configure_kam_value(user: User) -> bool:
    """The RAD / ABC thresholds, margins, the coverage window and the focus rule: an admin's."""
    return user.is_authenticated and user.is_active and is_admin(user)


def can_compute_kam_value(user: User) -> bool:
    """Recomputing the RAD cells and ABC classes of every account (company-wide figures): an admin's."""
    return user.is_authenticated and user.is_active and is_admin(user)


def kam_value_scope(user: User, *, unit_id: int | None = None, owner_id: int | None = None) -> Scope:
    """The scope of a RAD / ABC / coverage read: the report rule (a seller: themselves; a lead: their units,
    or a unit / seller of their reach; an admin: the company or what they choose)."""
    return resolve_scope(user, unit_id=unit_id, owner_id=owner_id)
