"""KPI scorecards as data (METHODOLOGY §10.6, seed 000): the KPIs of each role with weight, target and
scoring curve; the grade bands; the manual inputs a manager enters; the stored scorecards per seller
and period, each line keeping the definition it was scored with and the inputs it was scored from, so
that a card recomputed from what is stored gives exactly the stored score."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import BilingualName, OrgUnit, User

USER = settings.AUTH_USER_MODEL


class KpiMetric(models.TextChoices):
    """What a KPI measures; the definitions are in METRIC_DEFINITIONS (shown on the pages)."""

    REVENUE = "revenue", _("Revenue vs target")
    GROWTH = "growth", _("Revenue growth")
    NEW_CUSTOMERS = "new_customers", _("New customers vs quota")
    NEW_OLD_RATIO = "new_old_ratio", _("New / old customer ratio")
    EFFECTIVE_VISITS = "effective_visits", _("Effective visits vs quota")
    FORECAST_ACCURACY = "forecast_accuracy", _("Forecast accuracy")
    EXPENSE_RATIO = "expense_ratio", _("Expense ratio")
    GATE_COMPLIANCE = "gate_compliance", _("Stage-gate compliance")
    SATISFACTION = "satisfaction", _("Customer satisfaction")
    MANUAL = "manual", _("Entered by the manager")


METRIC_DEFINITIONS = {
    KpiMetric.REVENUE: _(
        "Won amount closed in the period on the seller's deals ÷ the seller's target of the period × 100. "
        "No target: not scored."
    ),
    KpiMetric.GROWTH: _(
        "(Won amount of the period − won amount of the same period a year before) ÷ the year-before "
        "amount × 100. Nothing won a year before: not scored."
    ),
    KpiMetric.NEW_CUSTOMERS: _(
        "New customers (accounts nobody had a done activity with before the period) as a percentage of "
        "the seller's new-customer quota of the period (the activity quotas)."
    ),
    KpiMetric.NEW_OLD_RATIO: _(
        "New customers ÷ old customers (accounts with a done activity in the period that had one before) "
        "× 100. No old customer: not scored."
    ),
    KpiMetric.EFFECTIVE_VISITS: _(
        "Effective visits as a percentage of the seller's effective-visit quota of the period (the "
        "activity quotas). No quota: not scored."
    ),
    KpiMetric.FORECAST_ACCURACY: _(
        "100 − |forecast − actual| ÷ actual × 100 (at least 0): the forecast is the snapshot nearest the "
        "period start, the actual the won amount. No forecast: not scored."
    ),
    KpiMetric.EXPENSE_RATIO: _(
        "Expenses dated in the period on the seller's deals ÷ won amount × 100; lower is better. "
        "Nothing won: not scored."
    ),
    KpiMetric.GATE_COMPLIANCE: _(
        "Stage advances in the period made with their exit criteria met ÷ all stage advances × 100 "
        "(an advance overridden without evidence does not comply). No advance: not scored."
    ),
    KpiMetric.SATISFACTION: _("The customer-satisfaction score (0–100) a manager enters for the period."),
    KpiMetric.MANUAL: _("A figure a manager enters for the period (a KPI Kadence does not measure)."),
}

MANUAL_METRICS = frozenset({KpiMetric.SATISFACTION, KpiMetric.MANUAL})
LOWER_IS_BETTER = frozenset({KpiMetric.EXPENSE_RATIO})


class Curve(models.TextChoices):
    LINEAR = "linear", _("Linear (actual ÷ target, at most 100)")
    THRESHOLD = "threshold", _("Threshold (100 when met, else 0)")
    # xgettext:no-python-format
    FLOOR = "floor", _("Linear above a floor (0 below the floor % of target)")


class ScoringPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class KpiDefinition(BilingualName):
    """One KPI of a role's scorecard: what it measures (`metric`), its `weight` in the total (weights
    are relative: a card divides by the sum of its scored weights), the `target` the actual is scored
    against (in the metric's unit: a percentage for all but the manual ones) and the scoring `curve`
    (kadence.domain.kpi.score; `floor` for the floor curve, a percentage of the target). Every change
    is kept as a KpiDefinitionVersion; a scorecard line records the version it used. `code` is unique
    within a role."""

    role = models.CharField(_("role"), max_length=10, choices=User.Role.choices)
    code = models.SlugField(_("code"), max_length=40)
    metric = models.CharField(_("metric"), max_length=20, choices=KpiMetric.choices)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    curve = models.CharField(_("scoring curve"), max_length=10, choices=Curve.choices, default=Curve.LINEAR)
    floor = models.DecimalField(_("floor %"), max_digits=5, decimal_places=2, default=Decimal(0))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["role", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["role", "code"], name="kpi_definition_role_code")]

    @property
    def lower_is_better(self) -> bool:
        return self.metric in LOWER_IS_BETTER

    @property
    def is_manual(self) -> bool:
        return self.metric in MANUAL_METRICS

    @property
    def definition(self) -> str:
        return str(METRIC_DEFINITIONS[KpiMetric(self.metric)])


class KpiDefinitionVersion(models.Model):
    """A KPI as it stood from one change to the next (the history of the definitions)."""

    definition = models.ForeignKey(KpiDefinition, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    changed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("KPI version")
        verbose_name_plural = _("KPI versions")
        ordering = ["definition_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "version"], name="kpi_definition_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} v{self.version}"


class GradeBand(BilingualName):
    """A grade of the annual ranking (优秀 ≥ 90, 良好 ≥ 80, 中等 ≥ 70, 及格 ≥ 60, 差 below): totals at or
    above `min_score` and below the next band's."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    min_score = models.DecimalField(_("minimum score"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["-min_score"]

    def __str__(self) -> str:
        return f"{self.name} ≥ {self.min_score}"


class KpiManualInput(models.Model):
    """A figure a manager enters for a KPI Kadence does not measure (customer satisfaction…), for one
    seller and period. Changes are audited and versioned."""

    user = models.ForeignKey(USER, verbose_name=_("seller"), on_delete=models.CASCADE, related_name="+")
    definition = models.ForeignKey(KpiDefinition, verbose_name=_("KPI"), on_delete=models.PROTECT)
    period_kind = models.CharField(_("period"), max_length=7, choices=ScoringPeriod.choices)
    period_start = models.DateField(_("period start"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    entered_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("KPI input")
        verbose_name_plural = _("KPI inputs")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "definition", "period_kind", "period_start"], name="kpi_input_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period_kind} {self.period_start}: {self.value}"


class Scorecard(models.Model):
    """A seller's scored card for a month or quarter: the weighted total of its lines (None when no
    KPI could be scored), the grade of the total and the bands it was graded with. Scoring the period
    again replaces the lines and bumps `version`; the card of every period stays (the history)."""

    user = models.ForeignKey(USER, verbose_name=_("seller"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=User.Role.choices)
    unit = models.ForeignKey(OrgUnit, null=True, on_delete=models.SET_NULL, related_name="+")
    period_kind = models.CharField(_("period"), max_length=7, choices=ScoringPeriod.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    bands = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-period_start", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period_kind", "period_start"], name="scorecard_once")
        ]
        indexes = [models.Index(fields=["period_kind", "period_start", "unit"], name="scorecard_period_unit")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period_kind} {self.period_start}: {self.total}"


class ScorecardLine(models.Model):
    """One KPI of a card: the definition's figures as scored (copied, so a later edit of the KPI does not
    rewrite the card), the actual, the inputs it was computed from, the score and the points it adds."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="lines")
    definition = models.ForeignKey(KpiDefinition, null=True, on_delete=models.SET_NULL, related_name="+")
    definition_version = models.PositiveIntegerField()
    code = models.SlugField(max_length=40)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    metric = models.CharField(max_length=20, choices=KpiMetric.choices)
    weight = models.DecimalField(max_digits=6, decimal_places=2)
    target = models.DecimalField(max_digits=12, decimal_places=2)
    curve = models.CharField(max_length=10, choices=Curve.choices)
    floor = models.DecimalField(max_digits=5, decimal_places=2)
    lower_is_better = models.BooleanField(default=False)
    actual = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    inputs = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scorecard_id", "sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.code}: {self.score}"
