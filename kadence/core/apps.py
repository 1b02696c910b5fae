from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core import checks
from django.utils.translation import gettext_lazy as _

from kadence.core.checks import caches_reachable


class CoreConfig(AppConfig):
    name = "kadence.core"
    label = "core"
    verbose_name = _("Core")
    default = True

    def ready(self) -> None:
        checks.register(caches_reachable, checks.Tags.caches, deploy=True)


class KadenceAdminConfig(admin_apps.AdminConfig):
    """Django's admin with Kadence's site (kadence.core.admin_site): its sign-in and password change go
    through the sign-in throttle. Listed in INSTALLED_APPS in place of "django.contrib.admin"."""

    default = False
    default_site = "kadence.core.admin_site.KadenceAdminSite"
