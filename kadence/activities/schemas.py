"""API schemas for activities."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ninja import Field, Schema

from kadence.accounts.schemas import AccountRef
from kadence.activities.models import Activity
from kadence.activities.selectors import ActivityFilters
from kadence.core.schemas import Clean, CursorPageQuery, Day, Id, In, PatchIn, Timestamps, UserRef, Version

if TYPE_CHECKING:  # mypy reads no Literal built at run time: to it, a choice is a str
    Kind = str
    Result = str
else:  # the model's choices, an enum in the OpenAPI schema
    Kind = Literal[tuple(Activity.Kind.values)]
    Result = Literal[tuple(Activity.Result.values)]
MAX_CONTACTS = 100


class OpportunityRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str
    title: str


class ActivityOut(Timestamps):
    """A planned (`done` false) or done interaction with a customer. `result` is what it achieved, as
    the rep says (found / advanced / solved, or empty); `is_effective` marks an effective visit, computed
    by the effective-visit rule from kind, done and result; `next_step_date` schedules the follow-up."""

    id: int
    kind: str
    subject: str
    date: dt.date
    done: bool
    account: AccountRef
    opportunity: OpportunityRef | None
    contacts: list[ContactRef]
    owner: UserRef
    team_id: int
    result: str
    is_effective: bool
    outcome: str
    next_step: str
    next_step_date: dt.date | None
    version: int

    @staticmethod
    def resolve_contacts(obj: Any) -> list[Any]:
        return list(obj.contacts.all())


class ActivityFiltersQuery(Clean):
    """The activity list's filters (the list pages them, an export reads them all)."""

    kind: Kind | None = None
    account_id: Id | None = None
    opportunity_id: Id | None = None
    owner_id: Id | None = None
    done: bool | None = Field(None, description="true: done; false: planned; absent: both.")
    date_from: Day | None = None
    date_to: Day | None = None

    def filters(self) -> ActivityFilters:
        """The filters as the selectors take them (the list and its export read the same)."""
        filters = ActivityFilters(**self.dict(exclude={"page", "page_size", "cursor", "format"}))
        filters.kind = filters.kind or ""
        return filters


class ActivityQuery(CursorPageQuery, ActivityFiltersQuery):
    pass


class ActivityIn(In):
    account_id: Id | None = Field(None, description="Default: the opportunity's account.")
    opportunity_id: Id | None = None
    contact_ids: list[Id] = Field(default_factory=list, max_length=MAX_CONTACTS)
    kind: Kind
    subject: str = Field(max_length=200)
    date: Day | None = Field(None, description="Default: today.")
    done: bool = True
    result: Result = Field(
        "",
        description="What it achieved (found, advanced, solved; empty: none). Sets is_effective by the rule.",
    )
    outcome: str = Field("", max_length=20000)
    next_step: str = Field("", max_length=300)
    next_step_date: Day | None = None


class ActivityPatch(PatchIn):
    nullable: ClassVar[frozenset[str]] = frozenset({"next_step_date"})

    version: Version
    contact_ids: list[Id] | None = Field(None, max_length=MAX_CONTACTS, description="Replaces the list.")
    kind: Kind | None = None
    subject: str | None = Field(None, max_length=200)
    date: Day | None = None
    done: bool | None = None
    result: Result | None = None
    outcome: str | None = Field(None, max_length=20000)
    next_step: str | None = Field(None, max_length=300)
    next_step_date: Day | None = None
