"""Insights pages (the home dashboard, funnel, stalled deals, the ideal funnel, forecasts, calibration);
the targets pages are planning's."""

from kadence.insights.views import calibration, changes, forecast, funnel, home, ideal, stalled

urlpatterns = [
    *home.urlpatterns,
    *funnel.urlpatterns,
    *changes.urlpatterns,
    *stalled.urlpatterns,
    *ideal.urlpatterns,
    *forecast.urlpatterns,
    *calibration.urlpatterns,
]
