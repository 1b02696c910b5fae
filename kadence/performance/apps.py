from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    """Targets and performance (目标与绩效, issue 14, METHODOLOGY §10.1, §10.2, §10.6, §10.7): the target
    grid (天罗地网) and its negotiation rounds (三上三下), V值 and quota position, KPI scorecards, leaderboards,
    sales-force sizing and commissions. It sits above the rhythm: a scorecard reads the activity quotas and the
    reports; nothing below reads it. The approved grid writes its cells into `planning.Target`, which stays the
    target of record for the reports below."""

    name = "kadence.performance"
    label = "performance"
    verbose_name = _("Targets and performance")

    def ready(self) -> None:
        # the home page's slots (kadence.insights.home_slots) are filled from here
        from kadence.performance import wiring  # noqa: F401
