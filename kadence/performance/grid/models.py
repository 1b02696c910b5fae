"""The target grid (天罗地网, issue 14 §1, METHODOLOGY §10.1): a year's targets for every unit and seller
under a root unit, month by month, for one measure and one tier. The pure rules (spreading, the remainder
rule, the gaps) are kadence.domain.grid's; the writes are kadence.performance.grid.services'. The approved
revenue grid of the base tier writes its figures into `planning.Target`, the target of record."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account
from kadence.core.models import OrgUnit
from kadence.pipeline.models import ProductLine

USER = settings.AUTH_USER_MODEL
MONTH_FIELDS = tuple(f"m{m}" for m in range(1, 13))

__all__ = ["GridRow", "TargetGrid"]


class TargetGrid(models.Model):
    """One grid: `root` (the company, or a region or team) and everything below it, for `year`."""

    class Measure(models.TextChoices):
        """Target types (seed 002): closing (revenue, orders), activity, growth %, deal size, team."""

        REVENUE = "revenue", _("Closing: revenue")
        ORDERS = "orders", _("Closing: orders")
        ACTIVITY = "activity", _("Activity")
        GROWTH = "growth", _("Growth %")
        DEAL_SIZE = "deal_size", _("Deal size")
        TEAM = "team", _("Team")

    class Tier(models.TextChoices):
        BASE = "base", _("Base (目标)")
        STRETCH = "stretch", _("Stretch (冲刺)")
        CHALLENGE = "challenge", _("Challenge (挑战)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")

    class Split(models.TextChoices):
        """The optional third axis: each seller's figure broken down further."""

        NONE = "", _("No further split")
        PRODUCT_LINE = "product_line", _("By product line")
        ACCOUNT = "account", _("By account")

    RATES = frozenset({Measure.GROWTH, Measure.DEAL_SIZE})
    """Measures that do not add up (a period shows the mean of its months; spreading copies down)."""

    root = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    measure = models.CharField(_("target type"), max_length=10, choices=Measure.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.BASE)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    split = models.CharField(_("split"), max_length=20, choices=Split.choices, default=Split.NONE, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("target grid")
        verbose_name_plural = _("target grids")
        ordering = ["-year", "root__path", "measure", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["root", "year", "measure", "tier"], name="grid_unique_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.root_id} {self.year} {self.measure}/{self.tier}"

    @property
    def additive(self) -> bool:
        return self.measure not in self.RATES


class GridRow(models.Model):
    """A row of a grid: one unit or one seller (exactly one of them), its twelve monthly figures
    (`m1`…`m12`), the row above it (`parent`, none for the root) and the unit that row stands for
    (`under`, kept with the row so that who may edit it is one indexed filter). The tree is the
    organisation as it stood when the grid was made. In a grid split by product line (or by account) each
    seller row has one row per product line (per account the seller owns) below it (`product_line` or
    `account` set, the seller's `user` and `under`): the seller's figure is their sum, like any other
    parent's; they are not targets of record."""

    grid = models.ForeignKey(TargetGrid, on_delete=models.CASCADE, related_name="rows")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    under = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)
    m1 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m2 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m3 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m4 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m5 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m6 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m7 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m8 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m9 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m10 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m11 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    m12 = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("target grid row")
        verbose_name_plural = _("target grid rows")
        ordering = ["grid_id", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=True) & Q(user__isnull=False))
                | (Q(unit__isnull=False) & Q(user__isnull=True)),
                name="grid_row_one_scope",
            ),
            models.UniqueConstraint(
                fields=["grid", "unit"], condition=Q(user__isnull=True), name="grid_row_unique_unit"
            ),
            models.UniqueConstraint(
                fields=["grid", "user"],
                condition=Q(unit__isnull=True, product_line__isnull=True, account__isnull=True),
                name="grid_row_unique_user",
            ),
            models.UniqueConstraint(
                fields=["grid", "user", "product_line"],
                condition=Q(product_line__isnull=False),
                name="grid_row_unique_line",
            ),
            models.UniqueConstraint(
                fields=["grid", "user", "account"],
                condition=Q(account__isnull=False),
                name="grid_row_unique_account",
            ),
        ]
        indexes = [
            models.Index(fields=["grid", "position"], name="grid_row_position"),
            models.Index(fields=["grid", "under"], name="grid_row_under"),
        ]

    def __str__(self) -> str:
        line = (
            f"/{self.product_line_id}"
            if self.product_line_id
            else f"/a{self.account_id}"
            if self.account_id
            else ""
        )
        return f"{self.grid_id}:{self.unit_id or self.user_id}{line}"

    @property
    def months(self) -> list[Decimal]:
        return [getattr(self, f) for f in MONTH_FIELDS]
