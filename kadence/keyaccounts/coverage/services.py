"""Coverage of the account pool (issue 15 §9): writes — the policy (an admin's) and bulk assignment.

Bulk assignment: a manager, director or admin gives a set of accounts (ids ticked on the list, or every
account of a list filter such as "all unowned in team X") to one active seller of their units. It is one
transaction: each account row is locked (SELECT … FOR UPDATE, in id order) and handed to the account
service `account_update` with the version just read, so the owner-change rule (the account's team follows
its owner), its scope checks and its audit entry (owner_id, with the reason) are the accounts app's — not
repeated here. Any refusal rolls the whole set back.

The limit: when the seller's load after the assignment would exceed their limit (outside 20, inside 200,
CoveragePolicy), the assignment is refused with 422 `over_limit` saying by how much — unless the caller
confirms (`confirm_over_limit`), in which case it goes through and the page shows the seller over their
limit. Warn and allow with confirmation: a manager sometimes parks accounts on a seller while the team is
re-cut, but never by accident."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kadence.accounts.services import account_update
from kadence.core.audit import audit_changes
from kadence.core.concurrency import versioned_update
from kadence.core.errors import NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_text, whole_number
from kadence.core.visibility import (
    can_assign_accounts,
    can_configure_coverage,
    coverage_assignees,
    in_scope,
    visible_accounts,
)
from kadence.domain.kam.coverage import Load, load_after
from kadence.keyaccounts.coverage import selectors
from kadence.keyaccounts.coverage.models import CoveragePolicy

MAX_BULK = 500
MAX_LIMIT = 100000


@dataclass
class Assignment:
    seller: User
    assigned: int
    unchanged: int
    load: Load


@transaction.atomic
def policy_update(
    user: User,
    *,
    version: int,
    outside_limit: Any = None,
    inside_limit: Any = None,
    neglect_days: Any = None,
    reason: str = "",
) -> CoveragePolicy:
    """An admin changes the limits or the neglect window (a field not given stays); 409 when stale."""
    if not can_configure_coverage(user):
        raise PermissionDenied(_("Only an admin changes the coverage policy."))
    policy, _created = CoveragePolicy.objects.select_for_update().get_or_create(pk=1)
    values: dict[str, int] = {}
    for name, value, low, high in (
        ("outside_limit", outside_limit, 1, MAX_LIMIT),
        ("inside_limit", inside_limit, 1, MAX_LIMIT),
        ("neglect_days", neglect_days, 1, 3650),
    ):
        if value is not None and value != "":
            values[name] = whole_number(value, name, low, high)
    changes = {f: (getattr(policy, f), v) for f, v in values.items()}
    versioned_update(policy, version, values)
    audit_changes("keyaccounts.coveragepolicy", policy.pk, changes, user, reason[:500])
    return policy


def _seller(user: User, seller_id: int | None) -> User:
    if seller_id is None:
        raise ValidationFailed(
            _("Choose the seller to assign to."), {"owner_id": [_("This field is required.")]}
        )
    seller = coverage_assignees(user).filter(pk=seller_id).first()
    if seller is None:
        raise ValidationFailed(
            _("Choose an active seller of your units."), {"owner_id": [_("Not a seller you may assign to.")]}
        )
    return seller


@transaction.atomic
def bulk_assign(
    user: User,
    *,
    owner_id: int | None,
    account_ids: Iterable[int] | None = None,
    kind: str | None = None,
    unit_id: int | None = None,
    as_of: date | None = None,
    confirm_over_limit: bool = False,
    reason: str = "",
) -> Assignment:
    """Give the accounts (`account_ids`, or every account of the list `kind` in `unit_id` when no ids are
    given) to the seller `owner_id`; see the module docstring for the limit and the audit."""
    if not can_assign_accounts(user):
        raise PermissionDenied(_("Only a manager, director or admin assigns accounts in bulk."))
    reason = clean_text(reason or "", "reason", 500, label=_("reason")).strip()
    seller = _seller(user, owner_id)
    if account_ids is not None:
        ids = sorted({int(i) for i in account_ids})
        if not ids:
            raise ValidationFailed(
                _("Tick at least one account."), {"account_ids": [_("No account chosen.")]}
            )
    else:
        if not kind or kind == "all":
            raise ValidationFailed(
                _("Choose the accounts, or a list (unowned, neglected) to assign whole."),
                {"kind": [_("Choose unowned, neglected or covered.")]},
            )
        rows = selectors.account_rows(user, kind=kind, unit_id=unit_id, as_of=as_of)
        ids = sorted(rows.values_list("pk", flat=True)[: MAX_BULK + 1])
        if not ids:
            raise ValidationFailed(_("No account matches this list."), {"kind": [_("Nothing to assign.")]})
    if len(ids) > MAX_BULK:
        raise ValidationFailed(
            _("At most %(n)d accounts at a time; narrow the list.") % {"n": MAX_BULK},
            {"account_ids": [_("Too many accounts.")]},
        )
    accounts = list(visible_accounts(user).filter(pk__in=ids).select_for_update(of=("self",)).order_by("pk"))
    if len(accounts) != len(ids):
        raise NotFound(_("Account not found."))
    for account in accounts:
        if not in_scope(user, account.team_id):
            raise PermissionDenied(
                _("%(name)s is not in your units: you cannot reassign it.") % {"name": account.name}
            )
    moving = [a for a in accounts if a.owner_id != seller.pk]
    policy = CoveragePolicy.current()
    current = selectors.load_of(seller, policy)
    after = load_after(current.accounts, len(moving), current.limit)
    if after.over and moving and not confirm_over_limit:
        raise ValidationFailed(
            _(
                "%(seller)s would own %(after)d accounts, %(excess)d over their limit of %(limit)d. "
                "Confirm to assign anyway, or choose fewer accounts."
            )
            % {"seller": seller.label, "after": after.accounts, "excess": after.excess, "limit": after.limit},
            {"owner_id": [_("Over the seller's limit.")]},
            code="over_limit",
            load=after.accounts,
            limit=after.limit,
        )
    note = reason or _("Bulk assignment (coverage of the pool)")
    for account in moving:
        account_update(user, account.pk, version=account.version, owner_id=seller.pk, reason=note)
    return Assignment(seller, len(moving), len(accounts) - len(moving), after)
