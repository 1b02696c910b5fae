"""Core pages: sign-in and sign-out, password change and reset, the home page per role, the language
switch, the preferences, the health check; and (from kadence.core.error_pages) the one mapping of
domain errors to error pages used by every page view."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from kadence.activities.selectors import activities_due
from kadence.core.amounts import AmountUnit, format_amount
from kadence.core.caching import cache_problem
from kadence.core.error_pages import render_error as render_error  # page views import it from here
from kadence.core.forms import (
    ThrottledAuthenticationForm,
    ThrottledPasswordChangeForm,
    ThrottledPasswordResetForm,
)
from kadence.core.models import User
from kadence.core.preferences import PreferencesForm, user_preferences_update
from kadence.core.prg import redirect_invalid_form, refill
from kadence.core.throttle import clear_failures
from kadence.core.visibility import visible_opportunities
from kadence.deals.selectors.expenses import expense_alerts
from kadence.deals.selectors.tasks import tasks_due
from kadence.pipeline.expressions import WEIGHTED
from kadence.pipeline.models import ForecastCategory, Opportunity, StageChange
from kadence.pipeline.selectors import ZERO, OpportunityFilters, opportunity_totals


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
def preferences(request: HttpRequest) -> HttpResponse:
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


# --- home ------------------------------------------------------------------------------------------


def _month_bounds(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def _unit_label(row: dict, zh: bool) -> str:
    return row["team__name_zh"] if zh else (row["team__name_en"] or row["team__name_zh"])


def _month_totals(qs) -> dict:
    row = qs.aggregate(
        n=Count("id"),
        total=Coalesce(Sum("amount"), ZERO),
        total_weighted=Coalesce(Sum(WEIGHTED), ZERO),
        committed=Count("id", filter=Q(forecast_category=ForecastCategory.COMMIT)),
    )
    return {
        "count": row["n"],
        "amount": row["total"],
        "weighted": row["total_weighted"],
        "committed": row["committed"],
    }


def home_dashboard(user: User, today: date) -> dict:
    """What the home page shows, in a fixed number of queries whatever the data volume.

    Sellers (rep, inside sales): their own open deals, totals and due activities. Managers,
    directors and admins: the same for everything they can see, totals by team from one grouped
    aggregate, this month's closing deals and the latest stage changes in scope. Everyone: the deals
    whose expenses reached the warning or the limit of their budget (their own for a seller, their
    scope for the others) and their own overdue deal tasks."""
    visible = visible_opportunities(user)
    open_visible = visible.filter(status=Opportunity.Status.OPEN)
    is_seller = user.is_seller
    deals_qs = open_visible.filter(owner=user) if is_seller else open_visible
    deals = list(
        deals_qs.select_related("account", "owner", "stage", "level").order_by("expected_close_date", "id")[
            :10
        ]
    )
    totals = opportunity_totals(user, OpportunityFilters(status=Opportunity.Status.OPEN, mine=is_seller))
    context = {
        "is_seller": is_seller,
        "deals": deals,
        "totals": totals,
        "due": activities_due(user, today),
        "expense_alerts": expense_alerts(user, limit=10),
        "overdue_tasks": tasks_due(user, today, limit=10),
        "today": today,
    }
    if is_seller:
        return context
    zh = (get_language() or "").lower().startswith("zh")
    # Aliases must not shadow the `amount` column that WEIGHTED reads.
    by_team = [
        {
            "team_id": row["team_id"],
            "label": _unit_label(row, zh),
            "count": row["n"],
            "amount": row["total"],
            "weighted": row["total_weighted"],
        }
        for row in open_visible.order_by()
        .values("team_id", "team__name_zh", "team__name_en")
        .annotate(
            n=Count("id"), total=Coalesce(Sum("amount"), ZERO), total_weighted=Coalesce(Sum(WEIGHTED), ZERO)
        )
        .order_by("-total", "team_id")
    ]
    start, end = _month_bounds(today)
    month = open_visible.filter(expected_close_date__gte=start, expected_close_date__lte=end)
    context.update(
        {
            "by_team": by_team,
            "month_start": start,
            "month_end": end,
            "month_totals": _month_totals(month),
            "month_deals": list(
                month.select_related("account", "owner", "stage", "level").order_by(
                    "expected_close_date", "-amount", "id"
                )[:20]
            ),
            "recent_changes": list(
                StageChange.objects.filter(opportunity__in=visible)
                .select_related("opportunity", "from_stage", "to_stage", "to_level", "changed_by")
                .order_by("-changed_at", "-id")[:10]
            ),
        }
    )
    return context


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = home_dashboard(request.user, timezone.localdate())
    return render(request, "core/home.html", context)
