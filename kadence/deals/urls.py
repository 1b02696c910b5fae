"""Deal-control pages under /opportunities/<id>/…, the opportunity page (its overview) first: each
capability's module brings its own URLs."""

from kadence.deals.views import (
    assessments,
    buying_centre,
    diagnosis,
    expenses,
    gates,
    milestones,
    overview,
    tasks,
)

urlpatterns = [
    *overview.urlpatterns,
    *gates.urlpatterns,
    *assessments.urlpatterns,
    *buying_centre.urlpatterns,
    *milestones.urlpatterns,
    *tasks.urlpatterns,
    *expenses.urlpatterns,
    *diagnosis.urlpatterns,
]
