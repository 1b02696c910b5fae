"""Coverage of the account pool (issue 15 §9): the limits and the neglect window, as data an admin edits."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.domain.kam.coverage import (
    DEFAULT_INSIDE_LIMIT,
    DEFAULT_NEGLECT_DAYS,
    DEFAULT_OUTSIDE_LIMIT,
    Limits,
)


class CoveragePolicy(models.Model):
    """The one coverage policy (row 1): how many accounts an outside seller (rep, "TOP 20 per AE") and an
    inside-sales rep (~200) carry, and after how many days without a done activity an account is neglected."""

    outside_limit = models.PositiveIntegerField(_("outside sales limit"), default=DEFAULT_OUTSIDE_LIMIT)
    inside_limit = models.PositiveIntegerField(_("inside sales limit"), default=DEFAULT_INSIDE_LIMIT)
    neglect_days = models.PositiveIntegerField(_("neglected after (days)"), default=DEFAULT_NEGLECT_DAYS)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("coverage policy")
        verbose_name_plural = _("coverage policy")

    def __str__(self) -> str:
        return str(_("Coverage policy"))

    @classmethod
    def current(cls) -> CoveragePolicy:
        """The row (created by the migration), or the defaults unsaved when it is missing: a read never
        writes."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def limits(self) -> Limits:
        return Limits(outside=self.outside_limit, inside=self.inside_limit)
