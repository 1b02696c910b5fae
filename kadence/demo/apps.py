from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo company and the benchmark seed (management commands only, no models)."""

    name = "kadence.demo"
    label = "demo"
    verbose_name = _("Demo")
