"""API schemas for opportunities, their history and deal team, and the methodology configuration."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from ninja import Field, Schema

from kadence.accounts.schemas import AccountRef
from kadence.core.schemas import (
    Clean,
    CursorPageQuery,
    Day,
    Id,
    In,
    Money,
    MoneyIn,
    NamedOut,
    PatchIn,
    Reason,
    UnitRef,
    UserRef,
    Version,
    cents,
)
from kadence.pipeline.models import ExitCriterion, ForecastCategory, Opportunity
from kadence.pipeline.selectors import DEFAULT_SORT, SORTS, OpportunityFilters, opportunity_permissions

if TYPE_CHECKING:  # mypy reads no Literal built at run time: to it, a choice is a str
    Status = str
    Category = str
    Sort = str
else:  # the model's choices, an enum in the OpenAPI schema
    Status = Literal[tuple(Opportunity.Status.values)]
    Category = Literal[tuple(ForecastCategory.values)]
    Sort = Literal[tuple(SORTS)]
IdList = list[Id]


# --- configuration --------------------------------------------------------------------------


class LevelRef(NamedOut):
    short: str
    probability: Money


class LevelOut(LevelRef):
    """A rung of the win-probability ladder; `probability` is a percentage."""

    order: int
    is_won: bool
    is_lost: bool
    default_forecast_category: str
    conditions_zh: str
    conditions_en: str


class StageRef(NamedOut):
    order: int


class CriterionOut(NamedOut):
    """What must be true to leave a stage; `kind` says how it is verified, `config` its parameters."""

    order: int
    kind: str
    description: str
    config: dict[str, Any]
    is_active: bool


class StageOut(StageRef):
    buying_step: str
    buying_step_zh: str
    buying_step_en: str
    default_level: str = Field(
        description="Code of the stage's default probability level: the level a deal holds once the "
        "stage's exit criteria are met (while it works in the stage it holds the previous stage's)."
    )
    standard_days: int
    is_won: bool
    description: str
    exit_criteria: list[CriterionOut]

    @staticmethod
    def resolve_default_level(obj: Any) -> str:
        return obj.default_level.code

    @staticmethod
    def resolve_exit_criteria(obj: Any) -> list[ExitCriterion]:
        return list(obj.exit_criteria.all())


class TemplateOut(NamedOut):
    """A standardised sales process with its ordered stages."""

    description: str
    is_default: bool
    is_active: bool
    source: str
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Any) -> list[Any]:
        return list(obj.stages.all())


class OrderedNamedOut(NamedOut):
    order: int


class CompetitorOut(Schema):
    id: int
    name: str


# --- opportunities ----------------------------------------------------------------------------


class OpportunityOut(Schema):
    """A deal. `probability` is the percentage of its verified `level`; `weighted_amount` is
    amount × probability / 100, rounded to cents."""

    id: int
    name: str
    account: AccountRef
    owner: UserRef
    team: UnitRef
    template: NamedOut
    stage: StageRef
    level: LevelRef
    probability: Money
    amount: Money
    weighted_amount: Money
    currency: str
    expected_close_date: date
    forecast_category: str
    status: str
    staging_flag: str = Field(
        description='"over": the stage claims more than the evidence verifies; "under": '
        'the evidence (C139) verifies more than the level shows; "": consistent.'
    )
    c139_result: str = Field(description="Latest C139 result (e.g. 8C1F0W); empty when never assessed.")
    closed_on: date | None
    external_id: str = Field(
        "", description="The deal's id in the system it was imported from (empty: none)."
    )
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_weighted_amount(obj: Any) -> Decimal:
        return cents(obj.weighted_amount)


class TeamMemberOut(Schema):
    user: UserRef
    role: OrderedNamedOut
    added_at: datetime


class OpportunityPermissions(Schema):
    can_edit: bool
    can_reassign: bool


class OpportunityDetailOut(OpportunityOut):
    description: str
    next_step: str
    loss_reason: OrderedNamedOut | None
    winning_competitor: CompetitorOut | None
    product_lines: list[NamedOut]
    competitors: list[CompetitorOut]
    deal_team: list[TeamMemberOut]
    permissions: OpportunityPermissions

    @staticmethod
    def resolve_product_lines(obj: Any) -> list[Any]:
        return list(obj.product_lines.all())

    @staticmethod
    def resolve_competitors(obj: Any) -> list[Any]:
        return list(obj.competitors.all())

    @staticmethod
    def resolve_deal_team(obj: Any) -> list[Any]:
        return list(obj.team_members.all())

    @staticmethod
    def resolve_permissions(obj: Any, context: dict[str, Any]) -> dict[str, bool]:
        return opportunity_permissions(context["request"].auth, obj)


class OpportunityFiltersQuery(Clean):
    """The opportunity list's filters and order (the list pages them, an export reads them all)."""

    q: str = Field("", max_length=200, description="Part of the name or the account's name.")
    status: Status | None = None
    stage_id: Id | None = None
    level_id: Id | None = None
    template_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = Field(None, description="This unit and the units below it.")
    account_id: Id | None = None
    forecast_category: Category | None = None
    staging: Literal["over", "under"] | None = Field(None, description="Only over- or under-staged deals.")
    product_line_id: Id | None = None
    close_from: Day | None = None
    close_to: Day | None = None
    mine: bool = Field(False, description="Only those you own.")
    sort: Sort = DEFAULT_SORT

    def filters(self) -> OpportunityFilters:
        """The filters as the selectors take them (the list and its export read the same)."""
        fields = self.dict(exclude={"page", "page_size", "sort", "cursor", "format"})
        fields.update(
            status=self.status or "",
            forecast_category=self.forecast_category or "",
            staging=self.staging or "",
        )
        return OpportunityFilters(**fields)


class OpportunityQuery(CursorPageQuery, OpportunityFiltersQuery):
    pass


class OpportunityIn(In):
    account_id: Id
    name: str = Field(max_length=200)
    amount: MoneyIn
    expected_close_date: Day
    currency: str = Field("CNY", max_length=3, description="ISO 4217 code, e.g. CNY.")
    template_id: Id | None = Field(None, description="Default: the default process template.")
    stage_id: Id | None = Field(None, description="Default: the template's first stage.")
    owner_id: Id | None = Field(None, description="Default: you. A manager may give it to someone in scope.")
    forecast_category: Category | None = Field(None, description="Default: the stage level's category.")
    product_line_ids: IdList = Field(default_factory=list, max_length=200)
    competitor_ids: IdList = Field(default_factory=list, max_length=200)
    description: str = Field("", max_length=10000)
    next_step: str = Field("", max_length=300)


class OpportunityPatch(PatchIn):
    version: Version
    reason: Reason = ""
    name: str | None = Field(None, max_length=200)
    amount: MoneyIn | None = None
    currency: str | None = Field(None, max_length=3)
    expected_close_date: Day | None = None
    forecast_category: Category | None = None
    description: str | None = Field(None, max_length=10000)
    next_step: str | None = Field(None, max_length=300)
    product_line_ids: IdList | None = Field(None, max_length=200, description="Replaces the list.")
    competitor_ids: IdList | None = Field(None, max_length=200, description="Replaces the list.")


class MoveIn(In):
    stage_id: Id
    version: Version
    reason: Reason = ""
    override: bool = Field(
        False,
        description="Advance although exit criteria are not met (a manager responsible "
        "for the deal, never its owner; `reason` required). Recorded as "
        '"advanced without evidence".',
    )


class CloseWonIn(In):
    version: Version
    reason: Reason = ""
    closed_on: Day | None = Field(None, description="Default: today.")


class CloseWonOverrideIn(CloseWonIn):
    override: bool = Field(
        False, description="Close although exit criteria are not met (manager, reason required)."
    )


class CloseLostIn(CloseWonIn):
    loss_reason_id: Id
    winning_competitor_id: Id | None = None


class ReopenIn(In):
    version: Version
    reason: Reason = Field(min_length=1)


class ReassignIn(In):
    owner_id: Id
    version: Version
    reason: Reason = ""


class TeamMemberIn(In):
    user_id: Id
    role_id: Id


class StageChangeOut(Schema):
    """One row of the deal's history: what changed and the deal as it stood at that moment. A stage
    or status transition has its kind; `updated` is a change inside the stage (level, amount, close
    date, forecast category), `reassigned` a new owner. `from_stage_name` / `to_stage_name` are the
    names as recorded (later renames do not change them)."""

    id: int
    kind: str = Field(
        description="created, advanced, moved_back, won, lost, reopened, updated (inside the stage) or reassigned."
    )
    from_stage: StageRef | None
    to_stage: StageRef
    from_stage_name: str
    to_stage_name: str
    from_stage_name_en: str
    to_stage_name_en: str
    from_level: str | None
    to_level: str
    probability: Money
    amount: Money
    currency: str
    expected_close_date: date
    status: str
    days_in_from_stage: int | None
    changed_by: UserRef | None
    changed_at: datetime
    reason: str
    overridden: bool = Field(description="Advanced without evidence: a manager overrode the gate.")
    overridden_criteria: list[dict[str, Any]] = Field(
        description="The exit criteria not met at the override."
    )
    owner: UserRef | None = Field(
        description="Whose the deal was from this moment (None on rows written before it was kept)."
    )
    team_id: int | None = Field(description="The owner's team from this moment.")
    forecast_category: str = Field(description="The deal's forecast category from this moment.")

    @staticmethod
    def resolve_from_level(obj: Any) -> str | None:
        return obj.from_level.code if obj.from_level_id else None

    @staticmethod
    def resolve_to_level(obj: Any) -> str:
        return obj.to_level.code


class AuditEntryOut(Schema):
    """One changed field: old and new value as text, who, when, why."""

    id: int
    field: str
    old_value: str
    new_value: str
    actor: UserRef | None
    at: datetime
    reason: str
