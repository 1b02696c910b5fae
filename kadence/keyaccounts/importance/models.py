"""Importance (seed 003, METHODOLOGY §11.5–11.6): the nine criteria and their weights and bands
(configuration), the type rules (configuration), the owner's entered scores (history), the computed
scores per account and day (history) and each account's current score and type (with the manual
override and its reason)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kadence.domain.kam import importance as di


def localized(obj: object, field: str) -> str:
    """`<field>_zh` in Chinese, `<field>_en` otherwise."""
    lang = (get_language() or "en").lower()
    return getattr(obj, f"{field}_zh" if lang.startswith("zh") else f"{field}_en")


class CustomerType(models.TextChoices):
    PROFIT = di.PROFIT_CONTRIBUTOR, _("Profit contributor")
    BRAND_PROBLEM = di.BRAND_PROBLEM, _("Brand-maintaining problem customer")
    LOYAL = di.LOYAL, _("Loyal long-time customer")
    SMALL_GROWTH = di.SMALL_GROWTH, _("Small customer with growth potential")
    NEW = di.NEW, _("New customer")


class ImportanceCriterion(models.Model):
    """One of the nine criteria: its weight (the nine add to 100) and, for a computed one, the four
    thresholds of its scores 2–5 (decimal strings)."""

    class Source(models.TextChoices):
        COMPUTED = "computed", _("Computed from Kadence's data")
        ENTERED = "entered", _("Entered by the owner")

    code = models.CharField(max_length=30, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    weight = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices)
    bands = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("order", "id")
        verbose_name = _("importance criterion")
        verbose_name_plural = _("importance criteria")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class ImportanceConfig(models.Model):
    """The one row of the importance configuration: the thresholds of the type rules (defaults in
    kadence.domain.kam.importance.TypeRules) and the version every configuration change names."""

    profit_min_profit = models.PositiveSmallIntegerField(default=4)
    profit_min_sales = models.PositiveSmallIntegerField(default=3)
    brand_min_influence = models.PositiveSmallIntegerField(default=4)
    brand_max_profit = models.PositiveSmallIntegerField(default=2)
    loyal_min_years = models.DecimalField(max_digits=4, decimal_places=1, default=5)
    loyal_min_continuity = models.PositiveSmallIntegerField(default=3)
    small_max_sales = models.PositiveSmallIntegerField(default=2)
    small_min_growth = models.PositiveSmallIntegerField(default=4)
    new_max_months = models.PositiveSmallIntegerField(default=12)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("importance configuration")

    def __str__(self) -> str:
        return f"importance configuration v{self.version}"


class ImportanceEntry(models.Model):
    """A score the owner entered for a criterion Kadence cannot compute (the latest one counts)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    criterion = models.CharField(max_length=30)
    score = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=500, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "criterion", "-entered_at"], name="ka_imp_entry_latest")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.criterion}={self.score}"


class ImportanceScore(models.Model):
    """An account's score on a day, with how each criterion was scored (`detail`: {code: {value, score,
    weight, source}}) and the type the rules gave. Recomputing the same day replaces that day's row."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    scored_on = models.DateField()
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    complete = models.BooleanField(default=False)
    detail = models.JSONField(default=dict)
    customer_type = models.CharField(max_length=20, choices=CustomerType.choices, blank=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "scored_on"], name="ka_imp_score_day")]
        ordering = ("-scored_on",)

    def __str__(self) -> str:
        return f"{self.account_id} {self.scored_on}: {self.score}"


class AccountImportance(models.Model):
    """An account's current score and type: the type the rules gave, and a manual override with its
    reason (a change names the `version` read; stale → 409)."""

    account = models.OneToOneField(
        "accounts.Account", primary_key=True, on_delete=models.CASCADE, related_name="importance"
    )
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    scored_on = models.DateField(null=True)
    auto_type = models.CharField(max_length=20, choices=CustomerType.choices, blank=True)
    type_override = models.CharField(max_length=20, choices=CustomerType.choices, blank=True)
    override_reason = models.CharField(max_length=500, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["-score"], name="ka_imp_rank")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score} {self.customer_type}"

    @property
    def customer_type(self) -> str:
        return self.type_override or self.auto_type

    @property
    def customer_type_label(self) -> str:
        code = self.customer_type
        return str(CustomerType(code).label) if code else ""
