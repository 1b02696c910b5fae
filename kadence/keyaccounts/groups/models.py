"""Account groups: the record a merge leaves of the account it removed (issue 15 §1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MergedAccount(models.Model):
    """An account merged into another (its duplicate): its old id, name and credit code, the survivor
    every related record moved to, who merged and when, what moved (`moved`: {model label: rows}) and
    what was kept aside (`kept`: the account's own fields and any row that could not move because the
    survivor already had its twin). The audit entries of the old id stay readable through it."""

    old_id = models.PositiveBigIntegerField(_("old account id"), db_index=True)
    old_name = models.CharField(_("old name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, default="")
    survivor = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        related_name="merged_accounts",
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    moved = models.JSONField(default=dict, blank=True)
    kept = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("merged account")
        verbose_name_plural = _("merged accounts")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.old_name} (#{self.old_id}) → #{self.survivor_id}"
