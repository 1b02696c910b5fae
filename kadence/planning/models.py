"""Targets and forecasts (METHODOLOGY §8.3–§9): what the organisation aims at, what sellers and
managers forecast, the snapshots that keep forecasts comparable with outcomes forever, and the
observed win rates (calibration). Thresholds live in one `ForecastPolicy` row an admin edits."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import OrgUnit
from kadence.domain import funnel
from kadence.domain.stall import StallPolicy

USER = settings.AUTH_USER_MODEL
STALL = StallPolicy()  # the shipped stall thresholds


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class ForecastPolicy(models.Model):
    """Thresholds of funnel control and forecasting, one row (pk 1). Defaults are METHODOLOGY's, as the
    domain states them (kadence.domain.stall.StallPolicy, kadence.domain.funnel)."""

    stall_factor = models.DecimalField(
        _("stalled after × standard days"), max_digits=4, decimal_places=2, default=STALL.factor
    )
    stall_no_activity_days = models.PositiveSmallIntegerField(
        _("stalled without customer activity for (days)"), default=STALL.no_activity_days
    )
    stall_close_pushes = models.PositiveSmallIntegerField(
        _("stalled when the close date was pushed (times)"), default=STALL.close_pushes
    )
    shortfall_ratio = models.DecimalField(
        _("stage shortfall below actual ÷ ideal"),
        max_digits=4,
        decimal_places=2,
        default=funnel.SHORTFALL_BELOW,
    )
    congestion_ratio = models.DecimalField(
        _("stage congestion above actual ÷ ideal"),
        max_digits=4,
        decimal_places=2,
        default=funnel.CONGESTION_ABOVE,
    )
    new_business_periods = models.PositiveSmallIntegerField(
        _("new business: past periods sampled"),
        default=8,
        help_text=_(
            "The probabilistic forecast adds what deals created after the forecast's day were won for by the "
            "period's end, drawn from this many past periods of the same kind (0: leave it out)."
        ),
    )
    history_days = models.PositiveSmallIntegerField(
        _("history window for rates and durations (days)"), default=365
    )
    calibration_min_outcomes = models.PositiveSmallIntegerField(
        _("outcomes needed to trust an observed rate"), default=20
    )
    monte_carlo_trials = models.PositiveIntegerField(_("Monte-Carlo trials"), default=10000)
    anomaly_threshold = models.DecimalField(
        _("regional anomaly at relative deviation"), max_digits=4, decimal_places=2, default=Decimal("0.3")
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("forecast policy")
        verbose_name_plural = _("forecast policy")

    def __str__(self) -> str:
        return str(_("Forecast policy"))

    @classmethod
    def current(cls) -> ForecastPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def stall_policy(self) -> StallPolicy:
        """The stalled-deal thresholds as kadence.domain.stall reads them."""
        return StallPolicy(
            factor=self.stall_factor,
            no_activity_days=self.stall_no_activity_days,
            close_pushes=self.stall_close_pushes,
        )


class Target(models.Model):
    """A sales target (order intake, money) for one scope — an org unit (company, region, team) or a
    seller — and one period (month, quarter or year starting on `period_start`). A later issue adds
    decomposition and negotiation rounds on top of this row."""

    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    user = models.ForeignKey(
        USER,
        verbose_name=_("seller"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    period_kind = models.CharField(_("period"), max_length=7, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    amount = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-period_start", "period_kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=True) & Q(user__isnull=False))
                | (Q(unit__isnull=False) & Q(user__isnull=True)),
                name="target_one_scope",
            ),
            models.UniqueConstraint(
                fields=["unit", "period_kind", "period_start"],
                condition=Q(user__isnull=True),
                name="target_unique_unit_period",
            ),
            models.UniqueConstraint(
                fields=["user", "period_kind", "period_start"],
                condition=Q(unit__isnull=True),
                name="target_unique_user_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit or self.user} {self.period_kind} {self.period_start}: {self.amount}"


class ForecastSubmission(models.Model):
    """A forecast for one seller and period, kept forever (METHODOLOGY §9.4). A seller submits
    (`kind` submission: their call and the deals behind it); a manager adjusts a submission (`kind`
    adjustment, `adjusts` the submission, with a required reason). Directors see both; the latest
    adjustment, else the latest submission, is the seller's forecast of record."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("Submission")
        ADJUSTMENT = "adjustment", _("Manager adjustment")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        USER, verbose_name=_("seller"), on_delete=models.PROTECT, related_name="forecasts"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(_("period"), max_length=7, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    booked = models.DecimalField(_("booked"), max_digits=16, decimal_places=2, default=Decimal(0))
    commit = models.DecimalField(_("commit"), max_digits=16, decimal_places=2, default=Decimal(0))
    best_case = models.DecimalField(_("best case"), max_digits=16, decimal_places=2, default=Decimal(0))
    pipeline = models.DecimalField(_("pipeline"), max_digits=16, decimal_places=2, default=Decimal(0))
    weighted = models.DecimalField(_("weighted"), max_digits=16, decimal_places=2, default=Decimal(0))
    forecast = models.DecimalField(_("forecast"), max_digits=16, decimal_places=2)
    adjusts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    deals = models.JSONField(_("deals behind it"), default=list, blank=True)
    submitted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("forecast submission")
        verbose_name_plural = _("forecast submissions")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "period_kind", "period_start", "submitted_at"], name="forecast_user_period"
            ),
            models.Index(fields=["unit", "period_kind", "period_start"], name="forecast_unit_period"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period_start} {self.kind}: {self.forecast}"


class ForecastSnapshot(models.Model):
    """The forecast of one scope (a seller or an org unit) for one period as it stood on `taken_on`,
    kept forever: on every submission and by the scheduled `kadence forecast-snapshot` command. The
    figures are sums of open deals closing in the period by category, the weighted pipeline, and what
    was already won in the period."""

    class Source(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SUBMISSION = "submission", _("Submission")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    taken_on = models.DateField(_("taken on"))
    taken_at = models.DateTimeField(default=timezone.now)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(_("period"), max_length=7, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    booked = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    commit = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    best_case = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    next_quarter = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    pipeline = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    weighted = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    forecast = models.DecimalField(
        _("forecast of record"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    open_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        ordering = ["-taken_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "taken_on", "unit", "period_kind", "period_start"],
                condition=Q(user__isnull=True, source="scheduled"),
                name="snapshot_unique_unit_day",
            ),
            models.UniqueConstraint(
                fields=["source", "taken_on", "user", "period_kind", "period_start"],
                condition=Q(unit__isnull=True, source="scheduled"),
                name="snapshot_unique_user_day",
            ),
        ]
        indexes = [models.Index(fields=["period_kind", "period_start", "taken_on"], name="snapshot_period")]

    def __str__(self) -> str:
        return f"{self.taken_on} {self.unit_id or self.user_id} {self.period_start}"


class OrderForecast(models.Model):
    """The rolling 4-week order forecast (seed 004, METHODOLOGY §9.3): in the week starting `made_on`
    a seller forecasts the orders of each of the next four weeks (`week_start`)."""

    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="order_forecasts")
    made_on = models.DateField(_("made in the week of"))
    week_start = models.DateField(_("for the week of"))
    amount = models.DecimalField(_("orders forecast"), max_digits=16, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("order forecast")
        verbose_name_plural = _("order forecasts")
        ordering = ["user_id", "-made_on", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["user", "made_on", "week_start"], name="order_forecast_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.made_on}→{self.week_start}: {self.amount}"


class Calibration(models.Model):
    """An observed win rate from closed history (METHODOLOGY §9.6): for one template and one bucket
    (`dimension` level / stage / c139 band, `key` its code), how many closed deals passed through it
    and how many of them were won. Recomputed by `kadence calibrate` (and when an admin asks);
    `computed_at` says when."""

    class Dimension(models.TextChoices):
        LEVEL = "level", _("Level")
        STAGE = "stage", _("Stage")
        C139 = "c139", _("C139 band")

    template = models.ForeignKey(
        "pipeline.ProcessTemplate", on_delete=models.CASCADE, related_name="calibration"
    )
    dimension = models.CharField(max_length=5, choices=Dimension.choices)
    key = models.CharField(max_length=40)
    outcomes = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    configured = models.DecimalField(_("configured probability %"), max_digits=5, decimal_places=2, null=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calibration")
        verbose_name_plural = _("calibration")
        constraints = [
            models.UniqueConstraint(fields=["template", "dimension", "key"], name="calibration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template_id} {self.dimension}:{self.key} {self.won}/{self.outcomes}"
