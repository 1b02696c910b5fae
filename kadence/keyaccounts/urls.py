from django.urls import path

from kadence.keyaccounts import views
from kadence.keyaccounts.plans.urls import urlpatterns as plans_urls

# each part adds its own urlpatterns here
urlpatterns = [
    path("key-accounts/", views.hub, name="keyaccounts_hub"),
]
urlpatterns += plans_urls

from kadence.keyaccounts.importance.urls import urlpatterns as importance_urls  # noqa: E402
from kadence.keyaccounts.kam.urls import urlpatterns as kam_urls  # noqa: E402

urlpatterns += importance_urls + kam_urls
