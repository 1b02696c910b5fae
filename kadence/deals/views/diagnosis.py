"""The single-deal diagnosis page (METHODOLOGY §7): seven parts and the dated action list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from kadence.core.requests import PageRequest
from kadence.deals.selectors.diagnosis import deal_diagnosis_of
from kadence.deals.views.common import render_deal


@login_required
@require_GET
def deal_diagnosis_page(request: PageRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    return render_deal(
        request,
        pk,
        "diagnosis",
        "deals/diagnosis.html",
        lambda opp, perms: {"d": deal_diagnosis_of(request.user, opp, today)},
    )


urlpatterns = [
    path("opportunities/<int:pk>/diagnosis/", deal_diagnosis_page, name="deal_diagnosis"),
]
