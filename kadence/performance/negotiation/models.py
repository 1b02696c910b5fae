"""三上三下 — negotiation rounds on a target grid (issue 14 §2, METHODOLOGY §10.1). The rules (gap, end of
the negotiation, the final figure) are kadence.domain.negotiation's; the writes are
kadence.performance.negotiation.services'. Every round and every figure is kept."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.models import OrgUnit
from kadence.domain import negotiation as rules
from kadence.performance.grid.models import GridRow, TargetGrid

USER = settings.AUTH_USER_MODEL

__all__ = ["Negotiation", "NegotiationFigure", "NegotiationParty", "NegotiationPolicy"]


class NegotiationPolicy(models.Model):
    """The rules of a negotiation, one row (pk 1, made with the shipped defaults when missing): rounds at
    most and the gap that counts as agreement. A negotiation copies them when it opens."""

    max_rounds = models.PositiveSmallIntegerField(
        _("rounds at most"),
        default=rules.DEFAULT_MAX_ROUNDS,
        validators=[MinValueValidator(1), MaxValueValidator(rules.MAX_ROUNDS_LIMIT)],
    )
    gap_threshold = models.DecimalField(
        _("agreed when the gap is at most"),
        max_digits=5,
        decimal_places=4,
        default=rules.DEFAULT_GAP_THRESHOLD,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.9999"))],
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("negotiation policy")
        verbose_name_plural = _("negotiation policies")

    def __str__(self) -> str:
        return f"{self.max_rounds} / {self.gap_threshold}"

    @classmethod
    def current(cls) -> NegotiationPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def rules(self) -> rules.Policy:
        return rules.Policy(max_rounds=self.max_rounds, gap_threshold=self.gap_threshold)


class Negotiation(models.Model):
    """A negotiation on a draft grid between whoever manages it and the units right below its root."""

    class Status(models.TextChoices):
        ANSWERING = "answering", _("Waiting for the units' answers")
        ADJUSTING = "adjusting", _("Waiting for the top's adjustment")
        SETTLED = "settled", _("Settled, waiting for approval")
        CLOSED = "closed", _("Closed, grid approved")

    class Outcome(models.TextChoices):
        AGREED = rules.AGREED, _("Agreed (the committed figures)")
        IMPOSED = rules.IMPOSED, _("The top's figures stand")

    OPEN = (Status.ANSWERING, Status.ADJUSTING, Status.SETTLED)

    grid = models.ForeignKey(TargetGrid, on_delete=models.CASCADE, related_name="negotiations")
    root = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ANSWERING)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    max_rounds = models.PositiveSmallIntegerField(_("rounds at most"), default=rules.DEFAULT_MAX_ROUNDS)
    gap_threshold = models.DecimalField(
        _("agreed when the gap is at most"),
        max_digits=5,
        decimal_places=4,
        default=rules.DEFAULT_GAP_THRESHOLD,
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    opened_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("target negotiation")
        verbose_name_plural = _("target negotiations")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid"], condition=~Q(status="closed"), name="negotiation_one_open_per_grid"
            ),
        ]
        indexes = [models.Index(fields=["status", "root"], name="negotiation_status_root")]

    def __str__(self) -> str:
        return f"{self.grid_id} r{self.round} {self.status}"

    def policy(self) -> rules.Policy:
        return rules.Policy(max_rounds=self.max_rounds, gap_threshold=self.gap_threshold)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class NegotiationParty(models.Model):
    """A unit right below the grid's root taking part, its grid row, and its final figure once settled."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="parties")
    row = models.ForeignKey(GridRow, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)
    final = models.DecimalField(_("final figure"), max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("negotiating unit")
        verbose_name_plural = _("negotiating units")
        ordering = ["negotiation_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["negotiation", "unit"], name="negotiation_party_unique"),
        ]
        indexes = [models.Index(fields=["unit", "negotiation"], name="negotiation_party_unit")]

    def __str__(self) -> str:
        return f"{self.negotiation_id}:{self.unit_id}"


class NegotiationFigure(models.Model):
    """One unit in one round: the top's proposal, the unit's committed answer and the bottom-up figure
    Kadence showed when it answered (booked + expected pipeline + new business), kept for good."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="figures")
    party = models.ForeignKey(NegotiationParty, on_delete=models.CASCADE, related_name="figures")
    round = models.PositiveSmallIntegerField(_("round"))
    proposed = models.DecimalField(_("proposed"), max_digits=16, decimal_places=2)
    proposed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    committed = models.DecimalField(_("committed"), max_digits=16, decimal_places=2, null=True, blank=True)
    committed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    committed_at = models.DateTimeField(null=True, blank=True)
    booked = models.DecimalField(_("booked"), max_digits=16, decimal_places=2, null=True, blank=True)
    pipeline = models.DecimalField(
        _("expected pipeline"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    new_business = models.DecimalField(
        _("new business"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    bottom_up = models.DecimalField(_("bottom-up"), max_digits=16, decimal_places=2, null=True, blank=True)
    pipeline_source = models.CharField(max_length=12, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("negotiation figure")
        verbose_name_plural = _("negotiation figures")
        ordering = ["negotiation_id", "round", "party__position"]
        constraints = [
            models.UniqueConstraint(fields=["party", "round"], name="negotiation_figure_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.party_id} r{self.round}"

    def figures(self) -> rules.Figures:
        return rules.Figures(self.proposed, self.committed)

    @property
    def gap_pct(self) -> Decimal | None:
        return rules.gap_pct(self.proposed, self.committed)
