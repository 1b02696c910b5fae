"""Account plans (客户计划书, issue 15 §8, METHODOLOGY §11.8): seed 000's five steps for a target
account — consolidate the data (generated from Kadence when the plan is opened, snapshotted when it is
activated), quantified evaluation, plan (objectives, strategies, actions, resources, expected revenue per
quarter), execution (actions tracked, linked to activities and deals) and review (plan vs actual each
quarter, a note per quarter)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class PlanPolicy(models.Model):
    """The account plans' configuration (one row, pk 1; defaults when absent): how many days ahead an
    open action counts as due soon (the home page lists it), and how far back the consolidated data
    reaches for recent activities."""

    due_soon_days = models.PositiveSmallIntegerField(_("due soon within (days)"), default=14)
    recent_activity_days = models.PositiveSmallIntegerField(_("recent activities (days)"), default=90)
    home_limit = models.PositiveSmallIntegerField(_("actions on the home page"), default=8)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("account plan settings")
        verbose_name_plural = _("account plan settings")

    def __str__(self) -> str:
        return str(_("account plan settings"))

    @classmethod
    def current(cls) -> PlanPolicy:
        """The configured row, or the defaults (unsaved) when there is none: one query, no write."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class AccountPlan(models.Model):
    """A 客户计划书 for an account and a period [period_start, period_end] (a year or custom dates)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="kam_plans"
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # step 2: quantified evaluation (SWOT beside the numbers of step 1)
    strengths = models.TextField(_("our strengths"), blank=True)
    weaknesses = models.TextField(_("our weaknesses"), blank=True)
    opportunities = models.TextField(_("opportunities"), blank=True)
    threats = models.TextField(_("threats"), blank=True)
    evaluation = models.TextField(_("evaluation"), blank=True)
    # step 3: the plan
    objectives = models.TextField(_("objectives"), blank=True)
    target_revenue = models.DecimalField(
        _("target revenue"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    strategies = models.TextField(_("strategies"), blank=True)
    resources = models.TextField(_("resources"), blank=True)
    # step 1 as it was when the plan was activated (kadence.keyaccounts.plans.selectors.account_facts)
    snapshot = models.JSONField(_("data at activation"), null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        USER, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["-period_start", "-id"]
        indexes = [models.Index(fields=["account", "-period_start"], name="kam_plan_account_period")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="kam_plan_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PlanQuarter(models.Model):
    """A quarter of a plan (clipped to its period): the revenue expected in it (step 3) and the review
    note written when it is reviewed (step 5)."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="quarters")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveSmallIntegerField()
    start = models.DateField()
    end = models.DateField()
    expected_revenue = models.DecimalField(_("expected revenue"), max_digits=16, decimal_places=2, default=0)
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("plan quarter")
        verbose_name_plural = _("plan quarters")
        ordering = ["plan_id", "start"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "number"], name="kam_plan_quarter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year} Q{self.number}"

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"


class PlanAction(models.Model):
    """An action of a plan (step 3 planned, step 4 tracked): its owner (a user who may see the account),
    due date, status, and optionally the account's deal it serves and the activities logged for it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activities = models.ManyToManyField(
        "activities.Activity", verbose_name=_("activities"), blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="kam_action_owner_due")]

    def __str__(self) -> str:
        return self.title
