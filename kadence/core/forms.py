"""Core forms: sign-in with throttling."""

from __future__ import annotations

import math

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kadence.core.throttle import client_ip, record_failure, retry_after


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing attempts while the username or the client address is locked
    out (kadence.core.throttle) and recording every failed attempt."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password. Both are case-sensitive."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else "unknown"
        wait = retry_after(username, ip)
        if wait is not None:
            minutes = max(1, math.ceil(wait / 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many failed sign-in attempts. For your security, sign-in is paused; try again in %(minutes)d minute.",
                    "Too many failed sign-in attempts. For your security, sign-in is paused; try again in %(minutes)d minutes.",
                    minutes,
                ) % {"minutes": minutes},
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            record_failure(username, ip)
            raise
