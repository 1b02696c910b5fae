from django.urls import path

from kadence.performance import views
from kadence.performance.commission import urls as commission
from kadence.performance.dashboard import urls as dashboard
from kadence.performance.grid.views import urlpatterns as grid
from kadence.performance.kpi.urls import urlpatterns as kpi
from kadence.performance.negotiation.views import urlpatterns as negotiation
from kadence.performance.position import urls as position
from kadence.performance.sizing import urls as sizing

# each part adds its own urlpatterns here
urlpatterns = [
    path("performance/", views.hub, name="performance_hub"),
    *kpi,
    *position.urlpatterns,
    *sizing.urlpatterns,
    *grid,
    *negotiation,
    *commission.urlpatterns,
    *dashboard.urlpatterns,
]
