"""Weekly plans and the quick visit log over the API (/api/rhythm/plans…, /api/rhythm/visits)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status, codes_4xx
from pydantic import StringConstraints

from kadence.accounts.schemas import AccountRef
from kadence.activities.models import Activity
from kadence.core.api import ApiRequest
from kadence.core.schemas import (
    Clean,
    Day,
    ErrorOut,
    Id,
    IdPath,
    In,
    PageOut,
    PageQuery,
    PatchIn,
    UserRef,
    Version,
    page_out,
)
from kadence.rhythm.plans import selectors, services
from kadence.rhythm.plans.models import PlanComment, PlanItem, VisitAttachment, WeeklyPlan

if TYPE_CHECKING:
    Kind = str
    Result = str
else:
    Kind = Literal[tuple(Activity.Kind.values)]
    Result = Literal[tuple(Activity.Result.values)]

router = Router(tags=["rhythm: plans"])
MAX_CONTACTS = 20


class Ref(Schema):
    id: int
    name: str


class PlanItemOut(Schema):
    id: int
    kind: str
    day: dt.date
    account: AccountRef
    contacts: list[Ref]
    opportunity: Ref | None
    goal: str
    status: str = Field(description="kept (planned and done) or missed (planned, not done yet).")
    activity_id: int | None = Field(None, description="The done activity that kept it.")
    version: int


class ActivityBrief(Schema):
    id: int
    kind: str
    subject: str
    date: dt.date
    account: AccountRef


class CommentOut(Schema):
    id: int
    author: UserRef
    text: str
    created_at: dt.datetime


class PlanOut(Schema):
    id: int
    owner: UserRef
    team_id: int
    week_start: dt.date
    status: str
    submitted_at: dt.datetime | None
    version: int
    item_count: int = 0


class PlanDetailOut(PlanOut):
    items: list[PlanItemOut]
    unplanned: list[ActivityBrief]
    comments: list[CommentOut]
    planned: int
    kept: int
    done: int
    kept_rate: float | None


def _item_out(item: PlanItem, activity: Activity | None) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "day": item.day,
        "account": item.account,
        "contacts": list(item.contacts.all()),
        "opportunity": item.opportunity,
        "goal": item.goal,
        "status": "kept" if activity is not None else "missed",
        "activity_id": activity.pk if activity is not None else None,
        "version": item.version,
    }


def _plan_out(plan: WeeklyPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "owner": plan.owner,
        "team_id": plan.team_id,
        "week_start": plan.week_start,
        "status": plan.status,
        "submitted_at": plan.submitted_at,
        "version": plan.version,
        "item_count": getattr(plan, "item_count", 0),
    }


def _detail(request: ApiRequest, plan_id: int) -> dict[str, Any]:
    detail = selectors.plan_detail(request.auth, plan_id)
    week = detail.week
    return {
        **_plan_out(detail.plan),
        "item_count": week.planned,
        "items": [_item_out(r.item, r.activity) for r in week.items],
        "unplanned": week.unplanned,
        "comments": detail.comments,
        "planned": week.planned,
        "kept": week.kept_count,
        "done": week.done,
        "kept_rate": week.kept_rate,
    }


class PlanQuery(PageQuery):
    week: Day | None = Field(None, description="Any day of the week (its Monday is used).")
    owner_id: Id | None = None


class PlanIn(In):
    week_start: Day | None = Field(None, description="A Monday; next week's when left out.")


class VersionIn(In):
    version: Version


class ItemIn(In):
    version: Version = Field(description="The plan's version.")
    kind: Kind = "visit"
    day: Day
    account_id: Id
    contact_ids: Annotated[list[Id], Field(max_length=MAX_CONTACTS)] = []
    opportunity_id: Id | None = None
    goal: Annotated[str, StringConstraints(max_length=500)] = ""


class ItemPatch(PatchIn):
    nullable = frozenset({"opportunity_id"})
    version: Version = Field(description="The item's version.")
    kind: Kind | None = None
    day: Day | None = None
    account_id: Id | None = None
    contact_ids: Annotated[list[Id], Field(max_length=MAX_CONTACTS)] | None = None
    opportunity_id: Id | None = None
    goal: Annotated[str, StringConstraints(max_length=500)] | None = None


class CommentIn(In):
    text: Annotated[str, StringConstraints(max_length=2000)]


class CopyOut(PlanDetailOut):
    copied: int


PlanId = IdPath
ItemId = IdPath


@router.get("/rhythm/plans", response={200: PageOut[PlanOut], codes_4xx: ErrorOut})
def list_plans(request: ApiRequest, query: Query[PlanQuery]) -> dict[str, Any]:
    """Weekly plans you may see (your own; your teams' as a manager, your regions' as a director; all as
    an admin), newest week first."""
    page = selectors.plan_list(
        request.auth,
        week_start=query.week,
        owner_id=query.owner_id,
        page=query.page,
        page_size=query.page_size,
    )
    return {**page_out(page), "items": [_plan_out(p) for p in page.items]}


@router.post("/rhythm/plans", response={200: PlanDetailOut, 201: PlanDetailOut, codes_4xx: ErrorOut})
def open_plan(request: ApiRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    """Open your plan for a week (next week by default): 201 when opened, 200 when it was already open."""
    plan, created = services.plan_open(request.auth, payload.week_start)
    return Status(201 if created else 200, _detail(request, plan.pk))


@router.get("/rhythm/plans/{plan_id}", response={200: PlanDetailOut, codes_4xx: ErrorOut})
def get_plan(request: ApiRequest, plan_id: PlanId) -> dict[str, Any]:
    """A plan with its items (kept or missed), the week's unplanned activities and the comments."""
    return _detail(request, plan_id)


@router.post("/rhythm/plans/{plan_id}/items", response={201: PlanDetailOut, codes_4xx: ErrorOut})
def add_item(request: ApiRequest, plan_id: PlanId, payload: ItemIn) -> Status[dict[str, Any]]:
    """Plan a visit, call or meeting (`version`: the plan's, 409 when stale)."""
    values = payload.dict()
    services.item_add(request.auth, plan_id, **values)
    return Status(201, _detail(request, plan_id))


@router.patch("/rhythm/plans/{plan_id}/items/{item_id}", response={200: PlanDetailOut, codes_4xx: ErrorOut})
def update_item(request: ApiRequest, plan_id: PlanId, item_id: ItemId, payload: ItemPatch) -> dict[str, Any]:
    """Change the fields sent (`version`: the item's, 409 when stale)."""
    services.item_update(
        request.auth, plan_id, item_id, version=payload.version, **payload.changes("version")
    )
    return _detail(request, plan_id)


@router.delete("/rhythm/plans/{plan_id}/items/{item_id}", response={204: None, codes_4xx: ErrorOut})
def remove_item(request: ApiRequest, plan_id: PlanId, item_id: ItemId, version: Version) -> Status[None]:
    """Remove an item (`version` in the query: the item's, 409 when stale)."""
    services.item_remove(request.auth, plan_id, item_id, version=version)
    return Status(204, None)


@router.post("/rhythm/plans/{plan_id}/submit", response={200: PlanDetailOut, codes_4xx: ErrorOut})
def submit_plan(request: ApiRequest, plan_id: PlanId, payload: VersionIn) -> dict[str, Any]:
    """Hand the plan to your manager (`version`: the plan's)."""
    services.plan_submit(request.auth, plan_id, version=payload.version)
    return _detail(request, plan_id)


@router.post("/rhythm/plans/{plan_id}/copy-unfinished", response={200: CopyOut, codes_4xx: ErrorOut})
def copy_unfinished(request: ApiRequest, plan_id: PlanId, payload: VersionIn) -> dict[str, Any]:
    """Copy last week's items that were not done into this plan, a week later each."""
    copied = services.plan_copy_unfinished(request.auth, plan_id, version=payload.version)
    return {**_detail(request, plan_id), "copied": copied}


@router.post("/rhythm/plans/{plan_id}/comments", response={201: CommentOut, codes_4xx: ErrorOut})
def add_comment(request: ApiRequest, plan_id: PlanId, payload: CommentIn) -> Status[PlanComment]:
    """Comment on a rep's plan (their manager, or a director or admin above them)."""
    comment = services.plan_comment(request.auth, plan_id, text=payload.text)
    return Status(201, comment)


# --- the quick visit log ---------------------------------------------------------------------------


class VisitIn(Clean):
    account_id: Id
    contact_ids: Annotated[list[Id], Field(max_length=MAX_CONTACTS)] = []
    opportunity_id: Id | None = None
    kind: Kind = "visit"
    result: Result = ""
    outcome: Annotated[str, StringConstraints(max_length=20000)] = ""
    next_step: Annotated[str, StringConstraints(max_length=300)] = ""
    next_step_date: Day | None = None
    date: Day | None = None
    subject: Annotated[str, StringConstraints(max_length=200)] = ""
    start_cadence: bool = False  # start the 1-15-30 of the deal (else the customer) if none runs


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str

    @staticmethod
    def resolve_url(obj: VisitAttachment) -> str:
        return reverse("rhythm_visit_attachment", args=[obj.pk])


class VisitOut(Schema):
    activity: ActivityBrief
    result: str
    is_effective: bool
    plan_item_id: int | None
    attachments: list[AttachmentOut]
    cadence_review_id: int | None = None


@router.post("/rhythm/visits", response={201: VisitOut, codes_4xx: ErrorOut})
def log_visit(
    request: ApiRequest, payload: Form[VisitIn], file: File[UploadedFile | None] = None
) -> Status[dict[str, Any]]:
    """Log a done visit from a phone (multipart/form-data; `file`: a photo or document as evidence, within
    the size limit and of an allowed type). The plan item of that week it keeps is marked fulfilled."""
    logged = services.visit_log(request.auth, **payload.dict(exclude={"date"}), day=payload.date, upload=file)
    activity = logged.activity
    return Status(
        201,
        {
            "activity": activity,
            "result": activity.result,
            "is_effective": Activity.objects.filter(pk=activity.pk)
            .values_list("is_effective", flat=True)
            .first(),
            "plan_item_id": logged.item.pk if logged.item else None,
            "attachments": [logged.attachment] if logged.attachment else [],
            "cadence_review_id": logged.review.pk if logged.review else None,
        },
    )


@router.get(
    "/rhythm/visits/{activity_id}/attachments", response={200: list[AttachmentOut], codes_4xx: ErrorOut}
)
def list_attachments(request: ApiRequest, activity_id: IdPath) -> list[VisitAttachment]:
    """The files attached to an activity you may see."""
    return selectors.activity_attachments(request.auth, activity_id)
