from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeyAccountsConfig(AppConfig):
    """Key-account management (大客户管理, issue 15, METHODOLOGY §11, seeds 003 / 004): account groups and
    their roll-ups, BP / SOW / SOA and the remaining opportunity, the RAD matrix, ABC classes, the importance
    score and the five types of important customer, KAM relationship stages with the CSI, account plans,
    coverage of the account pool and the screening platforms. It sits at the top, beside the demo: it reads
    accounts, deals, activities and the org; nothing below reads it."""

    name = "kadence.keyaccounts"
    label = "keyaccounts"
    verbose_name = _("Key accounts")

    def ready(self) -> None:
        # the home page's slots (kadence.insights.home_slots) are filled from here
        from kadence.keyaccounts import wiring  # noqa: F401

        # the BP file import, registered in kadence.transfer's kinds
        from kadence.keyaccounts.value import importing  # noqa: F401
