"""The background jobs of notifications, run by `kadence worker` (kadence.core.jobs): collect what is due
(KADENCE_NOTIFY_COLLECT_AT, 05:30 by default) and send the daily digests (KADENCE_NOTIFY_DIGEST_AT, 06:30).
The digest job collects first (collecting is idempotent), so it never mails a stale list."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from kadence.core.jobs import Cadence, schedule
from kadence.rhythm.notify.services import collect, send_digests


def _at(value: str, default: time) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return default


@schedule("notify-collect", Cadence("daily", _at(settings.KADENCE_NOTIFY_COLLECT_AT, time(5, 30))))
@task()
def notify_collect() -> str:
    """Bring every user's notifications in line with what is due today."""
    return str(collect(timezone.localdate()))


@schedule("notify-digest", Cadence("daily", _at(settings.KADENCE_NOTIFY_DIGEST_AT, time(6, 30))))
@task()
def notify_digest() -> str:
    """Collect, then send today's e-mail digests (each user's once)."""
    today = timezone.localdate()
    collected = collect(today)
    return f"collected: {collected}; digests: {send_digests(today)}"
