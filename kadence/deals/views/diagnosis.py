"""Deal-control pages: diagnosis (work in progress)."""

from django.contrib.auth.decorators import login_required
from django.urls import path

from kadence.deals.views.common import render_deal


@login_required
def placeholder(request, pk):
    return render_deal(request, pk, request.resolver_match.url_name.removeprefix('deal_'), 'deals/base_deal.html', lambda o, p: {})


urlpatterns = [
    path("opportunities/<int:pk>/diagnosis/", placeholder, name="deal_diagnosis"),
]
