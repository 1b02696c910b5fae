"""Writing the generated rows with ids allocated here (`BulkWriter`): PostgreSQL gets them through
COPY, other databases through `bulk_create`. The columns written per table are listed once
(`TABLE_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import Model
from django.utils import timezone

from kadence.accounts.models import Account, Contact
from kadence.activities.models import Activity
from kadence.activities.stall import is_customer_side
from kadence.core import bulk
from kadence.deals.models import (
    BidAssessment,
    BuyingCentreMember,
    C139Answer,
    C139Assessment,
    Evidence,
    Expense,
    ExpenseBudget,
    GateApproval,
    Milestone,
    OpportunityTask,
)
from kadence.demo.accounts import AccountDraft
from kadence.demo.simulator import ActivityDraft, OppLife
from kadence.demo.world import CURRENCY, AccountRef, Catalog
from kadence.domain.forecast import BOOKED, OMITTED
from kadence.domain.kam.groups import PREFIX_LENGTH, normalise_name
from kadence.pipeline.ladder import stage_entry_levels
from kadence.pipeline.models import (
    Opportunity,
    OpportunityTeamMember,
    Stage,
    StageChange,
)

# --- columns written for each table (ids included; through models are resolved at run time) ------------

ACCOUNT_FIELDS = [
    "id",
    "name",
    "industry_id",
    "region_id",
    "address",
    "size",
    "status",
    "buying_power",
    "currency",
    "owner_id",
    "team_id",
    "notes",
    "version",
    "created_at",
    "updated_at",
    "credit_code",  # left empty
    "name_key",  # the name as duplicate detection compares it (Account.set_name_key, which save() calls)
    "name_prefix",
    "parent_id",  # no group in the generated company (the demo's key accounts set a few)
]
CONTACT_FIELDS = [
    "id",
    "account_id",
    "name",
    "title",
    "phone",
    "email",
    "ambitions",
    "character",
    "preferences",
    "strengths",
    "buying_roles",
    "attitude",
    "influence",
    "notes",
    "version",
    "created_at",
    "updated_at",
]
OPPORTUNITY_FIELDS = [
    "id",
    "name",
    "account_id",
    "owner_id",
    "team_id",
    "template_id",
    "stage_id",
    "level_id",
    "probability",
    "amount",
    "currency",
    "expected_close_date",
    "forecast_category",
    "status",
    "loss_reason_id",
    "winning_competitor_id",
    "closed_on",
    "description",
    "next_step",
    "stage_entered_at",
    "created_at",
    "updated_at",
    "version",
    "c139_result",
    "staging_flag",
    "external_id",
    # The stall summary (kadence.pipeline.stall): a generated deal has activities, but no stall
    # actions and no audited close-date pushes; write_opportunity fills them.
    "stall_last_activity_on",
    "stall_next_step_on",
    "stall_next_step_at",
    "stall_close_pushes",
    # when the deal's current stay began (kadence.pipeline.stays): written empty, the rebuild of the
    # summaries after the load (loader.rebuild_summaries) sets every row's from the history
    "stay_began_at",
]
STALL_COLUMNS = 5  # the last five: the stall summary and the start of the stay
STAGE_CHANGE_FIELDS = [
    "id",
    "opportunity_id",
    "kind",
    "from_stage_id",
    "to_stage_id",
    "from_stage_name",
    "to_stage_name",
    "from_level_id",
    "to_level_id",
    "probability",
    "amount",
    "currency",
    "expected_close_date",
    "status",
    "days_in_from_stage",
    "changed_by_id",
    "changed_at",
    "reason",
    "overridden",
    "from_stage_name_en",
    "to_stage_name_en",
    "overridden_criteria",
    "owner_id",
    "team_id",
    "forecast_category",
]
# Columns the generators leave at their default: appended to rows that stop short of them.
TRAILING_DEFAULTS: dict[type[Model], tuple] = {}
TEAM_MEMBER_FIELDS = ["id", "opportunity_id", "user_id", "role_id", "added_at"]
ACTIVITY_FIELDS = [
    "id",
    "kind",
    "subject",
    "date",
    "done",
    "account_id",
    "opportunity_id",
    "owner_id",
    "team_id",
    "is_effective",
    "result",
    "outcome",
    "next_step",
    "next_step_date",
    "version",
    "created_at",
    "updated_at",
    "deal_team_id",  # written empty: loader.rebuild_summaries sets every row's in one UPDATE
]

OppProductLine = Opportunity.product_lines.through
OppCompetitor = Opportunity.competitors.through
ActivityContact = Activity.contacts.through

TABLE_FIELDS: dict[type[Model], list[str]] = {
    Account: ACCOUNT_FIELDS,
    Contact: CONTACT_FIELDS,
    Opportunity: OPPORTUNITY_FIELDS,
    StageChange: STAGE_CHANGE_FIELDS,
    OpportunityTeamMember: TEAM_MEMBER_FIELDS,
    OppProductLine: ["id", "opportunity_id", "productline_id"],
    OppCompetitor: ["id", "opportunity_id", "competitor_id"],
    Activity: ACTIVITY_FIELDS,
    ActivityContact: ["id", "activity_id", "contact_id"],
}

TRAILING_DEFAULTS.update({Opportunity: ("", "", "")})  # Opportunity: before the stall columns
BASE_TABLES: list[type[Model]] = list(TABLE_FIELDS)

# Deal control (evidence, approvals, assessments, buying centre, milestones, tasks, expenses): written
# only when the generators are asked for it (`deal_control`).
TABLE_FIELDS.update(
    {
        Evidence: [
            "id",
            "opportunity_id",
            "criterion_id",
            "evidence_type",
            "stage_id",
            "kind",
            "title",
            "file",
            "file_name",
            "content_type",
            "size",
            "url",
            "note",
            "added_by_id",
            "added_at",
            "removed_at",
            "removed_by_id",
            "removed_reason",
        ],
        GateApproval: [
            "id",
            "opportunity_id",
            "criterion_id",
            "approved_by_id",
            "approved_at",
            "note",
            "revoked_at",
            "revoked_by_id",
        ],
        C139Assessment: [
            "id",
            "opportunity_id",
            "assessed_by_id",
            "assessed_at",
            "clear",
            "first",
            "win",
            "win_against",
            "result",
            "meets_rule",
            "band",
            "band_low",
            "band_high",
            "note",
        ],
        C139Answer: ["id", "assessment_id", "item", "status", "confirmed_with_id", "confirmed_on", "note"],
        BidAssessment: [
            "id",
            "opportunity_id",
            "assessed_by_id",
            "assessed_at",
            "buyer_type",
            "real_opportunity",
            "can_compete",
            "can_win",
            "worth_winning",
            "meets_minimum_spec",
            "close_relationship",
            "genuine_competition",
            "spec_biased",
            "relationship_vague",
            "competitor_advantage",
            "score",
            "suggested_outcome",
            "outcome",
            "qualify_by",
            "note",
        ],
        BuyingCentreMember: [
            "id",
            "opportunity_id",
            "contact_id",
            "roles",
            "attitude",
            "influence",
            "is_key",
            "last_contact_on",
            "note",
            "added_by_id",
            "added_at",
            "updated_at",
            "version",
        ],
        Milestone: [
            "id",
            "opportunity_id",
            "stage_id",
            "planned_on",
            "actual_on",
            "competition_note",
            "note",
            "updated_by_id",
            "updated_at",
            "version",
        ],
        OpportunityTask: [
            "id",
            "opportunity_id",
            "stage_id",
            "stage_task_id",
            "code",
            "name_zh",
            "name_en",
            "standard_zh",
            "standard_en",
            "role_id",
            "assignee_id",
            "due_on",
            "done_at",
            "done_by_id",
            "completion_note",
            "created_at",
            "version",
        ],
        ExpenseBudget: ["id", "opportunity_id", "category_id", "amount", "updated_by_id", "updated_at"],
        Expense: [
            "id",
            "opportunity_id",
            "category_id",
            "amount",
            "spent_on",
            "description",
            "logged_by_id",
            "logged_at",
        ],
    }
)
CONTROL_TABLES: list[type[Model]] = [m for m in TABLE_FIELDS if m not in BASE_TABLES]

# --- writing ------------------------------------------------------------------------------------------


class BulkWriter(bulk.BulkWriter):
    """The demo's writer: the columns of TABLE_FIELDS, and the forecast category each stage's history
    rows carry."""

    def __init__(
        self, models: Iterable[type[Model]], *, batch_size: int = 20_000, defer_constraints: bool = False
    ):
        super().__init__(
            models,
            TABLE_FIELDS,
            defaults=TRAILING_DEFAULTS,
            batch_size=batch_size,
            defer_constraints=defer_constraints,
        )
        # stage id → the forecast category of the level a deal holds while working in it (a history
        # row's category; the level is the default level of the stage before, METHODOLOGY §1d)
        self.stage_categories: dict[int, str] = {
            pk: level.default_forecast_category
            for pk, level in stage_entry_levels(Stage.objects.select_related("default_level")).items()
        }


def write_accounts(
    writer: BulkWriter, drafts: list[AccountDraft], catalog: Catalog, today: date
) -> list[AccountRef]:
    """Write accounts and their contacts; returns what opportunities need to know of them."""
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    refs = []
    for draft in drafts:
        account_id = writer.ids(Account)
        created = midnight - timedelta(days=draft.created_days)
        writer.add(
            Account,
            (
                account_id,
                draft.name,
                catalog.industries[draft.industry],
                draft.region_id,
                draft.address,
                draft.size,
                draft.status,
                draft.buying_power,
                CURRENCY,
                draft.owner_id,
                draft.team_id,
                draft.notes,
                1,
                created,
                created,
                "",
                key := normalise_name(draft.name),
                key[:PREFIX_LENGTH],
                None,
            ),
        )
        contacts = []
        for c in draft.contacts:
            contact_id = writer.ids(Contact)
            writer.add(
                Contact,
                (
                    contact_id,
                    account_id,
                    c.name,
                    c.title,
                    c.phone,
                    c.email,
                    c.ambitions,
                    c.character,
                    c.preferences,
                    c.strengths,
                    c.buying_roles,
                    c.attitude,
                    c.influence,
                    "",
                    1,
                    created,
                    created,
                ),
            )
            contacts.append((contact_id, c.name, c.title))
        refs.append(
            AccountRef(
                account_id,
                draft.name,
                draft.industry,
                draft.size,
                draft.owner_id,
                draft.region_id,
                tuple(contacts),
            )
        )
    return refs


def write_opportunity(
    writer: BulkWriter, life: OppLife, opp_id: int, activities: list[ActivityDraft]
) -> None:
    """Write one simulated opportunity (its id reserved with writer.ids) with its history, product
    lines, competitors and deal team, and its activities, with its stall summary: the date of the
    last done customer-side activity (the rebuild after the load then finds nothing to change)."""
    row = (opp_id, *life.opportunity)
    missing = len(TABLE_FIELDS[Opportunity]) - STALL_COLUMNS - len(row)
    if missing > 0:
        row = row + TRAILING_DEFAULTS[Opportunity][-missing:]
    writer.add(Opportunity, (*row, last_customer_activity(activities), None, None, 0, None))
    first = writer.ids(StageChange, len(life.history))
    owner_id, team_id = life.opportunity[2], life.opportunity[3]
    for offset, row in enumerate(life.history):
        # whose the deal was and its category: a simulated deal keeps its owner, and holds the
        # category its stage's level gives (won: booked, lost: omitted), as the deal's own row does
        status = row[11]
        category = (
            BOOKED if status == "won" else OMITTED if status == "lost" else writer.stage_categories[row[2]]
        )
        full = row if len(row) > 19 else (*row, [])
        writer.add(StageChange, (first + offset, opp_id, *full, owner_id, team_id, category))
    for line in life.product_line_ids:
        writer.add(OppProductLine, (writer.ids(OppProductLine), opp_id, line))
    for competitor in life.competitor_ids:
        writer.add(OppCompetitor, (writer.ids(OppCompetitor), opp_id, competitor))
    for user_id, role_id, added_at in life.team:
        writer.add(
            OpportunityTeamMember, (writer.ids(OpportunityTeamMember), opp_id, user_id, role_id, added_at)
        )
    write_activities(writer, activities)


def last_customer_activity(drafts: Iterable[ActivityDraft]) -> date | None:
    """The date of the last done customer-side activity among the drafts (kind, date and done are
    the first, third and fourth of ACTIVITY_FIELDS[1:])."""
    days = [d.row[2] for d in drafts if is_customer_side(d.row[0], d.row[3])]
    return max(days) if days else None


def write_activities(writer: BulkWriter, drafts: Iterable[ActivityDraft]) -> None:
    for draft in drafts:
        activity_id = writer.ids(Activity)
        writer.add(Activity, (activity_id, *draft.row, None))
        for contact_id in draft.contact_ids:
            writer.add(ActivityContact, (writer.ids(ActivityContact), activity_id, contact_id))
