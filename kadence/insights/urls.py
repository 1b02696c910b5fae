"""Insights pages (funnel, stalled deals, targets and the ideal funnel, forecasts, calibration)."""

from kadence.insights.views import calibration, forecast, funnel, stalled, targets

urlpatterns = [
    *funnel.urlpatterns,
    *stalled.urlpatterns,
    *targets.urlpatterns,
    *forecast.urlpatterns,
    *calibration.urlpatterns,
]
