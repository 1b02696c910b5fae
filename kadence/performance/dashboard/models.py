"""The dashboard's thresholds as data (DESIGN rule 6): one row (pk 1), edited by an admin."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_V_BINS = "0.5,1,1.5,2,3"


def parse_bins(text: str) -> list[Decimal]:
    """The V值 bin edges of "0.5,1,1.5,2,3": increasing positive decimals (ValueError otherwise)."""
    try:
        edges = [Decimal(part.strip()) for part in text.split(",") if part.strip()]
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not edges or any(not e.is_finite() or e <= 0 for e in edges) or edges != sorted(set(edges)):
        raise ValueError(text)
    return edges


def validate_bins(text: str) -> None:
    try:
        parse_bins(text)
    except ValueError as exc:
        raise ValidationError(_("Give increasing positive numbers separated by commas.")) from exc


class DashboardPolicy(models.Model):
    """How the director's dashboard flags anomalies and bins V值 (kadence.domain.outliers):

    - a peer (a unit or seller among its siblings) is far from the others when |z| ≥ `z_threshold` or it
      lies outside Q1 − `iqr_factor` × IQR … Q3 + `iqr_factor` × IQR, counted only with at least
      `min_peers` peers with a value;
    - its pipeline coverage dropped when V now is at least `coverage_drop` (a fraction: 0.25 = 25 %) below
      V at its forecast snapshot of `coverage_lookback_days` ago or earlier (the latest such);
    - `v_bins`: the edges of the V值 histogram (below the first, between each, at or above the last)."""

    z_threshold = models.DecimalField(
        _("z-score threshold"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal(0))],
    )
    iqr_factor = models.DecimalField(
        _("IQR factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal(0))],
    )
    min_peers = models.PositiveSmallIntegerField(_("minimum peers"), default=4)
    coverage_drop = models.DecimalField(
        _("coverage drop"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.25"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    coverage_lookback_days = models.PositiveSmallIntegerField(_("coverage look-back (days)"), default=28)
    v_bins = models.CharField(
        _("V值 bins"), max_length=100, default=DEFAULT_V_BINS, validators=[validate_bins]
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dashboard policy")
        verbose_name_plural = _("dashboard policy")

    def __str__(self) -> str:
        return str(_("Dashboard policy"))

    @classmethod
    def current(cls) -> DashboardPolicy:
        """The row in force (unsaved defaults until an admin saves it: a read never writes)."""
        found = cls.objects.filter(pk=1).first()
        return found if found is not None else cls(pk=1)

    def bins(self) -> list[Decimal]:
        try:
            return parse_bins(self.v_bins)
        except ValueError:
            return parse_bins(DEFAULT_V_BINS)
