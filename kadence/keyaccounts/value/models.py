"""Buying power per account and year (with its append-only history), the value policy (RAD / ABC thresholds,
margins, the coverage window, the focus rule) and the stored results: a RAD cell and ABC classes per account
and year."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account, Industry
from kadence.core.models import OrgUnit

PCT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class KamValuePolicy(models.Model):
    """The thresholds and settings of the value part, one row (pk 1) an admin edits; defaults are the seeds'."""

    sow_high_pct = models.DecimalField(
        _("SOW above which an account is R (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(50),
        validators=PCT,
    )
    sow_low_pct = models.DecimalField(
        _("SOW below which an account is A (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(10),
        validators=PCT,
    )
    bp_high = models.DecimalField(
        _("BP above which an account is 1"), max_digits=16, decimal_places=2, default=Decimal(1_000_000)
    )
    bp_low = models.DecimalField(
        _("BP below which an account is 3"), max_digits=16, decimal_places=2, default=Decimal(500_000)
    )
    abc_a_pct = models.DecimalField(
        _("cumulative share closing class A (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(80),
        validators=PCT,
    )
    abc_b_pct = models.DecimalField(
        _("cumulative share closing class B (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(95),
        validators=PCT,
    )
    default_margin_pct = models.DecimalField(
        _("default gross margin (%)"), max_digits=6, decimal_places=2, default=Decimal(30), validators=PCT
    )
    focus_low = models.PositiveIntegerField(_("focus accounts per AE, at least"), default=10)
    focus_high = models.PositiveIntegerField(_("focus accounts per AE, at most"), default=15)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("key-account value policy")
        verbose_name_plural = _("key-account value policies")

    def __str__(self) -> str:
        return f"RAD {self.sow_high_pct}/{self.sow_low_pct} % · ABC {self.abc_a_pct}/{self.abc_b_pct} %"


class KamMarginRate(models.Model):
    """The gross margin of an industry's accounts (Kadence has no cost data: profit = revenue × margin %)."""

    industry = models.OneToOneField(Industry, on_delete=models.CASCADE, related_name="+")
    margin_pct = models.DecimalField(_("gross margin (%)"), max_digits=6, decimal_places=2, validators=PCT)

    class Meta:
        verbose_name = _("gross margin of an industry")
        verbose_name_plural = _("gross margins of industries")

    def __str__(self) -> str:
        return f"{self.industry_id}: {self.margin_pct} %"


class BuyingPower(models.Model):
    """An account's buying power (BP) for one year; a year without one falls back on Account.buying_power."""

    class Source(models.TextChoices):
        ENTERED = "entered", _("Entered")
        IMPORTED = "imported", _("Imported")
        ESTIMATED = "estimated", _("Estimated")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="buying_powers")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("buying power"), max_digits=16, decimal_places=2)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ENTERED)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("buying power")
        verbose_name_plural = _("buying powers")
        constraints = [models.UniqueConstraint(fields=["account", "year"], name="kam_bp_account_year")]
        indexes = [models.Index(fields=["year", "account"], name="kam_bp_year_account", include=["amount"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.year}: {self.amount}"


class BuyingPowerHistory(models.Model):
    """Append-only: every value a year's BP had (old → new, who, when, why). Never updated or deleted."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    old_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    new_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    source = models.CharField(max_length=10, default="entered")
    note = models.CharField(max_length=500, blank=True, default="")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "year", "-at"], name="kam_bph_account_year")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.year}: {self.old_amount} → {self.new_amount}"


class RadCell(models.Model):
    """An account's RAD cell in a year (computed; recomputed by kadence.keyaccounts.value.services.rad_compute).
    owner and team are the account's when computed: the scope of a read is one table. No database foreign keys
    (a recompute writes 50,000 rows at once and deletes follow the account through Django's cascade)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    year = models.PositiveSmallIntegerField()
    cell = models.CharField(max_length=2)
    previous_cell = models.CharField(max_length=2, blank=True, default="")  # the year before's ("" none)
    sow = models.DecimalField(max_digits=16, decimal_places=6)
    bp = models.DecimalField(max_digits=16, decimal_places=2)
    revenue = models.DecimalField(max_digits=18, decimal_places=2)
    remaining = models.DecimalField(max_digits=18, decimal_places=2)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "account"], name="kam_rad_year_account")]
        indexes = [
            models.Index(fields=["year", "cell", "bp"], name="kam_rad_year_cell"),
            models.Index(
                fields=["year", "team"],
                name="kam_rad_year_team",
                include=["cell", "owner", "bp", "revenue", "remaining"],
            ),
            models.Index(fields=["year", "owner"], name="kam_rad_year_owner", include=["cell"]),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.year}: {self.cell}"


class AbcClass(models.Model):
    """An account's ABC class in a year by one basis (revenue, profit or volume), company-wide (computed by
    kadence.keyaccounts.value.services.abc_compute). A narrower scope reclassifies from `value` when read."""

    class Basis(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        PROFIT = "profit", _("Profit")
        VOLUME = "volume", _("Volume (won deals)")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    year = models.PositiveSmallIntegerField()
    basis = models.CharField(max_length=8, choices=Basis.choices)
    value = models.DecimalField(max_digits=18, decimal_places=2)
    rank = models.PositiveIntegerField()
    cum_share = models.DecimalField(max_digits=9, decimal_places=6)
    klass = models.CharField(max_length=1)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "basis", "account"], name="kam_abc_year_basis_account")
        ]
        indexes = [
            models.Index(fields=["year", "basis", "rank"], name="kam_abc_rank", include=["value", "klass"]),
            models.Index(
                fields=["year", "basis", "team"], name="kam_abc_team", include=["value", "owner", "klass"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.year} {self.basis}: {self.klass}"
