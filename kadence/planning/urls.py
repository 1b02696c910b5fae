"""Planning pages (targets)."""

from kadence.planning.views import targets

urlpatterns = [
    *targets.urlpatterns,
]
