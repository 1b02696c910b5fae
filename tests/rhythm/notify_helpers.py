"""Helpers of the notification tests."""

from __future__ import annotations

from datetime import date

from kadence.rhythm.notify.models import Notification


def rows(user_id: int | None = None, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.order_by("user_id", "key")
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return list(qs)


def keys(user_id: int, kind: str | None = None) -> set[str]:
    return {n.key for n in rows(user_id, kind)}


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()
