from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RhythmConfig(AppConfig):
    """The weekly management rhythm (管理体系, issue 13, METHODOLOGY §10.3–§10.5): activity quotas, weekly
    plans, the 1-15-30 cadence, notifications, the approval inbox, the weekly 1x1 pack, debriefs and
    ride-alongs. It sits above the reports (insights): a pack reads them, nothing below reads it."""

    name = "kadence.rhythm"
    label = "rhythm"
    verbose_name = _("Management rhythm")

    def ready(self) -> None:
        # the parts meet through their registries (reminders, pack sections, leaderboard columns)
        from kadence.rhythm import wiring  # noqa: F401
