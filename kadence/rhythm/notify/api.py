"""Notifications over the API: the signed-in user's own list, mark read (one, all), their channels and
calendar feed token."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import ErrorOut, IdPath, In, PageOut, PageQuery, Version, page_out
from kadence.rhythm.notify import selectors, services
from kadence.rhythm.notify.models import Notification

router = Router(tags=["notifications"])
BASE = "/rhythm/notifications"


class NotificationOut(Schema):
    id: int
    kind: str
    key: str
    title: str = Field(description="In the language of the request.")
    due_date: date
    url: str = Field(description="A path inside Kadence.")
    created_at: datetime
    read_at: datetime | None
    resolved_at: datetime | None
    emailed_at: datetime | None
    unread: bool

    @staticmethod
    def resolve_unread(obj: Notification) -> bool:
        return obj.is_unread


class NotificationQuery(PageQuery):
    show: Literal["open", "unread", "all"] = Field(
        "open", description="open (not resolved, the default), unread, or all (resolved ones too)."
    )


class ReadAllOut(Schema):
    marked: int


class ChannelsOut(Schema):
    app: bool = Field(True, description="Always on.")
    email_digest: bool
    calendar_feed: bool
    version: int


class ChannelsIn(In):
    email_digest: bool
    version: Version


class FeedOut(Schema):
    url: str = Field(description="The private calendar address, shown this once.")


@router.get(BASE, response=PageOut[NotificationOut])
def list_notifications(request: ApiRequest, query: Query[NotificationQuery]) -> Any:
    """Your notifications (only ever your own), earliest due first."""
    return page_out(
        selectors.notification_page(request.auth, show=query.show, page=query.page, page_size=query.page_size)
    )


@router.post(BASE + "/read-all", response={200: ReadAllOut, codes_4xx: ErrorOut})
def read_all(request: ApiRequest) -> Any:
    """Mark all your unread notifications read."""
    return {"marked": services.notifications_read_all(request.auth)}


@router.post(BASE + "/{notification_id}/read", response={200: NotificationOut, codes_4xx: ErrorOut})
def read_one(request: ApiRequest, notification_id: IdPath) -> Any:
    """Mark one of your notifications read (404 for anyone else's)."""
    return services.notification_read(request.auth, notification_id)


def _channels(request: ApiRequest) -> dict[str, Any]:
    row = selectors.channels_of(request.auth)
    return {"email_digest": row.email_digest, "calendar_feed": row.calendar_feed, "version": row.version or 1}


@router.get(BASE + "/channels", response=ChannelsOut)
def get_channels(request: ApiRequest) -> Any:
    """Your channels: the app (always), the daily e-mail digest, the calendar feed."""
    return _channels(request)


@router.put(BASE + "/channels", response={200: ChannelsOut, codes_4xx: ErrorOut})
def put_channels(request: ApiRequest, payload: ChannelsIn) -> Any:
    """Turn the daily e-mail digest on or off (a stale `version` answers 409)."""
    services.channels_update(request.auth, email_digest=payload.email_digest, version=payload.version)
    return _channels(request)


@router.post(BASE + "/calendar-feed", response={201: FeedOut, codes_4xx: ErrorOut})
def issue_feed(request: ApiRequest) -> Any:
    """Make a new calendar feed address (the old one stops working); it is shown only in this answer."""
    return Status(201, {"url": services.feed_url(request, services.feed_token_issue(request.auth))})


@router.delete(BASE + "/calendar-feed", response={204: None, codes_4xx: ErrorOut})
def revoke_feed(request: ApiRequest) -> Status[None]:
    """Turn the calendar feed off: its address answers 404 from now on."""
    services.feed_token_revoke(request.auth)
    return Status(204, None)
