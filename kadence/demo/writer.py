"""Writing the generated rows with ids allocated here (`BulkWriter`): PostgreSQL gets them through
COPY, other databases through `bulk_create`. The columns written per table are listed once
(`TABLE_FIELDS`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model
from django.utils import timezone

from kadence.accounts.models import Account, Contact
from kadence.activities.models import Activity
from kadence.activities.stall import is_customer_side
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
from kadence.pipeline.ladder import stage_entry_levels
from kadence.pipeline.models import (
    Opportunity,
    OpportunityTeamMember,
    Stage,
    StageChange,
)
from kadence.transfer.backup import DroppedConstraints, drop_constraints, restore_constraints

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
    # The stall summary (kadence.pipeline.stall): a generated deal has activities, but no stall
    # actions and no audited close-date pushes; write_opportunity fills them.
    "stall_last_activity_on",
    "stall_next_step_on",
    "stall_next_step_at",
    "stall_close_pushes",
]
STALL_COLUMNS = 4  # the last four
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

TRAILING_DEFAULTS.update({Opportunity: ("", "")})  # Opportunity: before the stall columns
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


class BulkWriter:
    """Buffers rows per table and writes them in batches within the caller's transaction.

    Ids are allocated here (max id + 1, tables locked against concurrent inserts on PostgreSQL) so that
    rows can reference each other before they are written; sequences are reset in `close()`.
    PostgreSQL receives the rows through COPY, SQLite through the driver's executemany (values adapted
    per column as Django adapts them), other databases through `bulk_create`.

    With `defer_constraints` on PostgreSQL, the foreign keys and the plain (non-unique) indexes of the
    written tables are dropped while loading and rebuilt in `close()`: checking each row against its
    parents and inserting it into nine indexes as it arrives is what makes large loads slow, while
    building an index or validating a foreign key over the whole table at the end is one sort or one
    join. Adding the foreign keys back verifies every row, so integrity is still proven. The tables
    are locked for the whole transaction either way.
    """

    def __init__(
        self, models: Iterable[type[Model]], *, batch_size: int = 20_000, defer_constraints: bool = False
    ):
        self.models = list(models)
        self.batch_size = batch_size
        self.postgres = connection.vendor == "postgresql"
        self.buffers: dict[type[Model], list[tuple]] = {m: [] for m in self.models}
        self.written: dict[type[Model], int] = defaultdict(int)
        self.next_id: dict[type[Model], int] = {}
        self.dropped: DroppedConstraints | None = None
        # stage id → the forecast category of the level a deal holds while working in it (a history
        # row's category; the level is the default level of the stage before, METHODOLOGY §1d)
        self.stage_categories: dict[int, str] = {
            pk: level.default_forecast_category
            for pk, level in stage_entry_levels(Stage.objects.select_related("default_level")).items()
        }
        if self.postgres:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in self.models)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for model in self.models:
            self.next_id[model] = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        if defer_constraints and self.postgres:
            self._drop_constraints()

    def ids(self, model: type[Model], count: int = 1) -> int:
        """Reserve `count` consecutive ids of `model`; returns the first."""
        first = self.next_id[model]
        self.next_id[model] = first + count
        return first

    def add(self, model: type[Model], row: tuple) -> None:
        missing = len(TABLE_FIELDS[model]) - len(row)
        if missing > 0:
            row = row + TRAILING_DEFAULTS[model][-missing:]
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= self.batch_size:
            self.flush(model)

    def flush(self, model: type[Model] | None = None) -> None:
        for m in [model] if model else self.models:
            rows = self.buffers[m]
            if not rows:
                continue
            if self.postgres:
                self._copy(m, rows)
            elif connection.vendor == "sqlite":
                self._insert(m, rows)
            else:
                fields = TABLE_FIELDS[m]
                m.objects.bulk_create(
                    [m(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
                )
            self.written[m] += len(rows)
            self.buffers[m] = []

    def _copy(self, model: type[Model], rows: list[tuple]) -> None:
        fields = TABLE_FIELDS[model]
        meta = model._meta
        columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
        json_at = [i for i, f in enumerate(fields) if meta.get_field(f).get_internal_type() == "JSONField"]
        sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            if json_at:
                for row in rows:
                    values = list(row)
                    for i in json_at:
                        values[i] = json.dumps(values[i], ensure_ascii=False)
                    write(values)
            else:
                for row in rows:
                    write(row)

    # Columns whose Python values the SQLite driver stores as Django would (ints, strings, bools, None).
    PLAIN_TYPES = frozenset(
        {
            "AutoField",
            "BigAutoField",
            "BigIntegerField",
            "BooleanField",
            "CharField",
            "FileField",
            "ForeignKey",
            "IntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "SlugField",
            "SmallIntegerField",
            "TextField",
            "URLField",
        }
    )

    def _insert(self, model: type[Model], rows: list[tuple]) -> None:
        """INSERT through the driver's executemany, values adapted per column as Django's own insert
        adapts them (dates, datetimes, decimals, JSON); 10× faster than building model instances."""
        meta = model._meta
        fields = [meta.get_field(f) for f in TABLE_FIELDS[model]]
        adapters = [self._adapter(f) for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = (
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if any(adapters):
            rows = [
                tuple(v if a is None or v is None else a(v) for a, v in zip(adapters, row, strict=True))
                for row in rows
            ]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])

    def _adapter(self, field) -> Callable[[Any], Any] | None:
        """How a value of `field` is stored: as it is (None), or adapted. Dates and aware datetimes are
        written as the SQLite backend writes them (ISO text, datetimes made naive in the connection's
        time zone); the rest goes through the field's own get_db_prep_save."""
        kind = field.get_internal_type()
        if kind in self.PLAIN_TYPES:
            return None
        if kind == "DateField":
            return date.isoformat
        if kind == "DateTimeField" and settings.USE_TZ:
            tz = connection.timezone
            return lambda v: str(v.astimezone(tz).replace(tzinfo=None) if v.tzinfo is not None else v)
        return lambda v: field.get_db_prep_save(v, connection)

    def _drop_constraints(self) -> None:
        with connection.cursor() as cursor:
            self.dropped = drop_constraints(cursor, [m._meta.db_table for m in self.models])

    def close(self) -> dict[str, int]:
        """Write what is buffered, rebuild the dropped indexes and foreign keys, reset the id sequences;
        returns the number of rows written per table."""
        self.flush()
        with connection.cursor() as cursor:
            if self.dropped is not None:
                restore_constraints(cursor, self.dropped)
                self.dropped = None
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(sql)
        return {m._meta.db_table: self.written[m] for m in self.models}


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
    writer.add(Opportunity, (*row, last_customer_activity(activities), None, None, 0))
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
