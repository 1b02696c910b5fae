from django.urls import path

from kadence.keyaccounts import views
from kadence.keyaccounts.coverage.urls import urlpatterns as coverage
from kadence.keyaccounts.groups.urls import urlpatterns as groups
from kadence.keyaccounts.importance.urls import urlpatterns as importance
from kadence.keyaccounts.kam.urls import urlpatterns as kam
from kadence.keyaccounts.plans.urls import urlpatterns as plans
from kadence.keyaccounts.platforms.urls import urlpatterns as platforms
from kadence.keyaccounts.value.views import urlpatterns as value

# each part adds its own urlpatterns here
urlpatterns = [
    path("key-accounts/", views.hub, name="keyaccounts_hub"),
    *groups,
    *value,
    *plans,
    *importance,
    *kam,
    *coverage,
    *platforms,
]
