"""Insights pages (the home dashboard, funnel, stalled deals, targets and the ideal funnel, forecasts,
calibration)."""

from kadence.insights.views import calibration, forecast, funnel, home, stalled, targets

urlpatterns = [
    *home.urlpatterns,
    *funnel.urlpatterns,
    *stalled.urlpatterns,
    *targets.urlpatterns,
    *forecast.urlpatterns,
    *calibration.urlpatterns,
]
