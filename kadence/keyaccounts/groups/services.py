"""Account groups, written (issue 15 §1 and §9): an account's collaborators (added, changed, removed) and
the merge of a duplicate account into the one that stays. Setting an account's parent is an account
edit (kadence.accounts.services.account_update, `parent_id`): validated there (no cycle), audited and
version-checked like every account edit.

Every service is atomic, locks the rows it changes, checks permissions in kadence.core.visibility and
writes the audit trail (kadence.core.audit)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Account, AccountMember
from kadence.accounts.tree import ancestor_ids
from kadence.core.audit import _text, audit_changes
from kadence.core.concurrency import require_version
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_text
from kadence.core.visibility import (
    access_account,
    can_manage_account_members,
    can_merge_accounts,
    visible_accounts,
    visible_users,
)
from kadence.keyaccounts.groups.models import MergedAccount

ENTITY = "accounts.account"

# --- collaborators -------------------------------------------------------------------------------


def _member_account(user: User, account_id: int) -> Account:
    account = access_account(user, account_id)
    if not can_manage_account_members(user, account):
        raise PermissionDenied(_("Only the account's owner or a manager over it may change its team."))
    return Account.objects.select_for_update().get(pk=account.pk)


def _clean_access(access: Any) -> str:
    if access not in AccountMember.Access.values:
        raise ValidationFailed(_("Unknown access."), {"access": [_("Choose read or write.")]})
    return str(access)


@transaction.atomic
def member_add(
    user: User, account_id: int, *, user_id: int, access: str = "read", role: str = ""
) -> AccountMember:
    """Add a collaborator (or change the access and role of one already there)."""
    account = _member_account(user, account_id)
    access = _clean_access(access)
    role = clean_text(role or "", "role", 100, label=_("role")).strip()
    member_user = visible_users(user).filter(pk=user_id, is_active=True).first()
    if member_user is None:
        raise ValidationFailed(_("Unknown user."), {"user_id": [_("Choose an active colleague.")]})
    if member_user.pk == account.owner_id:
        raise ValidationFailed(
            _("The owner already has the account; add someone else."), {"user_id": [_("This is the owner.")]}
        )
    current = AccountMember.objects.filter(account=account, user=member_user).first()
    if current is not None:
        changes = {"member_access": (f"{member_user.pk}:{current.access}", f"{member_user.pk}:{access}")}
        current.access, current.role = access, role
        current.save(update_fields=["access", "role"])
        audit_changes(ENTITY, account.pk, changes, user)
        return current
    member = AccountMember.objects.create(
        account=account, user=member_user, access=access, role=role, added_by=user, added_at=timezone.now()
    )
    audit_changes(ENTITY, account.pk, {"member_added": ("", f"{member_user.pk}:{access}")}, user)
    return member


@transaction.atomic
def member_remove(user: User, account_id: int, member_id: int) -> None:
    account = _member_account(user, account_id)
    member = AccountMember.objects.filter(account=account, pk=member_id).first()
    if member is None:
        raise NotFound(_("Collaborator not found."))
    audit_changes(ENTITY, account.pk, {"member_removed": (f"{member.user_id}:{member.access}", "")}, user)
    member.delete()


# --- merge ---------------------------------------------------------------------------------------

# A part whose rows keyed by account cannot simply move (the survivor may already hold its twin, e.g. a
# figure per account and year) may register how to fold the merged account's rows into the survivor's:
# handler(merged_id, survivor_id) → rows moved. Without a handler, rows move; a row whose unique key the
# survivor already holds stays the survivor's, and the merged one is kept in MergedAccount.kept.
MERGE_HANDLERS: dict[str, Any] = {}


def register_merge_handler(label: str, handler: Any) -> None:
    MERGE_HANDLERS[label] = handler


def _relations() -> list[tuple[type[models.Model], str, bool]]:
    """(model, field name, many-to-many) of every relation pointing at Account, in every app
    (Account._meta.related_objects): what a merge moves."""
    out: list[tuple[type[models.Model], str, bool]] = []
    for rel in Account._meta.related_objects:
        if rel.many_to_many:
            out.append((rel.related_model, rel.field.name, True))  # type: ignore[arg-type]
        else:
            out.append((rel.related_model, rel.field.name, False))  # type: ignore[arg-type]
    return out


def _unique_sets(model: type[models.Model], field: str) -> list[list[str]]:
    """The unique keys of `model` that include `field` (the other fields of each)."""
    sets = [list(fields) for fields in model._meta.unique_together]
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.fields
            and constraint.condition is None
        ):
            sets.append(list(constraint.fields))
    if getattr(model._meta.get_field(field), "unique", False):
        sets.append([field])
    return [[f for f in fields if f != field] for fields in sets if field in fields]


def _label(model: type[models.Model], field: str) -> str:
    return f"{model._meta.label}.{field}"


def merge_preview(user: User, survivor_id: int, merged_id: int) -> dict[str, Any]:
    """What a merge would move: {survivor, merged, moves: [{label, name, rows}]} (a GET: changes
    nothing). Refuses what merge_accounts would refuse — a merge the user may not make answers "not found"
    here, as every read does."""
    try:
        survivor, merged = _pair(user, survivor_id, merged_id)
    except PermissionDenied as exc:
        raise NotFound(exc.detail) from exc
    moves = []
    for model, field, _m2m in _relations():
        count = model._default_manager.filter(**{field: merged}).count()
        label = _label(model, field)
        if count:
            moves.append({"label": label, "name": str(model._meta.verbose_name_plural), "rows": count})
    return {"survivor": survivor, "merged": merged, "moves": moves}


def _pair(user: User, survivor_id: int, merged_id: int) -> tuple[Account, Account]:
    if survivor_id == merged_id:
        raise ValidationFailed(
            _("Choose two different accounts."), {"merged_id": [_("An account cannot merge into itself.")]}
        )
    visible = {a.pk: a for a in visible_accounts(user).filter(pk__in=[survivor_id, merged_id])}
    if survivor_id not in visible or merged_id not in visible:
        raise NotFound(_("Account not found."))
    survivor, merged = visible[survivor_id], visible[merged_id]
    if not can_merge_accounts(user, survivor, merged):
        raise PermissionDenied(_("Only an admin, or a manager over both accounts, may merge them."))
    if merged.pk in ancestor_ids(survivor.pk):
        raise ValidationFailed(
            _(
                "The account that stays is below the duplicate in its group: move it out first, or merge the other way round."
            ),
            {"merged_id": [_("This account is above the one that stays.")]},
            code="merge_cycle",
        )
    return survivor, merged


@transaction.atomic
def merge_accounts(
    user: User,
    survivor_id: int,
    merged_id: int,
    *,
    survivor_version: int | None,
    merged_version: int | None,
    reason: str = "",
) -> MergedAccount:
    """Merge the duplicate `merged_id` into `survivor_id`: every row pointing at it, in every app
    (opportunities with their stage history, contacts, activities, collaborators, reviews, anything with
    a foreign key to Account), is re-pointed to the survivor, its children become the survivor's, an
    empty credit code or address of the survivor is filled from it, a MergedAccount row keeps its id,
    name, credit code and what moved, both accounts' audit trails record the merge, and then it is
    deleted. Both versions must be the ones the user read (409 otherwise). Summaries are kept by owner and
    team, never by account, so they stay exact."""
    survivor_version = require_version(survivor_version)
    merged_version = require_version(merged_version)
    reason = clean_text(reason or "", "reason", 500, label=_("reason")).strip()
    survivor, merged = _pair(user, survivor_id, merged_id)
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=sorted([survivor.pk, merged.pk]))
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    for account, version in ((survivor, survivor_version), (merged, merged_version)):
        if account.version != version:
            raise Conflict(
                _(
                    "%(name)s was changed by someone else (version %(current)s, you read %(read)s). Reload and try again."
                )
                % {"name": account.name, "current": account.version, "read": version},
                current_version=account.version,
            )
    snapshot = {k: _text(v) for k, v in model_to_dict(merged).items()}
    moved: dict[str, int] = {}
    kept: dict[str, Any] = {"account": snapshot}
    for model, field, m2m in _relations():
        label = _label(model, field)
        if label in MERGE_HANDLERS:
            count = MERGE_HANDLERS[label](merged.pk, survivor.pk)
        elif m2m:
            count = _move_m2m(model, field, merged, survivor)
        else:
            count = _move_fk(model, field, merged, survivor, kept)
        if count:
            moved[label] = count
    fill = {}
    for name in ("credit_code", "address"):
        if not getattr(survivor, name) and getattr(merged, name):
            fill[name] = getattr(merged, name)
    record = MergedAccount.objects.create(
        old_id=merged.pk,
        old_name=merged.name,
        credit_code=merged.credit_code,
        survivor=survivor,
        merged_by=user,
        merged_at=timezone.now(),
        reason=reason,
        moved=moved,
        kept=kept,
    )
    audit_changes(
        ENTITY,
        merged.pk,
        {"merged_into": ("", f"{survivor.pk} {survivor.name}")},
        user,
        reason or _("Merged as a duplicate"),
    )
    audit_changes(
        ENTITY,
        survivor.pk,
        {"merged_from": ("", f"{merged.pk} {merged.name}"), **{k: ("", v) for k, v in fill.items()}},
        user,
        reason or _("Merged a duplicate in"),
    )
    try:
        Account.objects.filter(pk=merged.pk).delete()
    except models.ProtectedError as exc:  # a relation the loop could not move (should not happen)
        raise Conflict(_("Some records still point at the duplicate; nothing was merged.")) from exc
    payload: dict[str, Any] = {**fill, "version": models.F("version") + 1, "updated_at": timezone.now()}
    Account.objects.filter(pk=survivor.pk).update(**payload)
    return record


def _move_fk(
    model: type[models.Model], field: str, merged: Account, survivor: Account, kept: dict[str, Any]
) -> int:
    manager = model._default_manager
    rows = manager.filter(**{field: merged})
    for others in _unique_sets(model, field):
        taken = manager.filter(**{field: survivor})
        if others:
            taken_keys = set(taken.values_list(*others))
            attnames = [getattr(model._meta.get_field(f), "attname", f) for f in others]
            clashes = [row for row in rows if tuple(getattr(row, a) for a in attnames) in taken_keys]
        else:  # one row per account (a one-to-one): the survivor's stays
            clashes = list(rows) if taken.exists() else []
        if clashes:
            kept.setdefault(model._meta.label, []).extend(
                {k: _text(v) for k, v in model_to_dict(row).items()} for row in clashes
            )
            manager.filter(pk__in=[row.pk for row in clashes]).delete()
    try:
        with transaction.atomic():
            return rows.update(**{field: survivor})
    except IntegrityError as exc:
        raise Conflict(
            _("The accounts' %(what)s could not be combined; nothing was merged.")
            % {"what": model._meta.verbose_name_plural}
        ) from exc


def _move_m2m(model: type[models.Model], field: str, merged: Account, survivor: Account) -> int:
    through = model._meta.get_field(field).remote_field.through  # type: ignore[union-attr]
    account_col = next(f.name for f in through._meta.fields if f.is_relation and f.related_model is Account)
    other_col = next(f.name for f in through._meta.fields if f.is_relation and f.related_model is model)
    rows = through.objects.filter(**{account_col: merged})
    have = set(through.objects.filter(**{account_col: survivor}).values_list(f"{other_col}_id", flat=True))
    rows.filter(**{f"{other_col}_id__in": have}).delete()
    return rows.update(**{account_col: survivor})
