"""Shapes of the stage-gate API: the checklist, evidence and approvals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from kadence.core.schemas import Day, Id, In, PageQuery, UserRef
from kadence.pipeline.schemas import LevelRef, StageRef


class EvidenceOut(Schema):
    """Proof attached to a deal. `download_url` is set for files (it checks visibility on each request)."""

    id: int
    criterion_id: int | None
    evidence_type: str
    kind: str
    title: str
    file_name: str
    content_type: str
    size: int
    url: str
    note: str
    added_by: UserRef | None
    added_at: datetime
    download_url: str | None

    @staticmethod
    def resolve_download_url(obj: Any) -> str | None:
        from django.urls import reverse

        return reverse("api:evidence_download", args=[obj.pk]) if obj.file else None


class ApprovalOut(Schema):
    criterion_id: int
    approved_by: UserRef | None
    approved_at: datetime
    note: str


class CriterionStatusOut(Schema):
    """One exit criterion of a stage: met or not, `detail` (a stable code) and `message` (why not,
    in words), and the proof behind it."""

    id: int
    code: str
    kind: str
    name: str
    config: dict[str, Any]
    met: bool
    detail: str
    message: str
    evidence: list[EvidenceOut]
    approval: ApprovalOut | None


class StageGateOut(Schema):
    stage: StageRef
    buying_step: str
    default_level: str
    state: str = Field(description="done (before the current stage), current, todo")
    all_met: bool
    criteria: list[CriterionStatusOut]


class LevelNeedOut(Schema):
    stage_id: int
    criterion_id: int
    code: str
    kind: str
    name: str
    detail: str = Field(description="Why it is not met (machine-readable).")
    message: str = Field(description="Why it is not met, in the reader's language.")


class GatesOut(Schema):
    """Every stage of the deal's process with its exit criteria. `level` is the verified level: the
    default level of the last stage whose exit criteria are met (the lowest rung before any), so a
    stage's own default level is earned by leaving it; `staging_flag` is "over" when a stage before
    the current one is not completed. `next_level` is the current stage's default level, earned once
    `next_level_needs` are met (null, with no needs, when the current stage's exit criteria are met
    or the deal is closed)."""

    opportunity_id: int
    stage: StageRef
    level: LevelRef
    staging_flag: str
    c139_result: str
    verified_stage_id: int
    next_level: LevelRef | None
    next_level_needs: list[LevelNeedOut]
    next_stage: StageRef | None
    stages: list[StageGateOut]
    other_evidence: list[EvidenceOut]


class EvidenceIn(Schema):
    """Form fields of an evidence upload (multipart/form-data): a `file`, or a `url`, or only a `note`."""

    title: str = Field(max_length=200)
    criterion_id: Id | None = None
    evidence_type: str = Field("", max_length=60)
    url: str = Field("", max_length=1000)
    note: str = Field("", max_length=10000)


class ApprovalIn(In):
    criterion_id: Id
    note: str = Field("", max_length=500)


class OverrideOut(Schema):
    """A stage move made without the evidence: who, when, why, and the criteria not met."""

    id: int
    opportunity_id: int
    opportunity_name: str
    owner: UserRef
    from_stage_name: str
    to_stage_name: str
    changed_by: UserRef | None
    changed_at: datetime
    reason: str
    overridden_criteria: list[dict[str, Any]]

    @staticmethod
    def resolve_opportunity_name(obj: Any) -> str:
        return obj.opportunity.name

    @staticmethod
    def resolve_owner(obj: Any) -> Any:
        return obj.opportunity.owner


class OverrideQuery(PageQuery):
    date_from: Day | None = None
    date_to: Day | None = None
