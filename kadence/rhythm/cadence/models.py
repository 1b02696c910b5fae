"""The 1-15-30 cadence (1-15-30法则, METHODOLOGY §10.4, seed 001) and the records of debrief talks and
ride-alongs (述职谈话, 随访观察, §10.5, seed 000)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account
from kadence.core.models import OrgUnit
from kadence.domain import cadence
from kadence.pipeline.models import LossReason, Opportunity

USER = settings.AUTH_USER_MODEL


class CadencePolicy(models.Model):
    """The cadence's intervals, one row (pk 1) seeded by a migration and edited by an admin:
    `follow_up_days` after a review the follow-up is due (15), `judgement_days` after it the intent
    judgement (30); `due_soon_days` how far ahead the lists' "due" filter looks (7, today included);
    `next_step_max_days` how far ahead a "continue" judgement's next step may be dated (30). A missing
    row reads as these defaults."""

    follow_up_days = models.PositiveSmallIntegerField(_("follow-up after (days)"), default=15)
    judgement_days = models.PositiveSmallIntegerField(_("intent judgement after (days)"), default=30)
    due_soon_days = models.PositiveSmallIntegerField(_("due soon within (days)"), default=7)
    next_step_max_days = models.PositiveSmallIntegerField(_("next step at most (days ahead)"), default=30)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("1-15-30 cadence policy")
        verbose_name_plural = _("1-15-30 cadence policy")

    def __str__(self) -> str:
        return f"1-{self.follow_up_days}-{self.judgement_days}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        problems = cadence.interval_errors(self.follow_up_days, self.judgement_days)
        if problems:
            raise ValidationError(
                {
                    name: _("Between 1 and 365 days; the judgement comes after the follow-up.")
                    for name in problems
                }
            )

    @classmethod
    def current(cls) -> CadencePolicy:
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class Review(models.Model):
    """A review of one deal or one customer (account): what was done, the progress, the problems,
    recorded by its `reviewer` (the rep's manager, or the rep) on `reviewed_on`. `rep` is the
    subject's owner and `team` the subject's team when reviewed (the lists and visibility read them).
    It schedules a follow-up and an intent judgement (CadenceItem); a later review of the same
    subject supersedes the open ones (`superseded_by` on the items)."""

    class Subject(models.TextChoices):
        DEAL = "deal", _("Deal")
        ACCOUNT = "account", _("Customer")

    subject = models.CharField(_("subject"), max_length=10, choices=Subject.choices)
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cadence_reviews",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cadence_reviews",
    )
    reviewer = models.ForeignKey(USER, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+")
    rep = models.ForeignKey(USER, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(OrgUnit, verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    reviewed_on = models.DateField(_("reviewed on"))
    work_done = models.TextField(_("what was done"), blank=True)
    progress = models.TextField(_("progress"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-reviewed_on", "-id"]
        indexes = [
            models.Index(fields=["opportunity", "reviewed_on"], name="cadence_review_opp"),
            models.Index(fields=["account", "reviewed_on"], name="cadence_review_account"),
            models.Index(fields=["team", "reviewed_on"], name="cadence_review_team"),
            models.Index(fields=["rep", "reviewed_on"], name="cadence_review_rep"),
        ]
        constraints = [
            models.CheckConstraint(
                name="cadence_review_one_subject",
                condition=(
                    models.Q(subject="deal", opportunity__isnull=False, account__isnull=True)
                    | models.Q(subject="account", opportunity__isnull=True, account__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.opportunity_id or self.account_id} {self.reviewed_on}"


class CadenceItem(models.Model):
    """One thing a review scheduled: the follow-up (due `follow_up_days` after it) or the intent
    judgement (due `judgement_days` after it). Open until recorded (`done_at`, `done_on` — the local
    date it was done —, `done_by`, `outcome`, `note`) or superseded by a later review of the subject
    (status "superseded", kept). A judgement's outcome is continue (with `next_step` on
    `next_step_on`), downgrade, or stop (with `loss_reason` for a deal closed lost). `rep` and `team`
    are the review's, copied so that the lists read one table through their indexes."""

    class Kind(models.TextChoices):
        FOLLOW_UP = cadence.FOLLOW_UP, _("15-day follow-up")
        JUDGEMENT = cadence.JUDGEMENT, _("30-day intent judgement")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        SUPERSEDED = "superseded", _("Superseded")

    class Outcome(models.TextChoices):
        NONE = "", _("No outcome yet")
        FOLLOWED_UP = "followed_up", _("Followed up")
        CONTINUE = "continue", _("Continue")
        DOWNGRADE = "downgrade", _("Downgrade")
        STOP = "stop", _("Stop investing")

    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    rep = models.ForeignKey(USER, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(OrgUnit, verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        USER, verbose_name=_("done by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_by = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_items"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default="", blank=True)
    note = models.TextField(_("note"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    loss_reason = models.ForeignKey(
        LossReason, verbose_name=_("loss reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("1-15-30 item")
        verbose_name_plural = _("1-15-30 items")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["rep", "status", "due_on"], name="cadence_item_rep"),
            models.Index(fields=["team", "status", "due_on"], name="cadence_item_team"),
            models.Index(fields=["status", "due_on"], name="cadence_item_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.due_on}"


class Debrief(models.Model):
    """A debrief talk (述职谈话) or a ride-along observation (随访观察) by a manager with a rep, on
    `held_on`, optionally about an account or a deal. The prompts of seed 000: the customer's real
    situation, the rep's real ability, the market conditions, the coaching given; then findings and
    agreed actions. `team` is the rep's unit when recorded (visibility: the rep, their managers and
    above). `manager` is who recorded it; the monthly report counts per manager."""

    class Kind(models.TextChoices):
        DEBRIEF = "debrief", _("Debrief talk (述职谈话)")
        RIDE_ALONG = "ride_along", _("Ride-along (随访观察)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    held_on = models.DateField(_("date"))
    rep = models.ForeignKey(USER, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(OrgUnit, verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(USER, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer_situation = models.TextField(_("customer's real situation"), blank=True)
    rep_ability = models.TextField(_("rep's real ability"), blank=True)
    market_conditions = models.TextField(_("market conditions"), blank=True)
    coaching = models.TextField(_("coaching given"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    actions = models.TextField(_("actions"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("debrief or ride-along")
        verbose_name_plural = _("debriefs and ride-alongs")
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["rep", "held_on"], name="debrief_rep"),
            models.Index(fields=["team", "held_on"], name="debrief_team"),
            models.Index(fields=["manager", "held_on"], name="debrief_manager"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.held_on}"


__all__ = ["CadenceItem", "CadencePolicy", "Debrief", "Review"]
