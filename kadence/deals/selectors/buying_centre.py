"""Reads of a deal's buying centre (METHODOLOGY §4): the members with their contact and the last time
we met them, the coverage of the required roles and the red flags, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.db.models import DateField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _

from kadence.accounts.models import Contact
from kadence.activities.models import Activity
from kadence.core.errors import NotFound
from kadence.core.models import User
from kadence.core.visibility import access_opportunity, visible_contacts
from kadence.deals.models import BuyingCentreMember, ControlPolicy
from kadence.domain import buying_centre as domain
from kadence.pipeline.models import Opportunity


class LastContact(TypedDict):
    """The annotation of members_with_last_contact (a date, or its text on some SQLite versions)."""

    last_contact: date | str | None


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    MemberWithLastContact = WithAnnotations[BuyingCentreMember, LastContact]

ROLE_LABELS = dict(Contact.BuyingRole.choices)
INFLUENCES = [c for c, _label in Contact.Influence.choices]
ATTITUDES = [c for c, _label in Contact.Attitude.choices]


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))


@dataclass
class MemberRow:
    """A member as pages and the API show it: `last_contact` is the later of the date typed on the
    member and the latest done activity with the contact on or before `as_of` (on any deal);
    `stale` when that is more than the policy's days ago, or never."""

    member: BuyingCentreMember
    last_contact: date | None
    days_since: int | None
    stale: bool

    @property
    def contact(self) -> Contact:
        return self.member.contact

    @property
    def role_labels(self) -> list[str]:
        return [role_label(code) for code in self.member.roles or []]

    @property
    def is_key_contact(self) -> bool:
        return self.member.is_key or self.member.influence == Contact.Influence.HIGH


@dataclass
class RoleStatus:
    code: str
    label: str
    covered: bool


@dataclass
class FlagRow:
    """A red flag with the message people read."""

    flag: domain.RedFlag
    message: str

    @property
    def code(self) -> str:
        return self.flag.code


@dataclass
class BuyingCentreView:
    opportunity: Opportunity
    as_of: date
    members: list[MemberRow]
    coverage: domain.Coverage
    roles: list[RoleStatus]
    red_flags: list[FlagRow]
    stale_days: int

    def grid(self) -> list[tuple[str, list[tuple[str, list[MemberRow]]]]]:
        """The map: influence rows (high → low) × attitude columns (support → oppose)."""
        cells: dict[tuple[str, str], list[MemberRow]] = {(i, a): [] for i in INFLUENCES for a in ATTITUDES}
        for row in self.members:
            cells.setdefault((row.member.influence, row.member.attitude), []).append(row)
        return [(i, [(a, cells[(i, a)]) for a in ATTITUDES]) for i in INFLUENCES]


def flag_message(flag: domain.RedFlag, stale_days: int) -> str:
    if flag.code == domain.NO_ECONOMIC_BUYER:
        return _("No economic buyer or decision maker identified.")
    if flag.code == domain.NO_COACH:
        return _("No coach: nobody supportive or neutral guides us inside the customer.")
    if flag.code == domain.HIGH_INFLUENCE_OPPONENT:
        return _("%(name)s has high influence and opposes us.") % {"name": flag.name}
    if flag.code == domain.KEY_CONTACT_NEVER_MET:
        return _("Key contact %(name)s has never been met.") % {"name": flag.name}
    if flag.code == domain.KEY_CONTACT_STALE:
        return _("Key contact %(name)s not met for %(days)d days (more than %(limit)d).") % {
            "name": flag.name,
            "days": flag.days or 0,
            "limit": stale_days,
        }
    return flag.code


def members_with_last_contact(opp_id: int, as_of: date) -> QuerySet[MemberWithLastContact]:
    """The deal's members with their contact and `last_contact` annotated in SQL: the later of
    `last_contact_on` and the latest done activity with the contact dated on or before `as_of`."""
    latest_activity = (
        Activity.objects.filter(contacts=OuterRef("contact_id"), done=True, date__lte=as_of)
        .order_by("-date")
        .values("date")[:1]
    )
    activity_on = Subquery(latest_activity, output_field=DateField())
    # GREATEST is NULL on SQLite as soon as one side is NULL: coalesce each side with the other.
    last = Greatest(
        Coalesce("last_contact_on", activity_on),
        Coalesce(activity_on, "last_contact_on"),
        output_field=DateField(),
    )
    return (
        BuyingCentreMember.objects.filter(opportunity_id=opp_id)
        .select_related("contact")
        .annotate(last_contact=last)
        .order_by("id")
    )


def to_domain(member: BuyingCentreMember, last_contact: date | None) -> domain.Member:
    return domain.Member(
        member.pk,
        member.contact.name,
        frozenset(str(r) for r in member.roles or []),
        member.attitude,
        member.influence,
        member.is_key,
        last_contact,
    )


def _as_date(value: object) -> date | None:
    # SQLite hands back the annotation as text on some versions; PostgreSQL as a date.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def buying_centre_of(opp: Opportunity, as_of: date, policy: ControlPolicy | None = None) -> BuyingCentreView:
    """The buying centre of an opportunity already checked for access: two queries (the policy,
    the members with contacts and last contact)."""
    policy = policy or ControlPolicy.current()
    stale_days = policy.contact_stale_days
    rows: list[MemberRow] = []
    members: list[domain.Member] = []
    for member in members_with_last_contact(opp.pk, as_of):
        last = _as_date(member.last_contact)
        rows.append(
            MemberRow(member, last, domain.days_since(last, as_of), domain.is_stale(last, as_of, stale_days))
        )
        members.append(to_domain(member, last))
    result = domain.assess(members, [str(r) for r in policy.required_buying_roles or []], as_of, stale_days)
    roles = [
        RoleStatus(code, role_label(code), code in result.coverage.covered)
        for code in result.coverage.required
    ]
    flags = [FlagRow(flag, flag_message(flag, stale_days)) for flag in result.red_flags]
    return BuyingCentreView(opp, as_of, rows, result.coverage, roles, flags, stale_days)


def buying_centre(user: User, opp_id: int, as_of: date) -> BuyingCentreView:
    """The buying centre of a deal `user` can see (404 otherwise)."""
    return buying_centre_of(access_opportunity(user, opp_id), as_of)


def buying_centre_member(user: User, opp_id: int, member_id: int, as_of: date) -> MemberRow:
    """One member of a visible deal's buying centre (404 if the deal is invisible or the member
    is not on it)."""
    opp = access_opportunity(user, opp_id)
    member = members_with_last_contact(opp.pk, as_of).filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("This contact is not in the deal's buying centre."))
    last = _as_date(member.last_contact)
    stale = domain.is_stale(last, as_of, ControlPolicy.current().contact_stale_days)
    return MemberRow(member, last, domain.days_since(last, as_of), stale)


def buying_centre_candidates(user: User, opp: Opportunity) -> QuerySet[Contact]:
    """Contacts `user` may add to the deal: of the deal's account, visible to them, not yet on it."""
    return (
        visible_contacts(user)
        .filter(account_id=opp.account_id)
        .exclude(deal_roles__opportunity_id=opp.pk)
        .order_by("name", "id")
    )
