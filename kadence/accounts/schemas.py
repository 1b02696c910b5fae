"""API schemas for accounts, contacts and industries."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ninja import Field, Schema

from kadence.accounts.models import Account, Contact
from kadence.accounts.selectors import SORTS, AccountFilters
from kadence.core.schemas import (
    Clean,
    CursorPageQuery,
    Id,
    In,
    Money,
    MoneyIn,
    NamedOut,
    PatchIn,
    Reason,
    Timestamps,
    UnitRef,
    UserRef,
    Version,
)
from kadence.core.visibility import can_write_account, can_write_contacts_of

if TYPE_CHECKING:  # mypy reads no Literal built at run time: to it, a choice is a str
    AccountSize = str
    AccountStatus = str
    AccountSort = str
    BuyingRole = str
    Attitude = str
    Influence = str
else:  # the model's choices, an enum in the OpenAPI schema
    AccountSize = Literal[tuple(Account.Size.values)]
    AccountStatus = Literal[tuple(Account.Status.values)]
    AccountSort = Literal[tuple(SORTS)]
    BuyingRole = Literal[tuple(Contact.BuyingRole.values)]
    Attitude = Literal[tuple(Contact.Attitude.values)]
    Influence = Literal[tuple(Contact.Influence.values)]

LongText = 20000


class IndustryOut(NamedOut):
    order: int


class AccountRef(Schema):
    id: int
    name: str


class AccountOut(Timestamps):
    """A customer organisation. `buying_power` (BP) is its annual purchase volume in our category."""

    id: int
    name: str
    industry: IndustryOut
    region: UnitRef
    address: str
    size: str
    status: str
    buying_power: Money
    currency: str
    owner: UserRef
    team_id: int
    notes: str
    version: int
    credit_code: str = ""
    parent_id: int | None = None


class AccountPermissions(Schema):
    can_edit: bool
    can_edit_contacts: bool


class AccountDetailOut(AccountOut):
    team: UnitRef
    permissions: AccountPermissions

    @staticmethod
    def resolve_permissions(obj: Any, context: dict[str, Any]) -> dict[str, bool]:
        user = context["request"].auth
        return {
            "can_edit": can_write_account(user, obj),
            "can_edit_contacts": can_write_contacts_of(user, obj),
        }


class AccountFiltersQuery(Clean):
    """The account list's filters and order (the list pages them, an export reads them all)."""

    q: str = Field("", max_length=200, description="Part of the name or address.")
    industry_id: Id | None = None
    region_id: Id | None = None
    owner_id: Id | None = None
    status: AccountStatus | None = None
    sort: AccountSort = "name"

    def filters(self) -> AccountFilters:
        """The filters as the selectors take them (the list and its export read the same)."""
        return AccountFilters(
            q=self.q,
            industry_id=self.industry_id,
            region_id=self.region_id,
            owner_id=self.owner_id,
            status=self.status or "",
        )


class AccountQuery(CursorPageQuery, AccountFiltersQuery):
    pass


class AccountIn(In):
    name: str = Field(max_length=200)
    industry_id: Id
    region_id: Id
    address: str = Field("", max_length=300)
    size: AccountSize = Account.Size.MEDIUM.value
    status: AccountStatus = Account.Status.PROSPECT.value
    buying_power: MoneyIn = Decimal(0)
    currency: str = Field("CNY", max_length=3, description="ISO 4217 code, e.g. CNY.")
    notes: str = Field("", max_length=LongText)
    owner_id: Id | None = Field(None, description="Default: you. A manager may give it to someone in scope.")
    credit_code: str = Field("", max_length=40, description="统一社会信用代码 (18 characters).")
    parent_id: Id | None = Field(None, description="The group (parent account) it belongs to.")
    confirm_duplicate: bool = Field(
        False, description="Create it even if an account has the same credit code (409 otherwise)."
    )


class AccountPatch(PatchIn):
    nullable: ClassVar[frozenset[str]] = frozenset({"owner_id", "parent_id"})

    version: Version
    reason: Reason = ""
    name: str | None = Field(None, max_length=200)
    industry_id: Id | None = None
    region_id: Id | None = None
    address: str | None = Field(None, max_length=300)
    size: AccountSize | None = None
    status: AccountStatus | None = None
    buying_power: MoneyIn | None = None
    currency: str | None = Field(None, max_length=3)
    notes: str | None = Field(None, max_length=LongText)
    owner_id: Id | None = Field(None, description="Reassign (managers and above).")
    credit_code: str | None = Field(None, max_length=40)
    parent_id: Id | None = Field(None, description="The group it belongs to; null: none.")


class ContactOut(Timestamps):
    """A person at an account with their buying roles, attitude towards us and influence."""

    id: int
    account: AccountRef
    name: str
    title: str
    phone: str
    email: str
    ambitions: str
    character: str
    preferences: str
    strengths: str
    buying_roles: list[str]
    attitude: str
    influence: str
    notes: str
    version: int


class ContactFiltersQuery(Clean):
    account_id: Id | None = None
    q: str = Field("", max_length=100, description="Part of the name or title.")


class ContactQuery(CursorPageQuery, ContactFiltersQuery):
    pass


class _ContactFields(Schema):
    title: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    ambitions: str = Field("", max_length=LongText)
    character: str = Field("", max_length=LongText)
    preferences: str = Field("", max_length=LongText)
    strengths: str = Field("", max_length=LongText)
    buying_roles: list[BuyingRole] = Field(default_factory=list, max_length=len(Contact.BuyingRole.values))
    attitude: Attitude = Contact.Attitude.NEUTRAL.value
    influence: Influence = Contact.Influence.MEDIUM.value
    notes: str = Field("", max_length=LongText)


class ContactIn(In, _ContactFields):
    account_id: Id
    name: str = Field(max_length=100)


class ContactPatch(PatchIn):
    version: Version
    name: str | None = Field(None, max_length=100)
    title: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    ambitions: str | None = Field(None, max_length=LongText)
    character: str | None = Field(None, max_length=LongText)
    preferences: str | None = Field(None, max_length=LongText)
    strengths: str | None = Field(None, max_length=LongText)
    buying_roles: list[BuyingRole] | None = Field(None, max_length=len(Contact.BuyingRole.values))
    attitude: Attitude | None = None
    influence: Influence | None = None
    notes: str | None = Field(None, max_length=LongText)


class AccountDuplicateOut(Schema):
    """An existing account the one being created may duplicate: `reason` "credit_code" (the same
    unified social credit code: creating needs `confirm_duplicate`) or "name" (a similar name)."""

    id: int
    name: str
    credit_code: str
    owner: str
    reason: str
    score: float


class AccountDuplicateQuery(Clean):
    name: str = Field("", max_length=200)
    credit_code: str = Field("", max_length=40)
