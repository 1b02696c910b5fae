from django.urls import path

from kadence.rhythm import views
from kadence.rhythm.cadence.views import urlpatterns as cadence

urlpatterns = [
    path("rhythm/", views.hub, name="rhythm_hub"),
    *cadence,
]
