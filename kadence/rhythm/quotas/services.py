"""Activity-quota writes: an admin sets, changes and removes the quota rows (per role or per user). The
Django admin edits the same rows; the API calls these."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes, diff
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import can_configure_quotas, visible_activity_quotas
from kadence.rhythm.quotas.models import ActivityQuota, Metric, Per

ENTITY = "rhythm.activityquota"
MAX_AMOUNT = 10_000


def _require_admin(user: User) -> None:
    if not can_configure_quotas(user):
        raise PermissionDenied(_("Only an admin configures activity quotas."))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "metric" in clean and clean["metric"] not in Metric.values:
        raise ValidationFailed(_("Unknown metric."), {"metric": [_("Choose one of the metrics.")]})
    if "per" in clean and clean["per"] not in Per.values:
        raise ValidationFailed(_("Unknown quota unit."), {"per": [_("Choose day, week or month.")]})
    if "amount" in clean:
        amount = clean["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
            raise ValidationFailed(
                _("The amount is a whole number from 0 to %(max)d.") % {"max": MAX_AMOUNT},
                {"amount": [_("Out of range.")]},
            )
    return clean


def _duplicate(existing: ActivityQuota | None) -> Conflict:
    return Conflict(
        _("This person or role already has a quota of this metric; change that one."),
        code="duplicate",
        existing_id=existing.pk if existing else None,
    )


@transaction.atomic
def quota_create(
    user: User,
    *,
    metric: str,
    per: str,
    amount: int,
    role: str | None = None,
    user_id: int | None = None,
) -> ActivityQuota:
    """A quota for a role (every seller of it) or for one person (overrides their role's row of the
    metric). Exactly one of `role` and `user_id`; a second row for the same metric and role / person is
    a 409 `duplicate`."""
    _require_admin(user)
    clean = _clean({"metric": metric, "per": per, "amount": amount})
    if bool(role) == bool(user_id):
        raise ValidationFailed(
            _("Give a role or a person, not both."), {"role": [_("Role or person.")]}, code="role_or_user"
        )
    person = None
    if user_id:
        person = User.objects.filter(pk=user_id).first()
        if person is None:
            raise NotFound(_("Unknown person."))
    elif role not in User.Role.values:
        raise ValidationFailed(_("Unknown role."), {"role": [_("Choose a role.")]})
    same = ActivityQuota.objects.filter(metric=clean["metric"])
    same = same.filter(user=person) if person else same.filter(user__isnull=True, role=role)
    if (existing := same.first()) is not None:
        raise _duplicate(existing)
    try:
        with transaction.atomic():
            quota = ActivityQuota.objects.create(user=person, role=role or "", **clean)
    except IntegrityError as exc:  # a concurrent create of the same row
        raise _duplicate(same.first()) from exc
    audit_changes(ENTITY, quota.pk, {k: (None, v) for k, v in clean.items()}, user, reason="created")
    return quota


@transaction.atomic
def quota_update(user: User, quota_id: int, *, version: int, **values: Any) -> ActivityQuota:
    """Change the amount or the unit of a quota (`version` as read; 409 when stale)."""
    _require_admin(user)
    version = require_version(version)
    unknown = set(values) - {"per", "amount"}
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(
            _("Field %(field)s cannot be set here.") % {"field": field}, {field: [_("Not editable.")]}
        )
    quota = visible_activity_quotas(user).select_for_update().filter(pk=quota_id).first()
    if quota is None:
        raise NotFound(_("Unknown quota."))
    clean = _clean(values)
    changes = diff(quota, clean)
    versioned_update(quota, version, clean)
    audit_changes(ENTITY, quota.pk, changes, user)
    return quota


@transaction.atomic
def quota_delete(user: User, quota_id: int, *, version: int) -> None:
    """Remove a quota row: a role's sellers then have no quota of the metric; a person follows their
    role's row again."""
    _require_admin(user)
    version = require_version(version)
    quota = visible_activity_quotas(user).select_for_update().filter(pk=quota_id).first()
    if quota is None:
        raise NotFound(_("Unknown quota."))
    if quota.version != version:
        raise Conflict(_("This quota was changed by someone else; reload it."), current_version=quota.version)
    audit_changes(ENTITY, quota.pk, {"amount": (quota.amount, None)}, user, reason="deleted")
    quota.delete()
