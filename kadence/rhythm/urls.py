from django.urls import path

from kadence.rhythm import views

urlpatterns = [
    path("rhythm/", views.hub, name="rhythm_hub"),
]
