"""Screening platforms (issue 15 §10): the wall criteria as data, and each account's platform per month."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.domain.kam.platforms import BUYING, MARKET, POTENTIAL, SALES, WallCriteria


class Platform(models.TextChoices):
    POTENTIAL = POTENTIAL, _("Potential market")
    MARKET = MARKET, _("Market platform")
    SALES = SALES, _("Sales platform")
    BUYING = BUYING, _("Buying platform")


class PlatformCriteria(models.Model):
    """The one set of wall criteria (row 1) and the windows of the two upper platforms."""

    industries = models.JSONField(_("industries (codes; empty: any)"), default=list, blank=True)
    min_size = models.CharField(_("minimum size"), max_length=10, blank=True, default="medium")
    min_buying_power = models.DecimalField(
        _("minimum buying power"), max_digits=16, decimal_places=2, default=Decimal(500000)
    )
    regions = models.JSONField(_("regions (ids; empty: any)"), default=list, blank=True)
    active_days = models.PositiveIntegerField(_("actively sold to: activity within (days)"), default=90)
    revenue_days = models.PositiveIntegerField(_("bought: won revenue within (days)"), default=365)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("platform criteria")
        verbose_name_plural = _("platform criteria")

    def __str__(self) -> str:
        return str(_("Platform criteria"))

    @classmethod
    def current(cls) -> PlatformCriteria:
        """The row (created by the migration), or the defaults unsaved when it is missing: a read never
        writes."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def wall(self) -> WallCriteria:
        return WallCriteria(
            industries=frozenset(str(c) for c in self.industries or ()),
            min_size=self.min_size,
            min_buying_power=self.min_buying_power,
            regions=frozenset(int(r) for r in self.regions or ()),
        )


class PlatformSnapshot(models.Model):
    """An account's platform in a month (`period_start` its first day), with its owner and team then, so
    that reports filter by the scope of that month and movement compares two months."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="platform_snapshots"
    )
    period_start = models.DateField()
    platform = models.CharField(max_length=10, choices=Platform.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("core.OrgUnit", on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "period_start"], name="kam_platform_account_period")
        ]
        indexes = [models.Index(fields=["period_start", "team", "platform"], name="kam_platform_period_team")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period_start:%Y-%m} {self.platform}"
