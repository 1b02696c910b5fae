"""Deal control (进程管控, METHODOLOGY §2–§7): what is verified about one opportunity.

Evidence attached to exit criteria, manager approvals, C139 and bid/no-bid assessments (kept as
history: every save is a new row), the buying centre, the customer's buying milestones, the tasks a
stage creates, the expense budget and logged spend. The thresholds these use live in one
`ControlPolicy` row an admin edits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Contact
from kadence.core.i18n import in_language
from kadence.core.models import BilingualName
from kadence.domain import bid as bid_domain
from kadence.domain import buying_centre as buying_centre_domain
from kadence.domain import c139 as c139_domain
from kadence.domain import expenses as expense_domain
from kadence.pipeline.models import DealRole, ExitCriterion, Opportunity, Stage, StageTask

USER = settings.AUTH_USER_MODEL
# The shipped thresholds, as the domain states them.
BANDS = c139_domain.BandRules()
BID = bid_domain.BidRules()
EXPENSES = expense_domain.Thresholds()


def _default_required_roles() -> list[str]:
    return list(buying_centre_domain.REQUIRED_ROLES)


def _default_extensions() -> str:
    return "pdf,doc,docx,xls,xlsx,ppt,pptx,odt,ods,odp,txt,csv,png,jpg,jpeg,gif,webp,zip,msg,eml"


class ControlPolicy(models.Model):
    """The thresholds of deal control, one row (pk 1) edited by an admin. Shipped defaults are
    METHODOLOGY's; `ControlPolicy.current()` returns the row, creating it with defaults if missing."""

    c139_rule = models.CharField(
        _("C139 rule"),
        max_length=8,
        default=str(BANDS.rule),
        help_text=_('The result an opportunity must reach or beat ("or better" = every tier).'),
    )
    c139_min_clear_mid = models.PositiveSmallIntegerField(
        _("C139 Clears for the 25–50% band"), default=BANDS.min_clear_mid
    )
    evidence_max_bytes = models.PositiveIntegerField(
        _("largest evidence file (bytes)"), default=20 * 1024 * 1024
    )
    evidence_extensions = models.CharField(
        _("allowed evidence file types"),
        max_length=500,
        default=_default_extensions,
        help_text=_("File name extensions, comma separated."),
    )
    expense_warn_pct = models.DecimalField(
        _("expense warning (percent of budget)"), max_digits=5, decimal_places=1, default=EXPENSES.warn_pct
    )
    expense_limit_pct = models.DecimalField(
        _("expense limit (percent of budget)"), max_digits=5, decimal_places=1, default=EXPENSES.limit_pct
    )
    required_buying_roles = models.JSONField(
        _("buying roles a deal must cover"), default=_default_required_roles
    )
    contact_stale_days = models.PositiveSmallIntegerField(
        _("key contact not met for more than (days)"), default=30
    )
    bid_pursue_min_score = models.SmallIntegerField(
        _("bid score to pursue (at least)"), default=BID.pursue_min_score
    )
    bid_abandon_max_score = models.SmallIntegerField(
        _("bid score to abandon (at most)"), default=BID.abandon_max_score
    )
    bid_abandon_min_signs = models.PositiveSmallIntegerField(
        _("abandon-type signs that suggest abandoning"), default=BID.abandon_min_signs
    )
    bid_qualify_days = models.PositiveSmallIntegerField(
        _("days to qualify further (default deadline)"), default=BID.qualify_days
    )
    milestone_slip_warn_days = models.PositiveSmallIntegerField(
        _("milestone slippage flagged after (days)"), default=7
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deal control policy")
        verbose_name_plural = _("deal control policy")

    def __str__(self) -> str:
        return str(_("Deal control policy"))

    @classmethod
    def current(cls) -> ControlPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def allowed_extensions(self) -> set[str]:
        return {e.strip().lower().lstrip(".") for e in self.evidence_extensions.split(",") if e.strip()}


class Evidence(models.Model):
    """Proof for an exit criterion (METHODOLOGY §2): a file (kept through Django's storage API and
    served only through a visibility check), a link or a note, with who and when. `evidence_type` is
    copied from the criterion (e.g. "meeting_minutes"), so proof given for one template's criterion
    also counts for another criterion asking for the same type. Removing evidence keeps the row
    (`removed_at`), so the record of what was once shown survives."""

    class Kind(models.TextChoices):
        FILE = "file", _("File")
        LINK = "link", _("Link")
        NOTE = "note", _("Note")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="evidence")
    criterion = models.ForeignKey(
        ExitCriterion,
        verbose_name=_("exit criterion"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    evidence_type = models.SlugField(_("evidence type"), max_length=60, blank=True)
    stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", blank=True, max_length=300)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    removed_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-added_at", "-id"]
        indexes = [models.Index(fields=["opportunity", "removed_at"], name="evidence_opp_live")]

    def __str__(self) -> str:
        return self.title


class GateApproval(models.Model):
    """A manager's approval of an `approval` exit criterion for one opportunity. The approver is
    never the owner; revoking keeps the row."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="approvals")
    criterion = models.ForeignKey(ExitCriterion, on_delete=models.CASCADE, related_name="+")
    approved_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("gate approval")
        verbose_name_plural = _("gate approvals")
        ordering = ["-approved_at", "-id"]
        indexes = [models.Index(fields=["opportunity", "criterion"], name="approval_opp_criterion")]

    def __str__(self) -> str:
        return f"{self.criterion_id} ✔ {self.approved_by_id}"


class C139Question(BilingualName):
    """The wording of one C139 item (C1…C9, F1…F3, W1), editable by an admin (METHODOLOGY §3)."""

    class Tier(models.TextChoices):
        CLEAR = "clear", _("Clear")
        FIRST = "first", _("First")
        WIN = "win", _("Win")

    code = models.CharField(_("code"), max_length=3, unique=True)
    tier = models.CharField(_("tier"), max_length=5, choices=Tier.choices)
    order = models.PositiveSmallIntegerField(default=0)
    guidance = models.TextField(_("guidance"), blank=True)

    class Meta:
        verbose_name = _("C139 item")
        verbose_name_plural = _("C139 items")
        ordering = ["order"]


class C139Assessment(models.Model):
    """One C139 assessment of a deal (every save is a new row: the history of assessments).
    `result` is "xCyFzW"; `meets_rule` whether it reaches the policy's rule ("or better" on every
    tier); the band is the probability band of that result (METHODOLOGY §3)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="c139_assessments")
    assessed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    assessed_at = models.DateTimeField(default=timezone.now)
    clear = models.PositiveSmallIntegerField(default=0)
    first = models.PositiveSmallIntegerField(default=0)
    win = models.PositiveSmallIntegerField(default=0)
    win_against = models.BooleanField(default=False)
    result = models.CharField(_("result"), max_length=8)
    meets_rule = models.BooleanField(_("meets the rule"), default=False)
    band = models.CharField(_("band"), max_length=12)
    band_low = models.DecimalField(max_digits=5, decimal_places=2)
    band_high = models.DecimalField(max_digits=5, decimal_places=2)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("C139 assessment")
        verbose_name_plural = _("C139 assessments")
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["opportunity", "assessed_at"], name="c139_opp_at")]

    def __str__(self) -> str:
        return self.result


class C139Answer(models.Model):
    """One item of a C139 assessment: status, the contact it was confirmed with, when, and a note."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        UNKNOWN = "unknown", _("Unknown")
        NEGATIVE = "negative", _("Negative")

    assessment = models.ForeignKey(C139Assessment, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    confirmed_with = models.ForeignKey(
        Contact,
        verbose_name=_("confirmed with"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("C139 answer")
        verbose_name_plural = _("C139 answers")
        ordering = ["assessment_id", "id"]
        constraints = [models.UniqueConstraint(fields=["assessment", "item"], name="c139_answer_unique_item")]

    def __str__(self) -> str:
        return f"{self.item}: {self.status}"


class BidAssessment(models.Model):
    """A bid / no-bid assessment (争取型 vs 放弃型, METHODOLOGY §5): four questions scored +1 / 0 / −1,
    the pursue-type conditions and abandon-type signs, the buyer type, the suggested outcome from the
    policy's thresholds and the outcome decided (pursue / qualify further by a deadline / abandon).
    Every save is a new row."""

    class Outcome(models.TextChoices):
        PURSUE = "pursue", _("Pursue")
        QUALIFY = "qualify", _("Qualify further")
        ABANDON = "abandon", _("Abandon")

    class BuyerType(models.TextChoices):
        GOVERNMENT = "government", _("Government / public sector")
        MILITARY = "military", _("Military")
        ENTERPRISE = "enterprise", _("Enterprise")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="bid_assessments")
    assessed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    assessed_at = models.DateTimeField(default=timezone.now)
    buyer_type = models.CharField(
        _("buyer type"), max_length=12, choices=BuyerType.choices, default=BuyerType.ENTERPRISE
    )
    real_opportunity = models.SmallIntegerField(_("is there a real opportunity?"), default=0)
    can_compete = models.SmallIntegerField(_("can we compete?"), default=0)
    can_win = models.SmallIntegerField(_("can we win?"), default=0)
    worth_winning = models.SmallIntegerField(_("is it worth winning?"), default=0)
    meets_minimum_spec = models.BooleanField(
        _("our product meets the minimum technical requirements"), default=False
    )
    close_relationship = models.BooleanField(_("we have a close relationship with the buyer"), default=False)
    genuine_competition = models.BooleanField(
        _("the purchase seeks genuine best-value competition"), default=False
    )
    spec_biased = models.BooleanField(_("technical parameters written for a competitor"), default=False)
    relationship_vague = models.BooleanField(_("relationship with the buyer is vague"), default=False)
    competitor_advantage = models.BooleanField(_("a competitor's advantage is obvious"), default=False)
    score = models.SmallIntegerField(_("score"), default=0)
    suggested_outcome = models.CharField(_("suggested outcome"), max_length=8, choices=Outcome.choices)
    outcome = models.CharField(_("decision"), max_length=8, choices=Outcome.choices)
    qualify_by = models.DateField(_("qualify by"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("bid / no-bid assessment")
        verbose_name_plural = _("bid / no-bid assessments")
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["opportunity", "assessed_at"], name="bid_opp_at")]

    def __str__(self) -> str:
        return self.outcome


class BuyingCentreMember(models.Model):
    """A contact in a deal's buying centre (METHODOLOGY §4) with the roles, attitude and influence
    they have on this deal (they may differ from deal to deal), and the last time we met them when
    it is known outside the activity log."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="buying_centre")
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="deal_roles"
    )
    roles = models.JSONField(_("buying roles"), default=list, blank=True)
    attitude = models.CharField(
        _("attitude"), max_length=10, choices=Contact.Attitude.choices, default=Contact.Attitude.NEUTRAL
    )
    influence = models.CharField(
        _("influence"), max_length=10, choices=Contact.Influence.choices, default=Contact.Influence.MEDIUM
    )
    is_key = models.BooleanField(_("key contact"), default=False)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("buying centre member")
        verbose_name_plural = _("buying centre")
        ordering = ["opportunity_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "contact"], name="buying_centre_unique_contact")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.roles}"


class Milestone(models.Model):
    """The customer's buying step of one stage for one deal, with planned and actual dates
    (项目里程碑四步分析法, METHODOLOGY §2). Slippage = actual − planned days (or today − planned while
    open and overdue). `competition_note` records where we lag the competition."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="milestones")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    planned_on = models.DateField(_("planned"), null=True, blank=True)
    actual_on = models.DateField(_("actual"), null=True, blank=True)
    competition_note = models.CharField(_("where we lag the competition"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    updated_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["opportunity_id", "stage__order"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "stage"], name="milestone_unique_stage")
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}: {self.planned_on} / {self.actual_on}"


class OpportunityTask(BilingualName):
    """A task of a stage's task list on one deal, created when the deal enters the stage, with its
    completion standard; done when someone completes it with a note on how the standard was met.
    Names and standards are copied from the stage task, so editing the methodology later does not
    rewrite the tasks deals already have."""

    # task_unique_per_stage leads with the deal, task_assignee_open with the assignee: no index of their
    # own (migration 0007)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    stage_task = models.ForeignKey(
        StageTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    code = models.SlugField(max_length=60)
    standard_zh = models.TextField(_("completion standard (Chinese)"), blank=True)
    standard_en = models.TextField(_("completion standard (English)"), blank=True)
    role = models.ForeignKey(
        DealRole, verbose_name=_("role"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        USER,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deal_tasks",
        db_index=False,
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    completion_note = models.CharField(_("how the standard was met"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("deal task")
        verbose_name_plural = _("deal tasks")
        ordering = ["opportunity_id", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "stage", "code"], name="task_unique_per_stage")
        ]
        indexes = [models.Index(fields=["assignee", "done_at", "due_on"], name="task_assignee_open")]

    @property
    def standard(self) -> str:
        return in_language(self.standard_zh, self.standard_en)


class ExpenseCategory(BilingualName):
    """A kind of sales expense (travel, entertainment, demo, bidding, consultant…)."""

    code = models.SlugField(max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("expense category")
        verbose_name_plural = _("expense categories")
        ordering = ["order", "code"]


class ExpenseBudget(models.Model):
    """The expense budget of one deal for one category (费用流, METHODOLOGY §6)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="expense_budgets")
    category = models.ForeignKey(ExpenseCategory, verbose_name=_("category"), on_delete=models.PROTECT)
    amount = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    updated_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("expense budget")
        verbose_name_plural = _("expense budgets")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "category"], name="budget_unique_category")
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.amount}"


class ExpenseBudgetVersion(models.Model):
    """The version of a deal's expense budget as a whole (all its ExpenseBudget rows): every change
    names the version it was based on, so two people editing the budget at once cannot overwrite
    each other silently (the second gets a 409). A deal without this row is at version 0 (no
    budget ever set through the versioned service)."""

    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, primary_key=True, related_name="expense_budget_version"
    )
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("expense budget version")
        verbose_name_plural = _("expense budget versions")

    def __str__(self) -> str:
        return f"{self.opportunity_id}: v{self.version}"


class Expense(models.Model):
    """Money spent on a deal, in the deal's currency."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="expenses")
    category = models.ForeignKey(ExpenseCategory, verbose_name=_("category"), on_delete=models.PROTECT)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    spent_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300)
    logged_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["opportunity", "category"], name="expense_opp_category")]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.amount}"


class StallAction(models.Model):
    """What a user did about a stalled deal (METHODOLOGY §8.2): a dated next step, a downgrade
    (moved back a stage) or closing it lost, with the reasons it was stalled at that moment."""

    class Outcome(models.TextChoices):
        NEXT_STEP = "next_step", _("Dated next step")
        DOWNGRADE = "downgrade", _("Downgrade")
        CLOSE_LOST = "close_lost", _("Close lost")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stall_actions")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reasons = models.JSONField(_("why it was stalled"), default=list)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    acted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    acted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("stall action")
        verbose_name_plural = _("stall actions")
        ordering = ["-acted_at", "-id"]
        indexes = [models.Index(fields=["opportunity", "acted_at"], name="stall_action_opp_at")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.outcome}"
