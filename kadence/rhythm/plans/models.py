"""The weekly work plan (每周工作计划, METHODOLOGY §10.3): a rep's plan for a week (Monday to Sunday), its
items (a visit, call or meeting at an account, with contacts, a deal and a goal), the manager's comments,
and the files a rep attaches to a visit logged from a phone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account, Contact
from kadence.activities.models import Activity
from kadence.core.models import OrgUnit
from kadence.pipeline.models import Opportunity

__all__ = ["PlanComment", "PlanItem", "VisitAttachment", "WeeklyPlan"]


class WeeklyPlan(models.Model):
    """One rep's plan for one week. `team` is the rep's team when the plan was opened: whose manager
    sees and comments on it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE, related_name="weekly_plans"
    )
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", editable=False)
    week_start = models.DateField(_("week starting"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("weekly plan")
        verbose_name_plural = _("weekly plans")
        ordering = ["-week_start", "owner_id"]
        constraints = [models.UniqueConstraint(fields=["owner", "week_start"], name="rhythm_plan_owner_week")]
        indexes = [models.Index(fields=["team", "week_start"], name="rhythm_plan_team_week")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.week_start.isoformat()}"


class PlanItem(models.Model):
    """A planned visit, call or meeting: at an account (required), with some of its contacts, maybe on
    one of its deals, with a goal. `fulfilled_by` is the activity logged as this item's visit (the quick
    visit log pins it); the plan-vs-actual rule also matches items to activities logged elsewhere."""

    plan = models.ForeignKey(WeeklyPlan, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(
        _("kind"), max_length=10, choices=Activity.Kind.choices, default=Activity.Kind.VISIT
    )
    day = models.DateField(_("planned date"))
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    contacts = models.ManyToManyField(Contact, verbose_name=_("contacts"), blank=True, related_name="+")
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    goal = models.CharField(_("goal"), max_length=500, blank=True)
    fulfilled_by = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["plan", "day"], name="rhythm_item_plan_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.day.isoformat()}"


class PlanComment(models.Model):
    """A manager's comment on a plan (append-only: each comment its own row, with author and time)."""

    plan = models.ForeignKey(WeeklyPlan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("plan comment")
        verbose_name_plural = _("plan comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class VisitAttachment(models.Model):
    """A photo or file a rep attached to an activity as evidence of the visit."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="rhythm_attachments")
    file = models.FileField(_("file"), upload_to="rhythm/visits/%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
