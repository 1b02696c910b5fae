from django.urls import path

from kadence.rhythm import views
from kadence.rhythm.notify.urls import urlpatterns as notify

urlpatterns = [
    path("rhythm/", views.hub, name="rhythm_hub"),
    *notify,
]
