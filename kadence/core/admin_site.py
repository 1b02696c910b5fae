"""The admin site: Django's, with the sign-in and "change my password" forms behind the sign-in throttle
(kadence.core.throttle). The throttle is enforced by the authentication backend in any case; these
forms add the message that says so, and send the old password through authenticate()."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from kadence.core.forms import ThrottledAdminAuthenticationForm, ThrottledAdminPasswordChangeForm
from kadence.core.views import PasswordChangeView


class KadenceAdminSite(admin.AdminSite):
    login_form = ThrottledAdminAuthenticationForm

    def password_change(self, request, extra_context=None):
        """Django's AdminSite.password_change with the throttled form (Django offers no attribute)."""
        defaults = {
            "form_class": ThrottledAdminPasswordChangeForm,
            "success_url": reverse("admin:password_change_done", current_app=self.name),
            "extra_context": {**self.each_context(request), **(extra_context or {})},
            "template_name": self.password_change_template or "registration/password_change_form.html",
        }
        request.current_app = self.name
        return PasswordChangeView.as_view(**defaults)(request)
