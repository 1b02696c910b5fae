from django.urls import include, path

from kadence.rhythm import views

urlpatterns = [
    path("rhythm/", views.hub, name="rhythm_hub"),
    path("", include("kadence.rhythm.quotas.urls")),
]
