"""Shape of the single-deal diagnosis answer (METHODOLOGY §7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ninja import Schema

from kadence.core.schemas import UserRef


class GateProgressOut(Schema):
    stage_id: int
    stage: str
    state: str
    met: int
    total: int


class OpenCriterionOut(Schema):
    stage_id: int
    code: str
    kind: str
    name: str
    message: str


class NoteOut(Schema):
    source: str
    note: str


class StageInformationOut(Schema):
    stage_id: int
    stage: str
    buying_step: str
    planned_on: date | None
    actual_on: date | None
    evidence_count: int


class RelationshipOut(Schema):
    contact_id: int
    name: str
    roles: list[str]
    attitude: str
    influence: str
    last_contact: date | None
    stale: bool


class ExpenseFlowOut(Schema):
    budget: Decimal
    spent: Decimal
    used_pct: Decimal | None
    state: str


class DiagnosisActionOut(Schema):
    kind: str
    text: str
    actor: UserRef | None
    due: date
    severity: str


class DiagnosisOut(Schema):
    """The seven parts: (1) `progress` against the gates, (2) `next_steps` — criteria not met, (3)
    `competitors` and `competition_notes`, (4) `problems`, (5) `information` per stage, (6)
    `relationships` with `coverage_percent` and `red_flags`, (7) `expenses`; then `actions`, dated
    and with owners, sorted by due date."""

    opportunity_id: int
    as_of: date
    level: str
    staging_flag: str
    days_in_stage: int
    stalled: bool
    progress: list[GateProgressOut]
    next_steps: list[OpenCriterionOut]
    competitors: list[str]
    competition_notes: list[NoteOut]
    bid_outcome: str | None
    c139_result: str
    problems: list[str]
    information: list[StageInformationOut]
    relationships: list[RelationshipOut]
    coverage_percent: int
    red_flags: list[str]
    expenses: ExpenseFlowOut
    actions: list[DiagnosisActionOut]
