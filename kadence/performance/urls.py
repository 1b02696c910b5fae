from django.urls import path

from kadence.performance import views
from kadence.performance.grid.views import urlpatterns as grid

# each part adds its own urlpatterns here, e.g. `*grid` from kadence.performance.grid.urls
urlpatterns = [
    path("performance/", views.hub, name="performance_hub"),
    *grid,
]
