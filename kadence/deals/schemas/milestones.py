"""API schemas of a deal's customer milestones (项目里程碑四步分析法, METHODOLOGY §2)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from kadence.core.schemas import Day, In, Version


class MilestoneStageOut(Schema):
    """Our stage, and beside it the customer's buying step (`buying_step` in the active language)."""

    id: int
    code: str
    order: int
    name: str
    name_zh: str
    name_en: str
    buying_step: str
    buying_step_zh: str
    buying_step_en: str


class MilestoneOut(Schema):
    """One stage's milestone. `id` and `version` are null until the stage is first dated.
    `slippage_days` = actual − planned (early is negative); while open and overdue, today − planned
    (`running` true); null when not yet due or not planned. `state`: done, overdue, pending or
    undated. `flagged` when the slippage exceeds the policy's warning days."""

    stage: MilestoneStageOut
    is_current_stage: bool
    id: int | None
    planned_on: date | None
    actual_on: date | None
    competition_note: str
    note: str
    state: str
    slippage_days: int | None
    running: bool
    late: bool
    flagged: bool
    updated_at: datetime | None
    version: int | None


class SlippageSummaryOut(Schema):
    """Over the milestones with a slippage: how many late and flagged, the days late added up
    (early ones do not offset), the worst and the latest slippage (null when none measured)."""

    measured: int
    late: int
    flagged: int
    total_days_late: int
    worst: int | None
    latest: int | None


class MilestonePlanOut(Schema):
    opportunity_id: int
    as_of: date
    warn_days: int
    summary: SlippageSummaryOut
    milestones: list[MilestoneOut]


class MilestoneIn(In):
    """The whole milestone of a stage (fields left out are cleared). `version` (required): the one you
    read, or null when the stage had no milestone yet; a stale one answers 409."""

    planned_on: Day | None = None
    actual_on: Day | None = Field(None, description="Not in the future.")
    competition_note: str = Field(
        "", max_length=500, description="Where we lag the competition at this step."
    )
    note: str = Field("", max_length=500)
    version: Version | None = Field(
        description="The milestone's version you read; null when the stage had none."
    )
