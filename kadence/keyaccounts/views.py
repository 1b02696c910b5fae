"""The key-account hub page: one entry per part."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def hub(request: HttpRequest) -> HttpResponse:
    return render(request, "keyaccounts/hub.html", {"section": "keyaccounts"})
