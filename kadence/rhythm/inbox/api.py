"""The approval inbox over the API: every kind's count and items, and the actions on them (approve or
refuse a gate, adjust a forecast, mark an override or a forecast reviewed)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import ErrorOut, Id, IdPath, In, MoneyIn, Reason
from kadence.core.visibility import uses_inbox
from kadence.deals.services.gates import gate_approve
from kadence.planning.services.forecast import forecast_adjust
from kadence.rhythm.inbox import services
from kadence.rhythm.inbox.selectors import inbox
from kadence.rhythm.pack.api import plain

router = Router(tags=["rhythm: approval inbox"])


class InboxKindOut(Schema):
    kind: str = Field(
        description="gates, overrides, forecasts, expenses, cadence (overdue 1-15-30 items) or targets."
    )
    title: str
    count: int
    capped: bool = Field(description="The count is a lower bound (more were not read).")
    items: list[dict[str, Any]]


class InboxOut(Schema):
    total: int
    kinds: list[InboxKindOut]


class InboxNoteIn(In):
    note: str = Field("", max_length=500)


class InboxAdjustIn(In):
    forecast: MoneyIn
    reason: Reason


class InboxReviewIn(In):
    kind: Literal["override", "forecast"]
    ref_id: Id = Field(description="The override's stage-change id, or the forecast submission's id.")
    note: str = Field("", max_length=500)


class InboxDoneOut(Schema):
    detail: str


@router.get("/rhythm/inbox", response={200: InboxOut, codes_4xx: ErrorOut})
def get_inbox(request: ApiRequest) -> dict[str, Any]:
    """Everything waiting for you (managers, directors and admins; a seller has nothing waiting: an
    empty inbox), per kind, with at most 50 items each (the count covers them all)."""
    lists = inbox(request.auth) if uses_inbox(request.auth) else []
    return {
        "total": sum(item.count for item in lists),
        "kinds": [
            {"kind": x.kind, "title": x.title, "count": x.count, "capped": x.capped, "items": plain(x.items)}
            for x in lists
        ],
    }


@router.post(
    "/rhythm/inbox/gates/{opp_id}/{criterion_id}/approve", response={200: InboxDoneOut, codes_4xx: ErrorOut}
)
def approve_gate(
    request: ApiRequest, opp_id: IdPath, criterion_id: IdPath, payload: InboxNoteIn
) -> dict[str, Any]:
    """Approve an approval criterion of the deal (kadence.deals gate_approve: the deal is re-checked)."""
    gate_approve(request.auth, opp_id, criterion_id=criterion_id, note=payload.note)
    return {"detail": "approved"}


@router.post(
    "/rhythm/inbox/gates/{opp_id}/{criterion_id}/reject", response={200: InboxDoneOut, codes_4xx: ErrorOut}
)
def reject_gate(
    request: ApiRequest, opp_id: IdPath, criterion_id: IdPath, payload: InboxNoteIn
) -> dict[str, Any]:
    """Refuse the approval, saying why (`note` required): kept in the deal's audit trail."""
    services.gate_reject(request.auth, opp_id, criterion_id=criterion_id, note=payload.note)
    return {"detail": "refused"}


@router.post(
    "/rhythm/inbox/forecasts/{submission_id}/adjust", response={201: InboxDoneOut, codes_4xx: ErrorOut}
)
def adjust_forecast(
    request: ApiRequest, submission_id: IdPath, payload: InboxAdjustIn
) -> Status[dict[str, Any]]:
    """Adjust a seller's forecast submission (kadence.planning forecast_adjust), with a reason."""
    forecast_adjust(request.auth, submission_id, forecast=payload.forecast, reason=payload.reason)
    return Status(201, {"detail": "adjusted"})


@router.post("/rhythm/inbox/reviews", response={201: InboxDoneOut, codes_4xx: ErrorOut})
def post_review(request: ApiRequest, payload: InboxReviewIn) -> Status[dict[str, Any]]:
    """Mark an override or a forecast submission reviewed: it leaves your inbox (409 when already)."""
    services.mark_reviewed(request.auth, payload.kind, payload.ref_id, note=payload.note)
    return Status(201, {"detail": "reviewed"})
