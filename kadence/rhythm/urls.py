from django.urls import path

from kadence.rhythm import views
from kadence.rhythm.cadence.views import urlpatterns as cadence
from kadence.rhythm.inbox.views import urlpatterns as inbox
from kadence.rhythm.notify.urls import urlpatterns as notify
from kadence.rhythm.pack.views import urlpatterns as pack
from kadence.rhythm.plans.urls import urlpatterns as plans
from kadence.rhythm.quotas.urls import urlpatterns as quotas

urlpatterns = [
    path("rhythm/", views.hub, name="rhythm_hub"),
    *quotas,
    *plans,
    *cadence,
    *inbox,
    *pack,
    *notify,
]
