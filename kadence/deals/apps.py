from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    """Deal control (进程管控): evidence and stage gates, C139 and bid/no-bid assessments, buying
    centre, customer milestones, stage tasks and roles, expenses, and the single-deal diagnosis."""

    name = "kadence.deals"
    label = "deals"
    verbose_name = _("Deal control")
