"""Activities with customers: visits, calls, meetings, demos, e-mails (METHODOLOGY §10.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account, Contact
from kadence.core.models import OrgUnit
from kadence.pipeline.models import Opportunity


class Activity(models.Model):
    """A planned or done interaction with a customer. `is_effective` marks an effective visit
    (有效拜访: face to face with the end customer that finds an opp, wins an opp or solves a problem).
    An activity is planned while `done` is false; `next_step_date` schedules the follow-up."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL_OUT = "call_out", _("Outbound call")
        CALL_IN = "call_in", _("Inbound call")
        MEETING = "meeting", _("Meeting")
        DEMO = "demo", _("Demo")
        EMAIL = "email", _("E-mail")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    date = models.DateField(_("date"), default=timezone.localdate)
    done = models.BooleanField(_("done"), default=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="activities"
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("contacts"), blank=True, related_name="activities"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="activities"
    )
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="activities", editable=False)
    is_effective = models.BooleanField(_("effective"), default=False)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["owner", "date"], name="activity_owner_date"),
            models.Index(fields=["opportunity", "date"], name="activity_opp_date"),
            models.Index(fields=["account", "date"], name="activity_account_date"),
            models.Index(fields=["team", "date"], name="activity_team_date"),
            # the list's default order, so that a company-wide first page reads 25 rows, not sorts them all
            models.Index(fields=["-date", "-id"], name="activity_date_id"),
        ]

    def __str__(self) -> str:
        return self.subject
