"""Activities over the API: parse, call the selector or service, render."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router
from ninja.responses import Status, codes_4xx

from kadence.activities import selectors, services
from kadence.activities.models import Activity
from kadence.activities.schemas import ActivityIn, ActivityOut, ActivityPatch, ActivityQuery
from kadence.core.api import ApiRequest
from kadence.core.schemas import ErrorOut, IdPath, PageOut, page_out

router = Router(tags=["activities"])

ActivityId = IdPath


@router.get("/activities", response={200: PageOut[ActivityOut], codes_4xx: ErrorOut})
def list_activities(request: ApiRequest, query: Query[ActivityQuery]) -> dict[str, Any]:
    """Activities you may see, newest first."""
    page = selectors.activity_list(
        request.auth, query.filters(), page=query.page, page_size=query.page_size, cursor=query.cursor
    )
    return page_out(page)


@router.get("/activities/{activity_id}", response={200: ActivityOut, codes_4xx: ErrorOut})
def get_activity(request: ApiRequest, activity_id: ActivityId) -> Activity:
    """One activity."""
    return selectors.activity_detail(request.auth, activity_id)


@router.post("/activities", response={201: ActivityOut, codes_4xx: ErrorOut})
def create_activity(request: ApiRequest, payload: ActivityIn) -> Status[Activity]:
    """Log (or plan, with `done` false) an activity at an account you see, optionally on one of its
    opportunities; given only `opportunity_id`, the activity takes the opportunity's account."""
    values = payload.dict(exclude_none=True)
    activity = services.activity_create(request.auth, **values)
    return Status(201, selectors.activity_detail(request.auth, activity.pk))


@router.patch("/activities/{activity_id}", response={200: ActivityOut, codes_4xx: ErrorOut})
def update_activity(request: ApiRequest, activity_id: ActivityId, payload: ActivityPatch) -> Activity:
    """Change the fields sent (e.g. mark done). `version` must be the one you read (409 `conflict`
    otherwise)."""
    services.activity_update(request.auth, activity_id, version=payload.version, **payload.changes("version"))
    return selectors.activity_detail(request.auth, activity_id)
