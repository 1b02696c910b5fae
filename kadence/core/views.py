"""Core pages: sign-in and sign-out, password change and reset, the language switch, the preferences,
the health check. Domain errors become error pages in kadence.core.error_pages. The home page is a
dashboard across capabilities: kadence.insights.views.home."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from kadence.core.amounts import AmountUnit, format_amount
from kadence.core.caching import cache_problem
from kadence.core.forms import (
    PreferencesForm,
    ThrottledAuthenticationForm,
    ThrottledPasswordChangeForm,
    ThrottledPasswordResetForm,
)
from kadence.core.preferences import user_preferences_update
from kadence.core.prg import redirect_invalid_form, refill
from kadence.core.requests import PageRequest
from kadence.core.throttle import clear_failures


@require_GET
def healthz(request):
    """200 with {"status": "ok"} when the app, the database and the cache answer; 503 otherwise, saying
    which part is down (a load balancer takes the instance out; the cache is shared, so its outage
    is the operator's to see even though pages still answer without it)."""
    body = {"status": "ok", "database": "up", "vendor": connection.vendor, "cache": "up"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # the point is to report any database failure, whatever its type
        body.update(status="error", database="down", detail=exc.__class__.__name__)
    if cache_problem():
        body.update(status="error", cache="down")
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


# --- sign-in, sign-out, language ------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's sign-in. The throttle (kadence.core.throttle) is applied by the authentication backend;
    the form explains a refusal."""

    template_name = "core/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign-out is a POST (Django refuses GET with 405)."""


class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in person changes their own password; the old password goes through the throttle
    (the form calls authenticate() with this request). Also the admin site's (kadence.core.admin_site)."""

    template_name = "core/password_change.html"
    form_class = ThrottledPasswordChangeForm
    success_url = reverse_lazy("password_change_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "core/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """ "E-mail me a link to set a new password". The answer is the same page whether an account has
    that address or not, and requests are throttled (ThrottledPasswordResetForm)."""

    template_name = "core/password_reset.html"
    form_class = ThrottledPasswordResetForm
    email_template_name = "core/password_reset_email.txt"
    subject_template_name = "core/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")
    extra_email_context = {"site_name": "Kadence"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "core/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the e-mail: set a new password. Proving the mailbox lifts the sign-in lock on
    the user name, so that a person locked out by their own typos can sign in again at once."""

    template_name = "core/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        clear_failures(form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "core/password_reset_complete.html"


@require_POST
def set_language_pref(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie + redirect to `next`), and for a signed-in user the choice is
    also kept on their profile so it follows them to other browsers."""
    response = set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: PageRequest) -> HttpResponse:
    """The signed-in user's language and amount unit; a valid POST saves them and redirects back
    (post-redirect-get) in the chosen language; a refused one too (kadence.core.prg), and the page
    shows the choice and its message once."""
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if not form.is_valid():
            return redirect_invalid_form(request, reverse("preferences"), form)
        user_preferences_update(user, **form.cleaned_data)
        language = form.cleaned_data["language"] or get_language()
        translation.activate(language)  # the confirmation reads in the language just chosen
        messages.success(request, _("Preferences saved."))
        response = redirect("preferences")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        return response
    refilled = refill(request, PreferencesForm)
    form = (
        refilled.form
        if refilled
        else PreferencesForm(initial={"language": user.language, "amount_unit": user.amount_unit})
    )
    example = Decimal("123456789")
    return render(
        request,
        "core/preferences.html",
        {
            "form": form,
            "examples": [(unit, label, format_amount(example, unit)) for unit, label in AmountUnit.choices],
        },
        status=refilled.status if refilled else 200,
    )
