"""The inputs of sales-force sizing that the data cannot give (METHODOLOGY §10.7, issue 14 §6)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import OrgUnit

HOURS_PER_ACTIVITY = Decimal("2.00")  # a visit or meeting with its preparation and travel
SELLING_HOURS_PER_MONTH = Decimal("100.00")  # ~21 working days × 8 h, about 60 % of it selling


class SizingAssumption(models.Model):
    """Sizing inputs of one unit and the units below it without their own row; the row without a unit is
    the company default (shipped: 2 h per activity, 100 selling hours per rep a month). A unit uses its
    own row, else its nearest ancestor's, else the default.

    - hours_per_activity: the hours an activity takes (preparation, travel, the activity itself);
    - selling_hours_per_month: the hours a rep has for selling in a month (not admin, not training);
    - activities_per_won_deal: when set, replaces the activities a won deal took in the unit's history
      (for a unit with too little history); empty = from history."""

    unit = models.OneToOneField(
        OrgUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sizing_assumption",
    )
    hours_per_activity = models.DecimalField(
        _("hours per activity"), max_digits=5, decimal_places=2, default=HOURS_PER_ACTIVITY
    )
    selling_hours_per_month = models.DecimalField(
        _("selling hours per rep a month"), max_digits=6, decimal_places=2, default=SELLING_HOURS_PER_MONTH
    )
    activities_per_won_deal = models.DecimalField(
        _("activities per won deal (empty: from history)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("sizing assumption")
        verbose_name_plural = _("sizing assumptions")
        ordering = ["unit__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_activity__gte=0), name="sizing_hours_per_activity_ge_0"
            ),
            models.CheckConstraint(
                condition=Q(selling_hours_per_month__gte=0), name="sizing_selling_hours_ge_0"
            ),
        ]

    def __str__(self) -> str:
        return self.unit.name if self.unit else str(_("Company default"))
