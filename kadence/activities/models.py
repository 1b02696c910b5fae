"""Activities with customers: visits, calls, meetings, demos, e-mails (METHODOLOGY §10.3)."""

from __future__ import annotations

from typing import Any

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
    # The team of its opportunity (none without one), kept equal to it (save() here, sync_deal_teams
    # when a deal changes team): the visibility rule "on a deal of my units" is then a column of this
    # row that an index answers, where it was a join to every deal of a region.
    deal_team = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Result(models.TextChoices):
        """What a contact with the customer achieved, as the rep says (the effective-visit rule reads it)."""

        NONE = "", _("Nothing of the three")
        FOUND = "found", _("Found an opportunity")
        ADVANCED = "advanced", _("Advanced an opportunity")
        SOLVED = "solved", _("Solved a customer's problem")

    # db_default: the bulk writers (demo, imports, restore) that COPY without the column get the empty result
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default="", db_default="", blank=True
    )
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
            # (carrying both teams, so that a manager's page tests "in my units" on the index entry)
            models.Index(fields=["-date", "-id"], name="activity_date_id", include=["team", "deal_team"]),
            # the accounts worked in a window (key-account coverage: neglected accounts; the platforms'
            # "actively sold to"): an index-only read of the window's done activities, whatever the table holds
            models.Index(
                fields=["date", "account"], name="activity_done_date_account", condition=models.Q(done=True)
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keeps `deal_team` equal to the opportunity's team (read from the opportunity already loaded
        with the activity when there is one)."""
        loaded = self._state.fields_cache.get("opportunity")
        if self.opportunity_id is None:
            self.deal_team_id = None
        elif loaded is not None and loaded.pk == self.opportunity_id:
            self.deal_team_id = loaded.team_id
        else:
            self.deal_team_id = (
                Opportunity.objects.filter(pk=self.opportunity_id).values_list("team_id", flat=True).first()
            )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "deal_team"}
        super().save(*args, **kwargs)


def face_to_face_kinds() -> list[str]:
    """The shipped face-to-face kinds of the effective-visit rule."""
    return [str(Activity.Kind.VISIT), str(Activity.Kind.MEETING), str(Activity.Kind.DEMO)]


def counted_results() -> list[str]:
    """The shipped counted results of the effective-visit rule (all three)."""
    return [str(Activity.Result.FOUND), str(Activity.Result.ADVANCED), str(Activity.Result.SOLVED)]


class EffectiveVisitRule(models.Model):
    """The effective-visit rule as data (有效拜访, METHODOLOGY §10.3; the rule itself is
    kadence.domain.quotas.is_effective): a done activity of one of `kinds` (face to face with the end
    customer) whose `result` is one of `results` is an effective visit; an outbound call with one of
    `results` is an effective call. One row (the activities services read the first); seeded with
    visit / meeting / demo and the three results. A change applies to activities logged or changed
    afterwards: the flags already stored stay as they were judged."""

    kinds = models.JSONField(_("face-to-face kinds"), default=face_to_face_kinds)
    results = models.JSONField(_("counted results"), default=counted_results)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("effective-visit rule")
        verbose_name_plural = _("effective-visit rule")

    def __str__(self) -> str:
        return str(_("Effective-visit rule"))
