from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    """Data in and out (issue 12): exports of every list (CSV and xlsx, streamed), and imports, backups and
    restores as they come."""

    name = "kadence.transfer"
    label = "transfer"
    verbose_name = _("Data in and out")

    def ready(self) -> None:
        # each registers its import in FIELDS and KINDS
        from kadence.transfer import activity_kind, history_kind, org_kind  # noqa: F401
