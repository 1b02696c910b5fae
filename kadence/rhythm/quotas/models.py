"""Activity quotas and their settings (configuration as data, editable by an admin)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import User


class Metric(models.TextChoices):
    """The activity metrics a quota can be set for. Each counts the rep's own activities (`owner`) dated
    in the period; the definitions are in METRIC_DEFINITIONS (shown on the pages) and docs/rhythm-quotas.md."""

    EFFECTIVE_VISITS = "effective_visits", _("Effective visits")
    CUSTOMER_CONTACTS = "customer_contacts", _("Customer contacts")
    EFFECTIVE_CALLS = "effective_calls", _("Effective calls")
    IMPORTANT_VISITS = "important_visits", _("Important-customer visits")
    NEW_CUSTOMERS = "new_customers", _("New customers")


METRIC_DEFINITIONS = {
    Metric.EFFECTIVE_VISITS: _(
        "Done activities flagged effective: a face-to-face kind (visit, meeting, demo by default) whose "
        "result is found, advanced or solved (the effective-visit rule)."
    ),
    Metric.CUSTOMER_CONTACTS: _(
        "Done activities of any kind with a customer (visits, calls, meetings, demos, e-mails)."
    ),
    Metric.EFFECTIVE_CALLS: _("Done outbound calls whose result is one the effective-visit rule counts."),
    Metric.IMPORTANT_VISITS: _(
        "Done face-to-face activities (the rule's kinds, any result) at an important customer: an account "
        "of a configured size or with buying power at or above the configured threshold."
    ),
    Metric.NEW_CUSTOMERS: _(
        "Accounts the rep had a done activity with in the period and that nobody in the company had a "
        "done activity with before it."
    ),
}


class Per(models.TextChoices):
    DAY = "day", _("per working day")
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")


class ActivityQuota(models.Model):
    """A quota of one metric: for everyone of a `role` (user empty) or for one `user` (role empty), who then
    follows this row instead of their role's row of the same metric (an amount of 0 means "no quota").
    `amount` is per working day, per week or per month (`per`); over a report period it is pro rata of
    working days (kadence.domain.quotas.quota_for_period)."""

    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    role = models.CharField(_("role"), max_length=10, choices=User.Role.choices, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activity_quotas",
    )
    per = models.CharField(_("per"), max_length=5, choices=Per.choices)
    amount = models.PositiveIntegerField(_("amount"))
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("activity quota")
        verbose_name_plural = _("activity quotas")
        ordering = ["role", "user_id", "metric"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=True) & ~Q(role="")) | (Q(user__isnull=False) & Q(role="")),
                name="activity_quota_role_xor_user",
            ),
            models.UniqueConstraint(
                fields=["metric", "role"], condition=Q(user__isnull=True), name="activity_quota_role_metric"
            ),
            models.UniqueConstraint(
                fields=["metric", "user"], condition=Q(user__isnull=False), name="activity_quota_user_metric"
            ),
        ]

    def __str__(self) -> str:
        who = self.user.label if self.user_id and self.user else self.get_role_display()
        return f"{who}: {self.get_metric_display()} {self.amount} {self.get_per_display()}"


def default_important_sizes() -> list[str]:
    return ["huge"]


class QuotaSettings(models.Model):
    """Settings of the quota reports (one row): which accounts are **important customers** (an account of
    one of `important_sizes`, or with `buying_power` ≥ `important_min_buying_power` — by default BP above
    1M, tier 1 of the RAD matrix, METHODOLOGY §11.3), and how many weeks the trend chart shows."""

    important_sizes = models.JSONField(
        _("important account sizes"), default=default_important_sizes, blank=True
    )
    important_min_buying_power = models.DecimalField(
        _("important from buying power"), max_digits=16, decimal_places=2, default=Decimal("1000000")
    )
    trend_weeks = models.PositiveSmallIntegerField(
        _("weeks in the trend chart"), default=8, validators=[MinValueValidator(1), MaxValueValidator(26)]
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("quota settings")
        verbose_name_plural = _("quota settings")

    def __str__(self) -> str:
        return str(_("Quota settings"))
