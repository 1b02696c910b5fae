"""What a manager has dealt with in the approval inbox without changing the record itself: a forecast
accepted as submitted, an override looked at, a gate approval refused. One row per (kind, ref, who);
the item then leaves that person's inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL

__all__ = ["InboxReview"]


class InboxReview(models.Model):
    class Kind(models.TextChoices):
        GATE = "gate", _("Gate approval")
        OVERRIDE = "override", _("Override")
        FORECAST = "forecast", _("Forecast submission")

    class Decision(models.TextChoices):
        REVIEWED = "reviewed", _("Reviewed")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    ref = models.CharField(_("item"), max_length=40)  # "<id>" or "<opp id>:<criterion id>" for a gate
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inbox review")
        verbose_name_plural = _("inbox reviews")
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref", "reviewed_by"], name="inbox_review_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref} {self.decision}"
