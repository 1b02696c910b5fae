from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    """Deal control (进程管控): evidence and stage gates, C139 and bid/no-bid assessments, buying
    centre, customer milestones, stage tasks and roles, expenses, and the single-deal diagnosis."""

    name = "kadence.deals"
    label = "deals"
    verbose_name = _("Deal control")

    def ready(self) -> None:
        # The pipeline services call the stage gates through hooks (kadence.pipeline.gates); deal
        # control implements them. Imported here, as Django's app loading requires: models are ready.
        from kadence.deals import stage_gates

        stage_gates.register()
