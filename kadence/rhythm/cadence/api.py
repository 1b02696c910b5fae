"""The 1-15-30 cadence and the debriefs over the API (/api/rhythm/cadence…, /api/rhythm/debriefs…):
reviews (create, list), items (list with filters, record a follow-up, record a judgement), the due and
overdue counts per rep, and the debrief talks and ride-alongs with their monthly count per manager.
Reads through kadence.rhythm.cadence.selectors, writes through kadence.rhythm.cadence.services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import (
    Day,
    ErrorOut,
    Id,
    IdPath,
    In,
    PageOut,
    PageQuery,
    RefOut,
    UserRef,
    Version,
    page_out,
)
from kadence.core.visibility import access_debrief
from kadence.rhythm.cadence import selectors, services
from kadence.rhythm.cadence.models import CadenceItem, Debrief, Review

router = Router(tags=["rhythm"])

TEXT = Field("", max_length=services.NOTE_MAX)


class CadenceReviewIn(In):
    """Exactly one of `opportunity_id` (a deal) or `account_id` (a customer)."""

    opportunity_id: Id | None = None
    account_id: Id | None = None
    reviewed_on: Day | None = Field(None, description="Default today; not in the future.")
    work_done: str = Field("", max_length=services.NOTE_MAX, description="What was done.")
    progress: str = TEXT
    problems: str = TEXT


class CadenceItemOut(Schema):
    id: int
    review_id: int
    kind: str
    subject: str
    opportunity_id: int | None
    account_id: int | None
    subject_name: str
    rep: UserRef
    due_on: date
    overdue: bool
    status: str
    outcome: str
    note: str
    next_step: str
    next_step_on: date | None
    loss_reason_id: int | None
    done_at: datetime | None
    done_on: date | None
    done_by_id: int | None
    superseded_by_id: int | None
    version: int


class CadenceReviewOut(Schema):
    id: int
    subject: str
    opportunity: RefOut | None
    account: RefOut | None
    reviewer: UserRef
    rep: UserRef
    reviewed_on: date
    work_done: str
    progress: str
    problems: str
    items: list[CadenceItemOut]


class CadenceItemsQuery(PageQuery):
    state: Literal["due", "overdue", "open", "done", "superseded"] | None = Field(
        None, description="due: open, due within the policy's due-soon days; overdue: open, past due."
    )
    kind: Literal["follow_up", "judgement"] | None = None
    rep_id: Id | None = None
    review_id: Id | None = None


class CadenceReviewsQuery(PageQuery):
    opportunity_id: Id | None = None
    account_id: Id | None = None
    rep_id: Id | None = None


class CadenceFollowUpIn(In):
    note: str = Field(..., max_length=services.NOTE_MAX, description="How the progress was followed up.")
    version: Version


class CadenceJudgementIn(In):
    outcome: Literal["continue", "downgrade", "stop"]
    note: str = TEXT
    next_step: str = Field(
        "", max_length=services.NEXT_STEP_MAX, description="continue: what will be done (required)."
    )
    next_step_on: Day | None = Field(None, description="continue: after today, within the policy's days.")
    activity_kind: Literal["visit", "call_out", "call_in", "meeting", "demo", "email"] = "visit"
    loss_reason_id: Id | None = Field(None, description="stop on a deal: why it is lost (required).")
    version: Version


class CadenceRepCountsOut(Schema):
    rep_id: int
    name: str
    overdue: int
    due: int
    open: int
    done_recently: int


class CadenceSummaryOut(Schema):
    as_of: date
    overdue: int
    due: int
    open: int
    done_recently: int = Field(description="Recorded in the last 30 days.")
    items: list[CadenceRepCountsOut]
    count: int
    page: int
    page_size: int
    pages: int


class CadenceSummaryQuery(PageQuery):
    rep_id: Id | None = None


def item_out(item: CadenceItem, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    review = item.review
    return {
        "id": item.pk,
        "review_id": item.review_id,
        "kind": item.kind,
        "subject": review.subject,
        "opportunity_id": review.opportunity_id,
        "account_id": review.account_id,
        "subject_name": selectors.subject_name(item),
        "rep": item.rep,
        "due_on": item.due_on,
        "overdue": item.status == CadenceItem.Status.OPEN and item.due_on < today,
        "status": item.status,
        "outcome": item.outcome,
        "note": item.note,
        "next_step": item.next_step,
        "next_step_on": item.next_step_on,
        "loss_reason_id": item.loss_reason_id,
        "done_at": item.done_at,
        "done_on": item.done_on,
        "done_by_id": item.done_by_id,
        "superseded_by_id": item.superseded_by_id,
        "version": item.version,
    }


def review_out(review: Review) -> dict[str, Any]:
    items = selectors.review_items(review)
    for item in items:
        item.review = review
        item.rep = review.rep
    return {
        "id": review.pk,
        "subject": review.subject,
        "opportunity": review.opportunity,
        "account": review.account,
        "reviewer": review.reviewer,
        "rep": review.rep,
        "reviewed_on": review.reviewed_on,
        "work_done": review.work_done,
        "progress": review.progress,
        "problems": review.problems,
        "items": [item_out(item) for item in items],
    }


@router.get("/rhythm/cadence/items", response={200: PageOut[CadenceItemOut], codes_4xx: ErrorOut})
def cadence_items(request: ApiRequest, query: Query[CadenceItemsQuery]) -> dict[str, Any]:
    """The 1-15-30 items you see (a rep: their own; a manager: their teams'; a director: their
    regions'), filtered by state, kind, rep or review; open ones by due date."""
    today = timezone.localdate()
    page = selectors.items_list(
        request.auth,
        state=query.state,
        kind=query.kind,
        rep_id=query.rep_id,
        review_id=query.review_id,
        today=today,
        page=query.page,
        page_size=query.page_size,
    )
    page.items = [item_out(item, today) for item in page.items]
    return page_out(page)


@router.get("/rhythm/cadence/summary", response={200: CadenceSummaryOut, codes_4xx: ErrorOut})
def cadence_summary(request: ApiRequest, query: Query[CadenceSummaryQuery]) -> dict[str, Any]:
    """Overdue, due-soon and open items per rep (most overdue first) and their totals."""
    today = timezone.localdate()
    counts = selectors.counts(
        request.auth, today=today, rep_id=query.rep_id, page=query.page, page_size=query.page_size
    )
    page = counts.page
    return {
        "as_of": today,
        "overdue": counts.overdue,
        "due": counts.due,
        "open": counts.open,
        "done_recently": counts.done_recently,
        "items": [vars(line) for line in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }


@router.get("/rhythm/cadence/reviews", response={200: PageOut[CadenceReviewOut], codes_4xx: ErrorOut})
def cadence_reviews(request: ApiRequest, query: Query[CadenceReviewsQuery]) -> dict[str, Any]:
    """The reviews you see, latest first, each with its follow-up and judgement."""
    page = selectors.reviews_list(
        request.auth,
        opportunity_id=query.opportunity_id,
        account_id=query.account_id,
        rep_id=query.rep_id,
        page=query.page,
        page_size=query.page_size,
    )
    page.items = [review_out(review) for review in page.items]
    return page_out(page)


@router.post("/rhythm/cadence/reviews", response={201: CadenceReviewOut, codes_4xx: ErrorOut})
def create_cadence_review(request: ApiRequest, payload: CadenceReviewIn) -> Status[dict[str, Any]]:
    """Review a deal or a customer: schedules its follow-up and intent judgement (the policy's 15 and
    30 days) and supersedes the open items of its earlier reviews. The subject's rep, their manager
    or above."""
    review = services.review_create(request.auth, **payload.dict())
    review = (
        Review.objects.select_related("opportunity", "account", "reviewer", "rep")
        .prefetch_related("items")
        .get(pk=review.pk)
    )
    return Status(201, review_out(review))


def _item(item_id: int) -> dict[str, Any]:
    return item_out(CadenceItem.objects.select_related(*selectors.ITEM_RELATED).get(pk=item_id))


@router.post("/rhythm/cadence/items/{item_id}/follow-up", response={200: CadenceItemOut, codes_4xx: ErrorOut})
def record_follow_up(request: ApiRequest, item_id: IdPath, payload: CadenceFollowUpIn) -> dict[str, Any]:
    """Record the follow-up (a note). A stale `version` answers 409, an item already recorded or
    superseded 409 `not_open`."""
    services.follow_up_record(request.auth, item_id, version=payload.version, note=payload.note)
    return _item(item_id)


@router.post("/rhythm/cadence/items/{item_id}/judgement", response={200: CadenceItemOut, codes_4xx: ErrorOut})
def record_judgement(request: ApiRequest, item_id: IdPath, payload: CadenceJudgementIn) -> dict[str, Any]:
    """Record the intent judgement and do it: continue (the deal's next step and a planned activity),
    downgrade (the deal's forecast category one step lower) or stop (a deal closed lost with its loss
    reason; a customer: recorded only). Nothing is recorded when the deal refuses the change."""
    services.judgement_record(request.auth, item_id, **payload.dict())
    return _item(item_id)


# --- debriefs and ride-alongs ---------------------------------------------------------------------


class DebriefFields(In):
    account_id: Id | None = None
    opportunity_id: Id | None = Field(
        None, description="One of the rep's deals (its customer is the account)."
    )
    customer_situation: str = Field(
        "", max_length=services.NOTE_MAX, description="The customer's real situation."
    )
    rep_ability: str = Field("", max_length=services.NOTE_MAX, description="The rep's real ability.")
    market_conditions: str = TEXT
    coaching: str = Field("", max_length=services.NOTE_MAX, description="Coaching given.")
    findings: str = TEXT
    actions: str = TEXT


class DebriefIn(DebriefFields):
    kind: Literal["debrief", "ride_along"]
    held_on: Day
    rep_id: Id


class DebriefPatch(In):
    kind: Literal["debrief", "ride_along"] | None = None
    held_on: Day | None = None
    account_id: Id | None = None
    opportunity_id: Id | None = None
    customer_situation: str | None = Field(None, max_length=services.NOTE_MAX)
    rep_ability: str | None = Field(None, max_length=services.NOTE_MAX)
    market_conditions: str | None = Field(None, max_length=services.NOTE_MAX)
    coaching: str | None = Field(None, max_length=services.NOTE_MAX)
    findings: str | None = Field(None, max_length=services.NOTE_MAX)
    actions: str | None = Field(None, max_length=services.NOTE_MAX)
    version: Version


class DebriefOut(Schema):
    id: int
    kind: str
    held_on: date
    rep: UserRef
    manager: UserRef
    account: RefOut | None
    opportunity: RefOut | None
    customer_situation: str
    rep_ability: str
    market_conditions: str
    coaching: str
    findings: str
    actions: str
    version: int


class DebriefsQuery(PageQuery):
    rep_id: Id | None = None
    kind: Literal["debrief", "ride_along"] | None = None


class DebriefCountOut(Schema):
    manager_id: int
    manager: str
    month: date
    debriefs: int
    ride_alongs: int


class DebriefCountsQuery(Schema):
    year: int = Field(..., ge=2000, le=2100)


def _debrief(debrief_id: int) -> Debrief:
    return Debrief.objects.select_related("rep", "manager", "account", "opportunity").get(pk=debrief_id)


@router.get("/rhythm/debriefs", response={200: PageOut[DebriefOut], codes_4xx: ErrorOut})
def debriefs(request: ApiRequest, query: Query[DebriefsQuery]) -> dict[str, Any]:
    """Debrief talks (述职谈话) and ride-alongs (随访观察) you see: about you, of your units, or recorded
    by you; latest first."""
    return page_out(
        selectors.debriefs_list(
            request.auth, rep_id=query.rep_id, kind=query.kind, page=query.page, page_size=query.page_size
        )
    )


@router.get("/rhythm/debriefs/counts", response={200: list[DebriefCountOut], codes_4xx: ErrorOut})
def debrief_counts(request: ApiRequest, query: Query[DebriefCountsQuery]) -> list[Any]:
    """How many debriefs and ride-alongs each manager recorded per month of `year` (of those you see)."""
    return [vars(row) for row in selectors.debrief_counts(request.auth, year=query.year)]


@router.post("/rhythm/debriefs", response={201: DebriefOut, codes_4xx: ErrorOut})
def create_debrief(request: ApiRequest, payload: DebriefIn) -> Status[Debrief]:
    """Record a debrief talk or a ride-along with a seller of your units (managers and above)."""
    debrief = services.debrief_create(request.auth, **payload.dict())
    return Status(201, _debrief(debrief.pk))


@router.get("/rhythm/debriefs/{debrief_id}", response={200: DebriefOut, codes_4xx: ErrorOut})
def debrief(request: ApiRequest, debrief_id: IdPath) -> Debrief:
    access_debrief(request.auth, debrief_id)
    return _debrief(debrief_id)


@router.patch("/rhythm/debriefs/{debrief_id}", response={200: DebriefOut, codes_4xx: ErrorOut})
def update_debrief(request: ApiRequest, debrief_id: IdPath, payload: DebriefPatch) -> Debrief:
    """Change a debrief (who recorded it, or an admin); a stale `version` answers 409."""
    services.debrief_update(request.auth, debrief_id, **payload.dict(exclude_unset=True))
    return _debrief(debrief_id)
