"""Stalled deals over the API (停滞不前, METHODOLOGY §8.2): the list for a scope with the reasons and
the counts per reason, and the required outcome recorded on a stalled deal. Reads go through
kadence.insights.selectors.stalled, the write through kadence.insights.services.stall."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import (
    Day,
    ErrorOut,
    Id,
    IdPath,
    In,
    Money,
    PageQuery,
    RefOut,
    UserRef,
    Version,
)
from kadence.deals.models import StallAction
from kadence.domain.stall import StallReason
from kadence.insights.api.common import ScopeOut, scope_out
from kadence.insights.selectors.stalled import (
    DEFAULT_SORT,
    StalledRow,
    reason_label,
    reason_text,
    stalled_report,
)
from kadence.insights.services.stall import NEXT_STEP_MAX_DAYS, NEXT_STEP_MAX_LENGTH, stall_act

router = Router(tags=["insights"])

OppId = IdPath
ReasonCode = Literal["stage_time", "no_activity", "close_passed", "close_pushed"]


class StalledQuery(PageQuery):
    unit_id: Id | None = Field(
        None, description="A unit in your reach (its subtree); default: your whole scope."
    )
    owner_id: Id | None = Field(None, description="One seller in your reach.")
    reason: ReasonCode | None = Field(None, description="Only the deals stalled for this reason.")
    sort: Literal["-days_stalled", "days_stalled"] = Field(
        DEFAULT_SORT, description="Most or fewest days stalled first."
    )


class StallReasonOut(Schema):
    """`value`: days in stage (stage_time), days without customer activity (no_activity; since the
    deal was created when `never`), days past the close date (close_passed), pushes of the close date
    (close_pushed). `threshold`: factor × standard days, the allowed days, 0, the pushes that stall.
    `since`: the first day the reason held."""

    code: str
    label: str
    text: str
    value: int
    threshold: Money
    standard_days: int | None
    since: date
    never: bool


class StallOpportunityOut(Schema):
    id: int
    name: str
    version: int
    amount: Money
    currency: str
    status: str


class StalledStageOut(RefOut):
    standard_days: int


class StallActionOut(Schema):
    """A recorded outcome, with the reasons the deal was stalled at that moment (as stored)."""

    id: int
    opportunity_id: int
    outcome: str
    reasons: list[dict[str, Any]]
    next_step: str
    next_step_on: date | None
    note: str
    acted_by: UserRef | None
    acted_at: datetime


class StalledRowOut(Schema):
    opportunity: StallOpportunityOut
    account: RefOut
    owner: UserRef
    team: RefOut
    stage: StalledStageOut
    days_in_stage: int
    stage_allowance: int = Field(description="⌊factor × standard days⌋: the most days allowed in the stage.")
    last_activity_on: date | None
    expected_close_date: date
    close_pushes: int
    next_step_on: date | None = Field(
        description="The latest dated next step recorded (holds off no_activity)."
    )
    days_stalled: int = Field(description="Days since the earliest reason began (its first day counts as 1).")
    stalled_since: date
    reasons: list[StallReasonOut]
    last_action: StallActionOut | None


class StallPolicyOut(Schema):
    factor: Money
    no_activity_days: int
    close_pushes: int


class StalledCountsOut(Schema):
    """Stalled open deals of the scope (`total`) and per reason (a deal counts under each of its reasons)."""

    total: int
    stage_time: int
    no_activity: int
    close_passed: int
    close_pushed: int


class StalledOut(Schema):
    as_of: date
    scope: ScopeOut
    policy: StallPolicyOut
    reason: str | None
    sort: str
    counts: StalledCountsOut
    items: list[StalledRowOut]
    count: int
    page: int
    page_size: int
    pages: int


class StallActionIn(In):
    outcome: Literal["next_step", "downgrade", "close_lost"]
    next_step: str = Field("", max_length=NEXT_STEP_MAX_LENGTH, description="next_step: what will be done.")
    next_step_on: Day | None = Field(
        None, description=f"next_step: after today, at most {NEXT_STEP_MAX_DAYS} days ahead."
    )
    activity_kind: str = Field(
        "call_out", max_length=10, description="next_step: kind of the planned activity."
    )
    stage_id: Id | None = Field(None, description="downgrade: an earlier stage of the deal's process.")
    loss_reason_id: Id | None = Field(None, description="close_lost: why it was lost (required).")
    note: str = Field("", max_length=500)
    version: Version


class StallActedOut(StallActionOut):
    opportunity: StallOpportunityOut
    stage: RefOut
    opportunity_next_step: str


def reason_out(reason: StallReason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "label": reason_label(reason.code),
        "text": reason_text(reason),
        "value": reason.value,
        "threshold": reason.threshold,
        "standard_days": reason.standard_days,
        "since": reason.since,
        "never": reason.never,
    }


def _action_out(action: StallAction) -> dict[str, Any]:
    return {
        "id": action.pk,
        "opportunity_id": action.opportunity_id,
        "outcome": action.outcome,
        "reasons": action.reasons,
        "next_step": action.next_step,
        "next_step_on": action.next_step_on,
        "note": action.note,
        "acted_by": action.acted_by,
        "acted_at": action.acted_at,
    }


def _row_out(row: StalledRow) -> dict[str, Any]:
    opp = row.opp
    return {
        "opportunity": opp,
        "account": {"id": opp.account_id, "name": opp.account.name},
        "owner": opp.owner,
        "team": {"id": opp.team_id, "name": opp.team.name},
        "stage": {"id": opp.stage_id, "name": opp.stage.name, "standard_days": opp.stage.standard_days},
        "days_in_stage": row.days_in_stage,
        "stage_allowance": row.stage_allowance,
        "last_activity_on": row.last_activity_on,
        "expected_close_date": opp.expected_close_date,
        "close_pushes": row.close_pushes,
        "next_step_on": row.next_step_on,
        "days_stalled": row.days_stalled,
        "stalled_since": row.stalled_since,
        "reasons": [reason_out(r) for r in row.reasons],
        "last_action": _action_out(row.last_action) if row.last_action else None,
    }


@router.get("/reports/stalled", response={200: StalledOut, codes_4xx: ErrorOut})
def stalled_deals(request: ApiRequest, query: Query[StalledQuery]) -> dict[str, Any]:
    """Stalled open deals of a scope (a rep: their own; a manager: their teams; a director: their
    regions; a unit or seller out of reach: 404), counted per reason, one page sorted by days stalled."""
    report = stalled_report(
        request.auth,
        unit_id=query.unit_id,
        owner_id=query.owner_id,
        reason=query.reason,
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
    )
    scope = report.scope
    return {
        "as_of": report.as_of,
        "scope": scope_out(scope),
        "policy": {
            "factor": report.policy.factor,
            "no_activity_days": report.policy.no_activity_days,
            "close_pushes": report.policy.close_pushes,
        },
        "reason": report.reason,
        "sort": report.sort,
        "counts": report.counts,
        "items": [_row_out(row) for row in report.page.items],
        "count": report.page.count,
        "page": report.page.page,
        "page_size": report.page.page_size,
        "pages": report.page.pages,
    }


@router.post("/opportunities/{opp_id}/stall-action", response={201: StallActedOut, codes_4xx: ErrorOut})
def stall_action(request: ApiRequest, opp_id: OppId, payload: StallActionIn) -> Status[dict[str, Any]]:
    """Record the required outcome for a stalled deal and do it: a dated next step (the deal's next
    step and a planned activity), a downgrade to an earlier stage, or close lost. Whoever may write
    the deal; 422 not_stalled when it is not stalled; nothing is recorded when the action fails."""
    action = stall_act(request.auth, opp_id, payload.outcome, **payload.dict(exclude={"outcome"}))
    opp = action.opportunity
    return Status(
        201,
        {
            **_action_out(action),
            "opportunity": opp,
            "stage": {"id": opp.stage_id, "name": opp.stage.name},
            "opportunity_next_step": opp.next_step,
        },
    )
