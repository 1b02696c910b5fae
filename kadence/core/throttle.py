"""Login throttling: refuse further sign-in attempts after too many failures for one username or from
one client address within a window (settings.LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW_SECONDS).

Failures live in the database (LoginFailure), not in process memory, so every app process applies
the same limit. A refused attempt is not itself recorded: the lock lifts when the window passes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from kadence.core.models import LoginFailure


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _normal(username: str) -> str:
    # Usernames are compared case-insensitively so that "Rita" and "rita" share one counter.
    return (username or "").strip().lower()[:150]


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a trusted proxy (KADENCE_BEHIND_PROXY) the last address the
    proxy appended to X-Forwarded-For; earlier entries are client-supplied and cannot be trusted."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64]


def retry_after(username: str, ip: str, *, now: datetime | None = None) -> int | None:
    """Seconds until this username and address may try again, or None when they may try now.

    With at least `limit` failures in the window, the lock lifts when the `limit`-th most recent
    one leaves the window (from then on fewer than `limit` remain)."""
    now = now or timezone.now()
    limit = settings.LOGIN_FAILURE_LIMIT
    if limit < 1:  # 0 switches throttling off
        return None
    recent = LoginFailure.objects.filter(at__gte=now - _window()).order_by("-at")
    unlocks = []
    for rows in (recent.filter(username=_normal(username)) if username else None, recent.filter(ip=ip)):
        if rows is None:
            continue
        times = list(rows.values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            unlocks.append(times[-1] + _window())
    if not unlocks:
        return None
    return max(1, math.ceil((max(unlocks) - now).total_seconds()))


def record_failure(username: str, ip: str) -> None:
    now = timezone.now()
    # Keep the table small: rows older than the window no longer count for anything.
    LoginFailure.objects.filter(at__lt=now - _window()).delete()
    LoginFailure.objects.create(username=_normal(username), ip=ip, at=now)


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(username=_normal(username)).delete()
