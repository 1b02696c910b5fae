"""The authentication backend: Django's ModelBackend behind the sign-in throttle (kadence.core.throttle).

Why a backend and not the `user_login_failed` signal: every credential check calls
django.contrib.auth.authenticate(), which asks the configured backends, so a throttle here covers the
sign-in page, the admin's sign-in, the old password of a password change and any form added later,
and it can refuse *before* the password is checked, which a signal (sent only after a failure) cannot.
It also keeps the rule explicit and in one place instead of hidden in a receiver (house rule 4).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from kadence.core.throttle import client_ip, ensure_allowed, record_failure, record_success


class ThrottledModelBackend(ModelBackend):
    """ModelBackend that refuses a locked user name / address (raising LoginThrottled, which ends
    authenticate() with a failure) and records each wrong password and each success."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        ip = client_ip(request)
        ensure_allowed(username, ip)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(username, ip)
        else:
            record_success(username, ip)
        return user

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # ModelBackend has its own async path; route it through the same throttled one.
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)
