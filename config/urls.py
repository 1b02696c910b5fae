"""URL map: pages per app, the JSON API at /api/, the admin, health check."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config.api import api
from kadence.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("kadence.core.urls")),
    path("", include("kadence.pipeline.urls")),
    path("", include("kadence.accounts.urls")),
    path("", include("kadence.activities.urls")),
    path("", include("kadence.deals.urls")),
    path("", include("kadence.planning.urls")),
    path("", include("kadence.insights.urls")),
    path("", include("kadence.transfer.urls")),
    path("", include("kadence.rhythm.urls")),
    path("", include("kadence.performance.urls")),
    path("", include("kadence.keyaccounts.urls")),
]
