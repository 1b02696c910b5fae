"""The home page: what each role looks at first (kadence.insights.selectors.home)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from kadence.core.requests import PageRequest
from kadence.insights.selectors.home import home_dashboard


@login_required
@require_GET
def home(request: PageRequest) -> HttpResponse:
    context = home_dashboard(request.user, timezone.localdate())
    return render(request, "core/home.html", context)


urlpatterns = [path("", home, name="home")]
