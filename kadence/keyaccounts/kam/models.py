"""KAM relationship stages and the customer satisfaction index (seed 003, METHODOLOGY §11.7): the five
stages with their work focus and checklist (data, defaults in both languages), each account's stage and
ticks, the stage changes, the CSI questions (data) and the surveys with their answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.keyaccounts.importance.models import localized


class KamStage(models.Model):
    """孕育 pre-KAM → 初期 early → 中期 mid → 伙伴式 partnership → 协作式 synergistic."""

    code = models.CharField(max_length=20, unique=True)
    order = models.PositiveSmallIntegerField()
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    focus_zh = models.TextField(blank=True)
    focus_en = models.TextField(blank=True)

    class Meta:
        ordering = ("order",)
        verbose_name = _("KAM stage")
        verbose_name_plural = _("KAM stages")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def focus(self) -> str:
        return localized(self, "focus")


class KamChecklistItem(models.Model):
    stage = models.ForeignKey(KamStage, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    text_zh = models.CharField(max_length=300)
    text_en = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("stage__order", "order", "id")
        verbose_name = _("KAM checklist item")
        verbose_name_plural = _("KAM checklist items")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return localized(self, "text")


class AccountKam(models.Model):
    """An account's KAM stage (a change names the `version` read; stale → 409) and its last CSI."""

    account = models.OneToOneField(
        "accounts.Account", primary_key=True, on_delete=models.CASCADE, related_name="kam"
    )
    stage = models.ForeignKey(KamStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_csi = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    last_csi_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.stage_id}"


class KamTick(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(KamChecklistItem, on_delete=models.CASCADE, related_name="+")
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ticked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "item"], name="ka_kam_tick_once")]

    def __str__(self) -> str:
        return f"{self.account_id} ✓ {self.item_id}"


class KamStageChange(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    from_stage = models.ForeignKey(KamStage, null=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(KamStage, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-changed_at", "-id")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_stage_id} → {self.to_stage_id}"


class CsiQuestion(models.Model):
    code = models.CharField(max_length=30, unique=True)
    text_zh = models.CharField(max_length=300)
    text_en = models.CharField(max_length=300)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("order", "id")
        verbose_name = _("CSI question")
        verbose_name_plural = _("CSI questions")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return localized(self, "text")


class CsiSurvey(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    surveyed_on = models.DateField()
    csi = models.DecimalField(max_digits=5, decimal_places=2)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-surveyed_on", "-id")
        indexes = [models.Index(fields=["account", "surveyed_on"], name="ka_csi_account_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.surveyed_on}: {self.csi}"


class CsiAnswer(models.Model):
    survey = models.ForeignKey(CsiSurvey, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(CsiQuestion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    weight = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "question"], name="ka_csi_answer_once")]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.question_id}={self.score}"
