from django.urls import path

from kadence.performance import views
from kadence.performance.kpi.urls import urlpatterns as kpi

# each part adds its own urlpatterns here, e.g. `*grid` from kadence.performance.grid.urls
urlpatterns = [
    path("performance/", views.hub, name="performance_hub"),
    *kpi,
]
