"""Core forms: sign-in, password change and password reset, all behind the one sign-in throttle.

The throttle itself is enforced in the authentication backend (kadence.core.backends); these forms turn
its refusal into a message the person can act on, and send the old password of a password change through
authenticate() so that it is throttled too. And the preferences form (language, amount unit) of
kadence.core.views.preferences.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as AdminOwnPasswordChangeForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kadence.core.amounts import AmountUnit
from kadence.core.throttle import (
    RESET_KEY_PREFIX,
    client_ip,
    record_failure,
    retry_after,
    throttle_message,
)

if TYPE_CHECKING:
    # What the mixins below are mixed into, for the type checker only: at run time they derive from object.
    _AuthenticationFormBase = AuthenticationForm
    _PasswordChangeFormBase = PasswordChangeForm
else:
    _AuthenticationFormBase = _PasswordChangeFormBase = object


class ThrottleMessageMixin(_AuthenticationFormBase):
    """For AuthenticationForm and its subclasses: when the sign-in failed and the user name / address
    is now locked (by this attempt or before it), say so instead of "wrong password"."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            wait = retry_after(self.cleaned_data.get("username"), client_ip(self.request))
            if wait is not None:
                raise forms.ValidationError(throttle_message(wait), code="throttled") from None
            raise


class ThrottledAuthenticationForm(ThrottleMessageMixin, AuthenticationForm):
    """The sign-in page's form."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password. Both are case-sensitive."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ThrottledAdminAuthenticationForm(ThrottleMessageMixin, AdminAuthenticationForm):
    """The admin site's sign-in form (kadence.core.admin_site)."""


class ThrottledOldPasswordMixin(_PasswordChangeFormBase):
    """For PasswordChangeForm and its subclasses: the old password is checked by authenticate(), so a
    stolen session cannot guess it faster than the sign-in page allows. The view passes `request`."""

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        username = self.user.get_username()
        if authenticate(self.request, username=username, password=old_password) is None:
            wait = retry_after(username, client_ip(self.request))
            if wait is not None:
                raise forms.ValidationError(throttle_message(wait), code="throttled")
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class ThrottledPasswordChangeForm(ThrottledOldPasswordMixin, PasswordChangeForm):
    """A signed-in person changes their own password (the /password/change/ page)."""


class ThrottledAdminPasswordChangeForm(ThrottledOldPasswordMixin, AdminOwnPasswordChangeForm):
    """The admin site's "change my password" form."""


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's "e-mail me a reset link" form. Every request counts as an attempt under the key
    `reset:<e-mail>` at the client's address, whether an account has that address or not (so neither
    the answer nor the lock tells whether it exists); a locked key or address is refused with a message.
    The view passes `request`."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})

    def clean_email(self):
        email = self.cleaned_data["email"]
        key = RESET_KEY_PREFIX + email
        ip = client_ip(self.request)
        wait = retry_after(key, ip)
        if wait is not None:
            minutes = max(1, math.ceil(wait / 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many password reset requests. For your security, they are paused; try again in %(minutes)d minute.",
                    "Too many password reset requests. For your security, they are paused; try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        record_failure(key, ip)
        return email


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("Follow the browser")), *settings.LANGUAGES]
    )
    amount_unit = forms.ChoiceField(
        label=_("Show amounts in"), choices=AmountUnit.choices, widget=forms.RadioSelect
    )
