"""Deal assessments over the API: C139 (METHODOLOGY §3) and bid / no-bid (§5), each a history of
saves whose latest one the stage gates check."""

from __future__ import annotations

from typing import Any

from ninja import P, QueryEx, Router
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import ErrorOut, IdPath
from kadence.deals.models import BidAssessment, C139Assessment, C139Question, ControlPolicy
from kadence.deals.schemas.assessments import (
    BidIn,
    BidListOut,
    BidOut,
    C139AssessmentOut,
    C139In,
    C139ItemOut,
    C139Out,
)
from kadence.deals.selectors import assessments as selectors
from kadence.deals.services import assessments as services

router = Router(tags=["deal control"])

OppId = IdPath
HistoryLimit = QueryEx[
    int,
    P(ge=1, le=selectors.MAX_HISTORY_LIMIT, description="How many past assessments to list, newest first."),
]


@router.get("/c139-items", response={200: list[C139ItemOut], codes_4xx: ErrorOut})
def c139_items(request: ApiRequest) -> list[C139Question]:
    """The 13 C139 items (9 Clear, 3 First, 1 Win) with their wording, in order."""
    return selectors.c139_questions()


@router.get("/opportunities/{opp_id}/c139", response={200: C139Out, codes_4xx: ErrorOut})
def get_c139(
    request: ApiRequest, opp_id: OppId, limit: HistoryLimit = selectors.HISTORY_LIMIT
) -> selectors.C139Record:
    """The deal's latest C139 assessment with its 13 answers (null when never assessed), and the
    history, newest first."""
    return selectors.c139_record(request.auth, opp_id, limit=limit)


@router.post("/opportunities/{opp_id}/c139", response={201: C139AssessmentOut, codes_4xx: ErrorOut})
def post_c139(request: ApiRequest, opp_id: OppId, payload: C139In) -> Status[C139Assessment]:
    """Record a C139 assessment of an open deal (you must be able to work on it). Answers keyed by
    item code; missing items count as unknown. The deal's C139 result, staging flag and level follow."""
    answers = {item: answer.dict() for item, answer in payload.answers.items()}
    saved = services.c139_assess(request.auth, opp_id, answers=answers, note=payload.note)
    return Status(201, selectors.c139_assessment(request.auth, opp_id, saved.pk))


@router.get("/opportunities/{opp_id}/bid", response={200: BidListOut, codes_4xx: ErrorOut})
def get_bid(
    request: ApiRequest, opp_id: OppId, limit: HistoryLimit = selectors.HISTORY_LIMIT
) -> dict[str, Any]:
    """The deal's latest bid / no-bid decision (null when never assessed), the history newest first,
    and the thresholds in force."""
    history, count = selectors.bid_history(request.auth, opp_id, limit=limit)
    policy = ControlPolicy.current()
    rules = selectors.bid_rules(policy)
    return {
        "latest": history[0] if history else None,
        "history": history,
        "history_count": count,
        "rules": {
            "pursue_min_score": rules.pursue_min_score,
            "abandon_max_score": rules.abandon_max_score,
            "abandon_min_signs": rules.abandon_min_signs,
            "qualify_days": policy.bid_qualify_days,
        },
    }


@router.post("/opportunities/{opp_id}/bid", response={201: BidOut, codes_4xx: ErrorOut})
def post_bid(request: ApiRequest, opp_id: OppId, payload: BidIn) -> Status[BidAssessment]:
    """Record a bid / no-bid decision on an open deal. The score and suggestion are computed; a
    decision different from the suggestion needs a `note`; `qualify` gets a deadline."""
    row = services.bid_assess(request.auth, opp_id, **payload.dict())
    return Status(201, row)
