"""Sign-in throttling: the one rule that every credential check of Kadence goes through.

Three counters of failed attempts within a window (LOGIN_FAILURE_WINDOW_SECONDS):

- per (client address, user name), LOGIN_FAILURE_LIMIT (5): the usual lock, for the person who mistyped
  and for a guesser at one address; it locks that user name at that address only, so colleagues behind
  the same proxy or NAT keep signing in;
- per user name from any address, LOGIN_FAILURE_LIMIT_PER_USERNAME (20): guessing one account from many
  addresses;
- per client address over all user names, LOGIN_FAILURE_LIMIT_PER_ADDRESS (50): one address trying many
  accounts (password spraying).

A limit of 0 switches its counter off. Failures live in the database (LoginFailure), not in process
memory, so every app process applies the same limits. A refused attempt is not itself recorded, and the
password of a refused attempt is never checked: the lock lifts when the window passes.

Where it is enforced: kadence.core.backends.ThrottledModelBackend, the only authentication backend, so
every `authenticate()` (the sign-in page, the admin's sign-in, a password change's old password, the test
client's login) passes it and no future form can bypass it. The forms only turn a refusal into a message
(`throttle_message`). A password-reset request has no password; it counts as an attempt under the key
`reset:<e-mail>` (kadence.core.forms.ThrottledPasswordResetForm), so it shares the address ceiling.
API bearer tokens are not throttled: a token carries 256 random bits and is looked up by its SHA-256
digest, so guessing is hopeless, and a per-address lock would only let one client lock out the others.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from kadence.core.models import LoginFailure

# The key under which a password-reset request for an e-mail address is counted (no user name has a colon).
RESET_KEY_PREFIX = "reset:"


class LoginThrottled(PermissionDenied):
    """Too many failed attempts: refused without checking the password. A PermissionDenied, so that
    django.contrib.auth.authenticate() stops at once and reports a failed sign-in."""

    def __init__(self, wait: int):
        super().__init__(throttle_message(wait))
        self.wait = wait


def throttle_message(wait: int) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return ngettext(
        "Too many failed sign-in attempts. For your security, sign-in is paused; try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. For your security, sign-in is paused; try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def normal_username(username: str | None) -> str:
    # User names are compared case-insensitively so that "Rita" and "rita" share one counter.
    return (username or "").strip().lower()[:150]


def client_ip(request: HttpRequest | None) -> str:
    """The client's address ("" without a request). Behind a trusted proxy (KADENCE_BEHIND_PROXY) the
    last address the proxy appended to X-Forwarded-For; earlier entries are client-supplied and cannot
    be trusted."""
    if request is None:
        return ""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64]


def retry_after(username: str | None, ip: str, *, now: datetime | None = None) -> int | None:
    """Seconds until this user name at this address may try again, or None when it may try now.

    For each counter with at least `limit` failures in the window, the lock lifts when the `limit`-th
    most recent one leaves the window (from then on fewer than `limit` remain). One query per counter,
    each reading at most `limit` rows through an index."""
    now = now or timezone.now()
    name = normal_username(username)
    recent = LoginFailure.objects.filter(at__gte=now - _window()).order_by("-at")
    counters = []
    if name and ip:
        counters.append((recent.filter(username=name, ip=ip), settings.LOGIN_FAILURE_LIMIT))
    if name:
        counters.append((recent.filter(username=name), settings.LOGIN_FAILURE_LIMIT_PER_USERNAME))
    if ip:
        counters.append((recent.filter(ip=ip), settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS))
    unlocks = []
    for rows, limit in counters:
        if limit < 1:  # 0 switches this counter off
            continue
        times = list(rows.values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            unlocks.append(times[-1] + _window())
    if not unlocks:
        return None
    return max(1, math.ceil((max(unlocks) - now).total_seconds()))


def ensure_allowed(username: str | None, ip: str) -> None:
    """Raise LoginThrottled while this user name at this address is locked."""
    wait = retry_after(username, ip)
    if wait is not None:
        raise LoginThrottled(wait)


def record_failure(username: str | None, ip: str) -> None:
    now = timezone.now()
    # Keep the table small: rows older than the window no longer count for anything.
    LoginFailure.objects.filter(at__lt=now - _window()).delete()
    LoginFailure.objects.create(username=normal_username(username), ip=ip, at=now)


def record_success(username: str | None, ip: str) -> None:
    """A right password clears the failures of that user name at that address (the person's own typos),
    not those from elsewhere, which may be someone else's guesses."""
    LoginFailure.objects.filter(username=normal_username(username), ip=ip).delete()


def clear_failures(username: str | None) -> None:
    """Lift every lock on a user name (after its owner proved who they are, e.g. by a password reset)."""
    LoginFailure.objects.filter(username=normal_username(username)).delete()
