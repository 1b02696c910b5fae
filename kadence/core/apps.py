from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from kadence.core.checks import caches_reachable


class CoreConfig(AppConfig):
    name = "kadence.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        checks.register(caches_reachable, checks.Tags.caches, deploy=True)
