"""Commission plans as data (METHODOLOGY §10.7, seed 002) and the statements computed from them.

A plan (one of the five types) has versions, each effective from the first day of a period; a seller's
plan for a period is their own assignment in force, else their role's. Split credit for deal-team
members is a company rule per deal role. A statement per seller and period is stored with its lines and
with everything it was computed from (the terms and the inputs), so that recomputing it from what is
stored gives exactly the stored figures."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.core.i18n import in_language
from kadence.core.models import BilingualName, OrgUnit, User
from kadence.pipeline.models import DealRole

USER = settings.AUTH_USER_MODEL


class PlanKind(models.TextChoices):
    """The five plan types of seed 002 (kadence.domain.commission.PLAN_KINDS)."""

    SALARY = "salary", _("Salary only")
    COMMISSION = "commission", _("Straight commission")
    SALARY_COMMISSION = "salary_commission", _("Salary + commission")
    COMMISSION_EXPENSES = "commission_expenses", _("Commission + approved expenses")
    SALARY_GROUP = "salary_group", _("Salary + group commission")


class PlanPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class Basis(models.TextChoices):
    """What commission is paid on. Only booked revenue exists today; collections (回款) are the seam:
    a `collected` basis reads them once Kadence records them (kadence.performance.commission.selectors
    .credits_for)."""

    BOOKED = "booked", _("Booked revenue (won deals closed in the period)")


class CommissionPlan(BilingualName):
    """A commission plan: its type and pay period; its terms are in its versions. `version` counts the
    plan's changes (optimistic concurrency: an edit names the version it read, 409 when stale)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=PlanKind.choices)
    period_kind = models.CharField(
        _("pay period"), max_length=7, choices=PlanPeriod.choices, default=PlanPeriod.MONTH
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        ordering = ["code"]


class CommissionPlanVersion(models.Model):
    """A plan's terms from the period starting `effective_from` until the next version: salary per
    period, tiers [{"from_pct", "rate"}] (attainment bands with marginal rates, the first from 0), cap on
    the variable pay per period (empty: none), group rate %, cap on reimbursed expenses (empty: none)."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="versions")
    effective_from = models.DateField(_("effective from"))
    salary = models.DecimalField(_("salary per period"), max_digits=14, decimal_places=2, default=0)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    cap = models.DecimalField(_("cap"), max_digits=14, decimal_places=2, null=True, blank=True)
    group_rate = models.DecimalField(_("group rate %"), max_digits=7, decimal_places=4, default=0)
    expense_cap = models.DecimalField(
        _("expense cap"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices, default=Basis.BOOKED)
    changed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("commission plan version")
        verbose_name_plural = _("commission plan versions")
        ordering = ["plan_id", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "effective_from"], name="commission_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} from {self.effective_from}"


class CommissionAssignment(models.Model):
    """A plan for one seller (`user`) or for everyone of a `role`, from `effective_from` until the next
    assignment of the same seller or role. A seller's own assignment wins over their role's."""

    plan = models.ForeignKey(CommissionPlan, verbose_name=_("plan"), on_delete=models.PROTECT)
    user = models.ForeignKey(
        USER, verbose_name=_("seller"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=10, choices=User.Role.choices, blank=True)
    effective_from = models.DateField(_("effective from"))
    assigned_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("commission plan assignment")
        verbose_name_plural = _("commission plan assignments")
        ordering = ["-effective_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(role="")) | (Q(user__isnull=True) & ~Q(role="")),
                name="commission_assignment_user_or_role",
            ),
            models.UniqueConstraint(
                fields=["user", "effective_from"],
                condition=Q(user__isnull=False),
                name="commission_assignment_user_once",
            ),
            models.UniqueConstraint(
                fields=["role", "effective_from"],
                condition=Q(user__isnull=True),
                name="commission_assignment_role_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id or self.role} → {self.plan_id} from {self.effective_from}"


class CreditRule(models.Model):
    """Split credit: a deal-team member in `role` is credited `share` % of a won deal (members in the
    role order, each at most what is left of 100 %; the owner keeps the rest)."""

    role = models.OneToOneField(DealRole, verbose_name=_("deal role"), on_delete=models.CASCADE)
    share = models.DecimalField(_("credit share %"), max_digits=5, decimal_places=2)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("commission credit rule")
        verbose_name_plural = _("commission credit rules")
        ordering = ["role__order", "role__code"]

    def __str__(self) -> str:
        return f"{self.role_id}: {self.share} %"


class CommissionRun(models.Model):
    """One computation of a period's statements (by a person, the job or the command): when, by whom,
    for which scope, how many statements, and its state when it ran in the background."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period_kind = models.CharField(max_length=7, choices=PlanPeriod.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=7, choices=State.choices, default=State.DONE)
    statements = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    computed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("commission run")
        verbose_name_plural = _("commission runs")
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.period_kind} {self.period_start}: {self.statements}"


class CommissionStatement(models.Model):
    """A seller's commission statement for a period: the plan version it was computed under (its terms
    copied to `terms`), everything it was computed from (`inputs`: credits, quota, group, expenses), the
    totals and the payout (= the sum of the lines). Computing the period again replaces the lines and
    bumps `version`; unchanged inputs give the same figures (idempotent)."""

    user = models.ForeignKey(USER, verbose_name=_("seller"), on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, null=True, on_delete=models.SET_NULL, related_name="+")
    run = models.ForeignKey(CommissionRun, null=True, on_delete=models.SET_NULL, related_name="+")
    plan = models.ForeignKey(CommissionPlan, null=True, on_delete=models.SET_NULL, related_name="+")
    plan_code = models.SlugField(max_length=40)
    plan_name_zh = models.CharField(max_length=200)
    plan_name_en = models.CharField(max_length=200)
    plan_kind = models.CharField(max_length=20, choices=PlanKind.choices)
    plan_version_from = models.DateField()
    terms = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)
    period_kind = models.CharField(_("period"), max_length=7, choices=PlanPeriod.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    quota = models.DecimalField(_("quota"), max_digits=20, decimal_places=2, null=True)
    credited = models.DecimalField(_("credited revenue"), max_digits=20, decimal_places=2)
    attainment = models.DecimalField(_("attainment %"), max_digits=24, decimal_places=2, null=True)
    salary = models.DecimalField(_("salary"), max_digits=20, decimal_places=2)
    commission = models.DecimalField(_("commission"), max_digits=20, decimal_places=2)
    group_commission = models.DecimalField(_("group commission"), max_digits=20, decimal_places=2)
    expenses = models.DecimalField(_("expenses"), max_digits=20, decimal_places=2)
    payout = models.DecimalField(_("payout"), max_digits=20, decimal_places=2)
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("commission statement")
        verbose_name_plural = _("commission statements")
        ordering = ["-period_start", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period_kind", "period_start"], name="commission_statement_once"
            )
        ]
        indexes = [
            models.Index(fields=["period_kind", "period_start", "unit"], name="commission_period_unit")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period_kind} {self.period_start}: {self.payout}"

    @property
    def plan_name(self) -> str:
        return in_language(self.plan_name_zh, self.plan_name_en)


class CommissionLine(models.Model):
    """One line of a statement: the salary; a deal's credited revenue inside one band (deal, amount,
    credit share and role, band start, rate, base, amount); the group commission; a reimbursed expense.
    `capped`: the cap (or the expense cap) cut it."""

    class Kind(models.TextChoices):
        SALARY = "salary", _("Salary")
        COMMISSION = "commission", _("Commission")
        GROUP = "group", _("Group commission")
        EXPENSE = "expense", _("Approved expense")

    statement = models.ForeignKey(CommissionStatement, on_delete=models.CASCADE, related_name="lines")
    sort_order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    deal_id = models.BigIntegerField(null=True)
    deal_name = models.CharField(max_length=300, blank=True)
    deal_amount = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    share = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    role = models.CharField(max_length=40, blank=True)
    expense_id = models.BigIntegerField(null=True)
    tier_from_pct = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    rate = models.DecimalField(max_digits=7, decimal_places=4, null=True)
    base = models.DecimalField(max_digits=20, decimal_places=2)
    amount = models.DecimalField(max_digits=20, decimal_places=2)
    capped = models.BooleanField(default=False)

    class Meta:
        ordering = ["statement_id", "sort_order"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"
