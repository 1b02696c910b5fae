"""API schemas of a deal's buying centre (METHODOLOGY §4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from ninja import Field, Schema

from kadence.accounts.models import Contact
from kadence.core.schemas import Day, Id, In, PatchIn, Version

if TYPE_CHECKING:  # mypy reads no Literal built at run time: to it, a choice is a str
    RoleCode = str
    Attitude = str
    Influence = str
else:  # the model's choices, an enum in the OpenAPI schema
    RoleCode = Literal[tuple(Contact.BuyingRole.values)]
    Attitude = Literal[tuple(Contact.Attitude.values)]
    Influence = Literal[tuple(Contact.Influence.values)]
Note = Field("", max_length=500)


class ContactBrief(Schema):
    id: int
    name: str
    title: str


class RoleOut(Schema):
    code: str
    label: str


class MemberOut(Schema):
    """A contact in the buying centre. `last_contact_on` is the date typed on the member;
    `last_contact` the later of it and the latest done activity with the contact (on any deal);
    `days_since_contact` counts from it to today; `stale` when more than the policy's days, or never."""

    id: int
    contact: ContactBrief
    roles: list[RoleOut]
    attitude: str
    influence: str
    is_key: bool
    is_key_contact: bool = Field(
        description="Marked key, or of high influence: whom the staleness flag watches."
    )
    last_contact_on: date | None
    last_contact: date | None
    days_since_contact: int | None
    stale: bool
    note: str
    added_at: datetime
    updated_at: datetime
    version: int


class CoverageOut(Schema):
    """covered ÷ required roles (1.0 and 100 when nothing is required)."""

    required: int
    covered: int
    ratio: float
    percent: int


class RequiredRoleOut(RoleOut):
    covered: bool = Field(description="At least one supportive or neutral member holds the role.")


class RedFlagOut(Schema):
    """`code`: no_economic_buyer, no_coach, high_influence_opponent, key_contact_stale or
    key_contact_never_met; the member ones name the member; `days` since a stale key contact was met."""

    code: str
    message: str
    member_id: int | None
    name: str
    days: int | None


class BuyingCentreOut(Schema):
    opportunity_id: int
    as_of: date
    stale_days: int
    coverage: CoverageOut
    required_roles: list[RequiredRoleOut]
    red_flags: list[RedFlagOut]
    members: list[MemberOut]


class MemberIn(In):
    """Roles, attitude and influence left out (or null) are copied from the contact's record."""

    contact_id: Id
    roles: list[RoleCode] | None = Field(None, max_length=len(Contact.BuyingRole.values) * 2)
    attitude: Attitude | None = None
    influence: Influence | None = None
    is_key: bool = False
    last_contact_on: Day | None = Field(None, description="Not in the future.")
    note: str = Note


class MemberPatch(PatchIn):
    """Only the fields sent change; `last_contact_on` may be null to clear it."""

    nullable: ClassVar[frozenset[str]] = frozenset({"last_contact_on"})

    version: Version
    roles: list[RoleCode] | None = Field(None, max_length=len(Contact.BuyingRole.values) * 2)
    attitude: Attitude | None = None
    influence: Influence | None = None
    is_key: bool | None = None
    last_contact_on: Day | None = None
    note: str | None = Field(None, max_length=500)
