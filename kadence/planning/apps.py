from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    """Targets, forecast submissions and adjustments, forecast snapshots, the rolling order
    forecast, calibration results and the forecasting policy (METHODOLOGY §8.3–§9)."""

    name = "kadence.planning"
    label = "planning"
    verbose_name = _("Planning and forecasting")
