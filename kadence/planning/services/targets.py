"""Target writes (issue 4 item 3): create, edit and delete the sales target of a unit (company,
region, team) or a seller for a month, quarter or year. Who may is decided in
the visibility policy (kadence.core.visibility: can_set_target, access_target). Every write is atomic and audited on entity
"planning.target"; edits and deletes name the version they were based on (a stale one is a 409).

Rules: exactly one of unit / seller; the period start is normalised to the first day of its
period (any day of May with "quarter" is the quarter starting 1 April); the amount is ≥ 0; one
target per scope and period (a second one is a 409 `duplicate` naming the existing target)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes, audit_many, diff
from kadence.core.bulk import insert_rows, update_rows
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.validation import MoneyInput, clean_currency, clean_money, clean_text
from kadence.core.visibility import access_target, can_set_target, holds_personal_target
from kadence.planning.models import Target
from kadence.planning.selectors.targets import period_of

ENTITY = "planning.target"
FIELDS = ("unit", "user", "period_kind", "period_start", "amount", "currency", "note")


class TargetChanges(TypedDict, total=False):
    """What target_update changes (the scope stays); a field not given stays as it is."""

    amount: MoneyInput
    currency: str
    note: str
    period_kind: str
    period_start: date  # any day of the period


# Callers may also pass a dict (`**payload.changes()`): a key outside these is refused.
CHANGEABLE = frozenset(TargetChanges.__annotations__)


def _amount(value: Any) -> Decimal:
    return clean_money(value, "amount")


def _day(value: Any) -> date:
    if not isinstance(value, date):
        raise ValidationFailed(_("Enter a valid date."), {"period_start": [_("Enter a valid date.")]})
    return value


def _duplicate(existing: Target) -> Conflict:
    return Conflict(
        _("This scope already has a target for that period; edit it instead."),
        code="duplicate",
        existing_id=existing.pk,
    )


def _stale(target: Target, version: int) -> Conflict:
    return Conflict(
        _(
            "This record was changed by someone else (version %(current)s, you edited version %(yours)s). "
            "Reload it and apply your change again."
        )
        % {"current": target.version, "yours": version},
        current_version=target.version,
    )


def _same_scope_period(target_unit_id: int | None, target_user_id: int | None, kind: str, start: date):
    qs = Target.objects.filter(period_kind=kind, period_start=start)
    return qs.filter(unit_id=target_unit_id) if target_unit_id else qs.filter(user_id=target_user_id)


@transaction.atomic
def target_create(
    user: User,
    *,
    period_kind: str,
    period_start: date,
    amount: MoneyInput,
    unit_id: int | None = None,
    user_id: int | None = None,
    currency: str = "CNY",
    note: str = "",
) -> Target:
    """Set the target of one unit or one seller for one period."""
    if (unit_id is None) == (user_id is None):
        raise ValidationFailed(
            _("Choose either a unit or a seller."), {"unit_id": [_("Choose a unit or a seller, not both.")]}
        )
    unit = seller = None
    if unit_id is not None:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise ValidationFailed(_("Unknown unit."), {"unit_id": [_("Unknown id.")]})
    elif user_id is not None:  # always, given the check above
        seller = User.objects.filter(pk=user_id, is_active=True).first()
        if seller is None:
            raise ValidationFailed(_("Unknown seller."), {"user_id": [_("Unknown id.")]})
        if not holds_personal_target(seller):
            raise ValidationFailed(
                _("Personal targets are for sellers (reps and inside sales)."),
                {"user_id": [_("Choose a seller.")]},
            )
    if not can_set_target(user, unit=unit, seller=seller):
        raise PermissionDenied(_("You may not set this target."))
    period = period_of(period_kind, _day(period_start), default_day=period_start)
    values: dict[str, Any] = {
        "unit": unit,
        "user": seller,
        "period_kind": period.kind,
        "period_start": period.start,
        "amount": _amount(amount),
        "currency": clean_currency(currency),
        "note": clean_text(note, "note", 500, multiline=True).strip(),
    }
    existing = _same_scope_period(unit_id, user_id, period.kind, period.start).first()
    if existing is not None:
        raise _duplicate(existing)
    try:
        with transaction.atomic():
            target = Target.objects.create(created_by=user, **values)
    except IntegrityError:  # created by someone else between the check and the insert
        raise _duplicate(_same_scope_period(unit_id, user_id, period.kind, period.start).get()) from None
    audit_changes(ENTITY, target.pk, {f: (None, values[f]) for f in FIELDS}, user, _("created"))
    return target


@transaction.atomic
def target_update(user: User, target_id: int, *, version: int, **changes: Unpack[TargetChanges]) -> Target:
    """Change the amount, currency, note or period of a target (the scope stays). `version` is the
    one read (required)."""
    require_version(version)
    target = access_target(user, target_id, for_write=True)
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed."), {f: [_("Not editable.")] for f in sorted(unknown)}
        )
    values: dict[str, Any] = {}
    if "amount" in changes:
        values["amount"] = _amount(changes["amount"])
    if "currency" in changes:
        values["currency"] = clean_currency(changes["currency"])
    if "note" in changes:
        values["note"] = clean_text(changes["note"], "note", 500, multiline=True).strip()
    if "period_kind" in changes or "period_start" in changes:
        day = _day(changes["period_start"]) if "period_start" in changes else target.period_start
        period = period_of(changes.get("period_kind", target.period_kind), day, default_day=day)
        values.update(period_kind=period.kind, period_start=period.start)
        clash = (
            _same_scope_period(target.unit_id, target.user_id, period.kind, period.start)
            .exclude(pk=target.pk)
            .first()
        )
        if clash is not None:
            raise _duplicate(clash)
    if version != target.version:
        raise _stale(target, version)
    changed = diff(target, values)
    if not changed:
        return target
    try:
        with transaction.atomic():
            versioned_update(target, version, {f: new for f, (_old, new) in changed.items()})
    except IntegrityError:
        raise Conflict(
            _("This scope already has a target for that period; edit it instead."), code="duplicate"
        ) from None
    audit_changes(ENTITY, target.pk, changed, user)
    return target


@transaction.atomic
def target_delete(user: User, target_id: int, *, version: int | None) -> None:
    """Delete a target (who may set it), only if it is still the `version` read (required)."""
    version = require_version(version)
    target = access_target(user, target_id, for_write=True)
    if version != target.version:
        raise _stale(target, version)
    deleted = Target.objects.filter(pk=target.pk, version=target.version).delete()[0]
    if not deleted:  # changed or deleted by someone else since it was read
        current = Target.objects.filter(pk=target.pk).first()
        if current is None:
            raise NotFound(_("Target not found."))
        raise _stale(current, target.version)
    audit_changes(ENTITY, target.pk, {f: (getattr(target, f), None) for f in FIELDS}, user, _("deleted"))


class TargetItem(NamedTuple):
    """One target of a set written at once: a unit or a seller (exactly one), a period (its first day),
    the amount."""

    unit_id: int | None
    user_id: int | None
    period_kind: str
    period_start: date
    amount: Decimal


# The columns of a target created by targets_set_many, in the order its rows give them.
CREATED_FIELDS = (
    "unit_id",
    "user_id",
    "period_kind",
    "period_start",
    "amount",
    "currency",
    "note",
    "created_by_id",
    "created_at",
    "updated_at",
    "version",
)


@transaction.atomic
def targets_set_many(
    user: User, items: Sequence[TargetItem], *, currency: str = "CNY", note: str = ""
) -> tuple[int, int]:
    """Set many targets at once (an approved target grid, kadence.performance.grid): each item creates
    its scope's target for the period or changes the amount of the one there (its version bumped),
    set-based — a few queries whatever the number — and audited like target_create / target_update.
    Every scope must be one `user` may set (PermissionDenied otherwise, nothing written). Returns
    (created, changed)."""
    currency = clean_currency(currency)
    note = clean_text(note, "note", 500, multiline=True).strip()
    unit_ids = sorted({i.unit_id for i in items if i.unit_id is not None})
    user_ids = sorted({i.user_id for i in items if i.user_id is not None})
    units = OrgUnit.objects.in_bulk(unit_ids)
    sellers = User.objects.in_bulk(user_ids)
    for item in items:
        if (item.unit_id is None) == (item.user_id is None):
            raise ValidationFailed(_("Choose either a unit or a seller."), {"unit_id": [_("Choose one.")]})
        unit, seller = units.get(item.unit_id or 0), sellers.get(item.user_id or 0)
        if (item.unit_id and unit is None) or (
            item.user_id and (seller is None or not holds_personal_target(seller))
        ):
            raise ValidationFailed(_("Unknown unit or seller."), {"unit_id": [_("Unknown id.")]})
        if not can_set_target(user, unit=unit, seller=seller):
            raise PermissionDenied(_("You may not set this target."))
        _amount(item.amount)
    starts = sorted({i.period_start for i in items})
    existing = {
        (t.unit_id, t.user_id, t.period_kind, t.period_start): t
        for t in Target.objects.select_for_update()
        .filter(period_start__in=starts)
        .filter(Q(unit_id__in=unit_ids) | Q(user_id__in=user_ids))
    }
    now = timezone.now()
    created: list[tuple] = []
    changed: list[tuple] = []
    audit: dict[int, dict[str, tuple[Any, Any]]] = {}
    for item in items:
        key = (item.unit_id, item.user_id, item.period_kind, item.period_start)
        target = existing.get(key)
        if target is None:
            created.append((*key, item.amount, currency, note, user.pk, now, now, 1))
        elif target.amount != item.amount or target.currency != currency:
            audit[target.pk] = {
                "amount": (target.amount, item.amount),
                "currency": (target.currency, currency),
            }
            changed.append((target.pk, item.amount, currency, target.version + 1, now))
    # set-based writes without model instances: a company grid's first approval creates ~40,000 targets
    update_rows(Target, ["amount", "currency", "version", "updated_at"], changed)
    insert_rows(Target, CREATED_FIELDS, created)
    if created:
        made = {(i[0], i[1], i[2], i[3]) for i in created}
        for pk, unit_id, user_id, kind, start, amount in (
            Target.objects.filter(period_start__in=starts, created_at=now)
            .filter(Q(unit_id__in=unit_ids) | Q(user_id__in=user_ids))
            .values_list("pk", "unit_id", "user_id", "period_kind", "period_start", "amount")
        ):
            if (
                unit_id,
                user_id,
                kind,
                start,
            ) in made:  # the amount: scope and period are the row's own and never change
                audit[pk] = {"amount": (None, amount)}
    audit_many(ENTITY, audit, user, note or _("set from a target grid"))
    return len(created), len(changed)
