"""KAM stages and the CSI over the API (issue 15 §7).

- GET /api/keyaccounts/kam/stages — the five stages with their work focus and checklist items;
- GET /api/keyaccounts/kam/questions — the active CSI questions with their weights;
- GET /api/keyaccounts/kam/accounts/{id} — the account's stage, ticks, stage changes, surveys;
- PUT …/accounts/{id}/stage — move it to a stage (`version` as read, 0 for none yet; 409 stale);
- PUT …/accounts/{id}/checklist/{item_id} — tick ({"done": true}) or untick an item;
- POST …/accounts/{id}/surveys — a CSI survey: {surveyed_on, answers: {question id: 1–5}, note};
- GET /api/keyaccounts/kam/board — the accounts of a scope by stage (counts and a page of accounts).

CSI = (Σ weight × answer ÷ Σ weight − 1) ÷ 4 × 100 (0–100)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx
from pydantic import StrictInt

from kadence.core.api import ApiRequest
from kadence.core.pagination import paginate
from kadence.core.schemas import Clean, Day, ErrorOut, Id, IdPath, In, PageQuery
from kadence.keyaccounts.kam import selectors, services

VersionOrNone = Annotated[
    int,
    Field(
        ge=0, le=2147483647, description="The version you read (0: the account has none yet); stale → 409."
    ),
]
router = Router(tags=["key accounts: KAM stages and CSI"])
PREFIX = "/keyaccounts/kam"


class KamItemOut(Schema):
    id: int
    text: str
    text_zh: str
    text_en: str


class KamStageOut(Schema):
    code: str
    order: int
    name: str
    name_zh: str
    name_en: str
    focus: str
    items: list[KamItemOut]


class KamStagesOut(Schema):
    items: list[KamStageOut]


class KamQuestionOut(Schema):
    id: int
    code: str
    text: str
    weight: Decimal


class KamQuestionsOut(Schema):
    items: list[KamQuestionOut]


class KamTickOut(Schema):
    item_id: int
    by: str
    at: datetime


class KamChangeOut(Schema):
    from_stage: str | None
    to_stage: str
    by: str
    at: datetime
    note: str


class KamAnswerOut(Schema):
    question_id: int
    score: int
    weight: Decimal


class KamSurveyOut(Schema):
    id: int
    surveyed_on: date
    csi: Decimal
    note: str
    by: str
    answers: list[KamAnswerOut]


class KamCardOut(Schema):
    account_id: int
    account: str
    stage: str | None
    version: int
    last_csi: Decimal | None
    last_csi_on: date | None
    ticks: list[KamTickOut]
    changes: list[KamChangeOut]
    surveys: list[KamSurveyOut]


class KamStageIn(In):
    version: VersionOrNone
    stage: str = Field(min_length=1, max_length=20)
    note: str = Field("", max_length=500)


class KamTickIn(In):
    done: bool


class KamTickStateOut(Schema):
    item_id: int
    done: bool


class KamSurveyIn(In):
    surveyed_on: Day
    answers: dict[int, StrictInt] = Field(description="{question id: 1–5}")
    note: str = Field("", max_length=500)


class KamBoardQuery(PageQuery, Clean):
    unit_id: Id | None = None
    owner_id: Id | None = None
    stage: str | None = Field(None, max_length=20)


class KamBoardRowOut(Schema):
    account_id: int
    account: str
    owner: str
    stage: str | None
    last_csi: Decimal | None
    last_csi_on: date | None


class KamStageCountOut(Schema):
    code: str
    name: str
    count: int


class KamBoardOut(Schema):
    scope: str
    counts: list[KamStageCountOut]
    items: list[KamBoardRowOut]
    count: int
    page: int | None
    page_size: int
    pages: int


def _stages_out() -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "order": s.order,
            "name": s.name,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "focus": s.focus,
            "items": [
                {"id": i.pk, "text": i.text, "text_zh": i.text_zh, "text_en": i.text_en}
                for i in s.items.all()
            ],
        }
        for s in selectors.stages()
    ]


def card_out(user: Any, account_id: int) -> dict[str, Any]:
    c = selectors.card(user, account_id)
    stage = c.stage
    return {
        "account_id": c.account.pk,
        "account": c.account.name,
        "stage": stage.code if stage else None,
        "version": c.version,
        "last_csi": c.kam.last_csi if c.kam else None,
        "last_csi_on": c.kam.last_csi_on if c.kam else None,
        "ticks": [
            {"item_id": t.item_id, "by": t.ticked_by.label, "at": t.ticked_at} for t in c.ticked.values()
        ],
        "changes": [
            {
                "from_stage": ch.from_stage.code if ch.from_stage else None,
                "to_stage": ch.to_stage.code,
                "by": ch.changed_by.label,
                "at": ch.changed_at,
                "note": ch.note,
            }
            for ch in c.changes
        ],
        "surveys": [
            {
                "id": s.pk,
                "surveyed_on": s.surveyed_on,
                "csi": s.csi,
                "note": s.note,
                "by": s.recorded_by.label,
                "answers": [
                    {"question_id": a.question_id, "score": a.score, "weight": a.weight}
                    for a in s.answers.all()
                ],
            }
            for s in c.surveys
        ],
    }


@router.get(f"{PREFIX}/stages", response={200: KamStagesOut, codes_4xx: ErrorOut})
def get_stages(request: ApiRequest) -> dict[str, Any]:
    """The stages in order with their work focus and active checklist items."""
    return {"items": _stages_out()}


@router.get(f"{PREFIX}/questions", response={200: KamQuestionsOut, codes_4xx: ErrorOut})
def get_questions(request: ApiRequest) -> dict[str, Any]:
    """The active CSI questions and their weights."""
    return {
        "items": [
            {"id": q.pk, "code": q.code, "text": q.text, "weight": q.weight} for q in selectors.questions()
        ]
    }


@router.get(f"{PREFIX}/accounts/{{account_id}}", response={200: KamCardOut, codes_4xx: ErrorOut})
def get_card(request: ApiRequest, account_id: IdPath) -> dict[str, Any]:
    """The account's KAM record (404 for an account you don't see)."""
    return card_out(request.auth, account_id)


@router.put(f"{PREFIX}/accounts/{{account_id}}/stage", response={200: KamCardOut, codes_4xx: ErrorOut})
def put_stage(request: ApiRequest, account_id: IdPath, payload: KamStageIn) -> dict[str, Any]:
    """Move the account to a stage; `version` as read (0 when it has none; 409 when stale)."""
    services.stage_set(
        request.auth, account_id, stage=payload.stage, version=payload.version, note=payload.note
    )
    return card_out(request.auth, account_id)


@router.put(
    f"{PREFIX}/accounts/{{account_id}}/checklist/{{item_id}}",
    response={200: KamTickStateOut, codes_4xx: ErrorOut},
)
def put_tick(request: ApiRequest, account_id: IdPath, item_id: IdPath, payload: KamTickIn) -> dict[str, Any]:
    """Tick or untick a checklist item (idempotent)."""
    done = services.tick_set(request.auth, account_id, item_id, done=payload.done)
    return {"item_id": item_id, "done": done}


@router.post(f"{PREFIX}/accounts/{{account_id}}/surveys", response={201: KamSurveyOut, codes_4xx: ErrorOut})
def post_survey(request: ApiRequest, account_id: IdPath, payload: KamSurveyIn) -> Status[dict[str, Any]]:
    """Record a CSI survey; the CSI is computed from the answers and the questions' weights."""
    s = services.survey_create(
        request.auth, account_id, surveyed_on=payload.surveyed_on, answers=payload.answers, note=payload.note
    )
    return Status(
        201,
        {
            "id": s.pk,
            "surveyed_on": s.surveyed_on,
            "csi": s.csi,
            "note": s.note,
            "by": request.auth.label,
            "answers": [
                {"question_id": a.question_id, "score": a.score, "weight": a.weight} for a in s.answers.all()
            ],
        },
    )


@router.get(f"{PREFIX}/board", response={200: KamBoardOut, codes_4xx: ErrorOut})
def get_board(request: ApiRequest, query: Query[KamBoardQuery]) -> dict[str, Any]:
    """The accounts of the scope you ask for by KAM stage: counts per stage and a page of accounts."""
    scope, qs, counts = selectors.board(
        request.auth, unit_id=query.unit_id, owner_id=query.owner_id, stage=query.stage
    )
    page = paginate(qs, query.page, query.page_size)
    return {
        "scope": str(scope.label),
        "counts": [
            {"code": s.code, "name": s.name, "count": counts.get(s.code, 0)} for s in selectors.stages()
        ],
        "items": [
            {
                "account_id": a.pk,
                "account": a.name,
                "owner": a.owner.label,
                "stage": a.kam.stage.code if a.kam.stage_id else None,
                "last_csi": a.kam.last_csi,
                "last_csi_on": a.kam.last_csi_on,
            }
            for a in page.items
        ],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }
