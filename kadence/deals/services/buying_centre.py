"""Writes to a deal's buying centre (METHODOLOGY §4): add a contact, change their roles, attitude,
influence and last contact, remove them.

Whoever may contribute to the deal (its writers and its deal team) may do so, on open and closed
deals alike (a lost deal's buying centre is worth correcting for the post-mortem). Each change is
audited on the opportunity (field "buying_centre", one line per member: "name: roles; attitude;
influence; key; last contact") and ends with the gate recheck, since gates may require coverage or
a coach.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Contact
from kadence.core.audit import audit_changes
from kadence.core.concurrency import versioned_update
from kadence.core.errors import NotFound, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_bool, clean_text, not_in_future
from kadence.core.visibility import access_contact, access_opportunity
from kadence.deals.models import BuyingCentreMember
from kadence.deals.services.gates import opportunity_recheck
from kadence.pipeline.models import Opportunity

ENTITY = "pipeline.opportunity"
FIELD = "buying_centre"
ROLES_IN_ORDER = tuple(Contact.BuyingRole.values)
ROLES = frozenset(ROLES_IN_ORDER)
ATTITUDES = frozenset(Contact.Attitude.values)
INFLUENCES = frozenset(Contact.Influence.values)
EDITABLE = ("roles", "attitude", "influence", "is_key", "last_contact_on", "note")


def clean_roles(value: Any) -> list[str]:
    """Known buying-role codes, each once, in the order given."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationFailed(_("Roles must be a list of role codes."), {"roles": [_("Expected a list.")]})
    roles = list(value)
    unknown = [str(r) for r in roles if not isinstance(r, str) or r not in ROLES]
    if unknown:
        raise ValidationFailed(
            _("Unknown buying role: %(roles)s.") % {"roles": ", ".join(unknown)},
            {"roles": [_("Choose from: %(known)s.") % {"known": ", ".join(ROLES_IN_ORDER)}]},
        )
    return list(dict.fromkeys(roles))


def _choice(value: Any, field: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValidationFailed(
            _("%(field)s must be one of: %(allowed)s.")
            % {"field": field, "allowed": ", ".join(sorted(allowed))},
            {field: [_("Choose a valid value.")]},
        )
    return value


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The editable fields present in `values`, checked."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            {f: [_("Unknown field.")] for f in sorted(unknown)},
        )
    clean: dict[str, Any] = {}
    if "roles" in values:
        clean["roles"] = clean_roles(values["roles"])
    if "attitude" in values:
        clean["attitude"] = _choice(values["attitude"], "attitude", ATTITUDES)
    if "influence" in values:
        clean["influence"] = _choice(values["influence"], "influence", INFLUENCES)
    if "is_key" in values:
        clean["is_key"] = clean_bool(values["is_key"], "is_key")
    if "last_contact_on" in values:
        last = values["last_contact_on"]
        if last is not None and not isinstance(last, date):
            raise ValidationFailed(_("Enter a valid date."), {"last_contact_on": [_("Enter a valid date.")]})
        not_in_future(last, timezone.localdate(), "last_contact_on")
        clean["last_contact_on"] = last
    if "note" in values:
        clean["note"] = clean_text(values["note"], "note", 500, multiline=True).strip()
    return clean


def summary(member: BuyingCentreMember, name: str) -> str:
    """One audit line for a member: "name: roles; attitude; influence[; key][; last contact]"."""
    parts = [",".join(member.roles or []) or "-", member.attitude, member.influence]
    if member.is_key:
        parts.append("key")
    if member.last_contact_on:
        parts.append(member.last_contact_on.isoformat())
    return f"{name}: " + "; ".join(parts)


def _member_of(opp: Opportunity, member_id: int) -> BuyingCentreMember:
    member = (
        BuyingCentreMember.objects.select_related("contact").filter(pk=member_id, opportunity=opp).first()
    )
    if member is None:
        raise NotFound(_("This contact is not in the deal's buying centre."))
    return member


@transaction.atomic
def buying_centre_add(user: User, opp_id: int, *, contact_id: int, **values: Any) -> BuyingCentreMember:
    """Put a contact of the deal's account, visible to `user`, into the deal's buying centre. Roles,
    attitude and influence not given (or None) are copied from the contact's record."""
    opp = access_opportunity(user, opp_id, lock=True)
    contact = access_contact(user, contact_id)
    if contact.account_id != opp.account_id:
        raise ValidationFailed(
            _("Only contacts of the deal's account can join its buying centre."),
            {"contact_id": [_("Choose a contact of %(account)s.") % {"account": opp.account}]},
        )
    given = {k: v for k, v in values.items() if not (k in ("roles", "attitude", "influence") and v is None)}
    clean = _clean(given)
    clean.setdefault("roles", clean_roles([r for r in contact.buying_roles or [] if r in ROLES]))
    clean.setdefault("attitude", contact.attitude)
    clean.setdefault("influence", contact.influence)
    if BuyingCentreMember.objects.filter(opportunity=opp, contact=contact).exists():
        raise ValidationFailed(
            _("%(name)s is already in this deal's buying centre.") % {"name": contact.name},
            {"contact_id": [_("Already in the buying centre.")]},
            code="already_member",
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            member = BuyingCentreMember.objects.create(
                opportunity=opp, contact=contact, added_by=user, added_at=now, updated_at=now, **clean
            )
    except IntegrityError:  # added by someone else at the same moment
        raise ValidationFailed(
            _("%(name)s is already in this deal's buying centre.") % {"name": contact.name},
            {"contact_id": [_("Already in the buying centre.")]},
            code="already_member",
        ) from None
    member.contact = contact
    audit_changes(ENTITY, opp.pk, {FIELD: ("", summary(member, contact.name))}, user)
    opportunity_recheck(opp, user)
    return member


@transaction.atomic
def buying_centre_update(
    user: User, opp_id: int, member_id: int, *, version: int, **values: Any
) -> BuyingCentreMember:
    """Change the fields given (roles, attitude, influence, is_key, last_contact_on — not in the
    future —, note). `version` is the member's version read; a stale one is a Conflict (409). A
    change of the note alone is not audited (the audit line carries what the rules evaluate)."""
    opp = access_opportunity(user, opp_id, lock=True)
    member = _member_of(opp, member_id)
    clean = _clean(values)
    before = summary(member, member.contact.name)
    versioned_update(member, version, clean)
    audit_changes(ENTITY, opp.pk, {FIELD: (before, summary(member, member.contact.name))}, user)
    opportunity_recheck(opp, user)
    return member


@transaction.atomic
def buying_centre_remove(user: User, opp_id: int, member_id: int) -> None:
    """Take a contact out of the deal's buying centre (the contact itself stays on the account)."""
    opp = access_opportunity(user, opp_id, lock=True)
    member = _member_of(opp, member_id)
    before = summary(member, member.contact.name)
    member.delete()
    audit_changes(ENTITY, opp.pk, {FIELD: (before, "")}, user)
    opportunity_recheck(opp, user)
