from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kadence.pipeline.signals import opportunity_team_changed


class ActivitiesConfig(AppConfig):
    name = "kadence.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from kadence.activities.deal_teams import sync_deal_teams

        def follow(sender: Any, *, opportunity_id: int, **_: Any) -> None:
            sync_deal_teams([opportunity_id])

        opportunity_team_changed.connect(follow, dispatch_uid="activities.deal_team", weak=False)
