"""Notification reads: the bell's count, the list, the user's channels, the calendar feed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from kadence.core.models import User
from kadence.core.pagination import Page, paginate
from kadence.core.visibility import visible_notifications
from kadence.rhythm.notify.models import Notification, NotifyChannels

FEED_DAYS_BACK = 90  # the calendar feed shows open items due from this many days ago on


def unread_count(user: User) -> int:
    """The bell: one COUNT over the partial index notification_unread."""
    return visible_notifications(user).filter(read_at__isnull=True, resolved_at__isnull=True).count()


def notification_page(user: User, *, show: str = "open", page: Any = 1, page_size: Any = 25) -> Page:
    """The user's notifications, most pressing (earliest due) first: `open` (not resolved, read or not,
    the default), `unread`, or `all` (resolved ones too, latest first)."""
    rows = visible_notifications(user)
    if show == "unread":
        rows = rows.filter(read_at__isnull=True, resolved_at__isnull=True).order_by("due_date", "id")
    elif show == "all":
        rows = rows.order_by("-due_date", "-id")
    else:
        rows = rows.filter(resolved_at__isnull=True).order_by("due_date", "id")
    return paginate(rows, page, page_size)


def channels_of(user: User) -> NotifyChannels:
    """The user's channels (the defaults, unsaved, when they never chose)."""
    return NotifyChannels.objects.filter(user=user).first() or NotifyChannels(user=user)


def feed_owner(digest: str) -> User | None:
    """The active user whose calendar feed token has this SHA-256 (None: unknown or revoked)."""
    channels = (
        NotifyChannels.objects.filter(feed_digest=digest, user__is_active=True).select_related("user").first()
    )
    return channels.user if channels is not None else None


def feed_items(user: User, today: date | None = None) -> list[Notification]:
    """The open items of the user's calendar feed (one query)."""
    today = today or timezone.localdate()
    return list(
        visible_notifications(user)
        .filter(resolved_at__isnull=True, due_date__gte=today - timedelta(days=FEED_DAYS_BACK))
        .order_by("due_date", "id")[:2000]
    )
