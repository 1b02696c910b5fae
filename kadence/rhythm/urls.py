from django.urls import path

from kadence.rhythm import views
from kadence.rhythm.inbox.views import urlpatterns as inbox_urls
from kadence.rhythm.pack.views import urlpatterns as pack_urls

urlpatterns = [
    path("rhythm/", views.hub, name="rhythm_hub"),
    *inbox_urls,
    *pack_urls,
]
