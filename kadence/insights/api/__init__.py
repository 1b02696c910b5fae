"""Funnel control and forecasting over the API: one router per capability, mounted under /api/."""

from kadence.insights.api.calibration import router as calibration
from kadence.insights.api.forecast import router as forecast
from kadence.insights.api.funnel import router as funnel
from kadence.insights.api.stalled import router as stalled
from kadence.insights.api.targets import router as targets

routers = [funnel, stalled, targets, forecast, calibration]
