"""Methodology as data (process templates, stages, exit criteria, the probability ladder) and the
opportunities that run through it, with their append-only stage history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account
from kadence.core.i18n import in_language
from kadence.core.models import BilingualName, OrgUnit
from kadence.domain import funnel, ladder


class ForecastCategory(models.TextChoices):
    """Forecast categories of seed 003 (METHODOLOGY §9.2)."""

    BOOKED = "booked", _("Booked")
    COMMIT = "commit", _("Commit this quarter")
    BEST_CASE = "best_case", _("Best case this quarter")
    NEXT_QUARTER = "next_quarter", _("Best case next quarter")
    PIPELINE = "pipeline", _("Pipeline / intent")
    OMITTED = "omitted", _("Omitted")


class LadderMark(models.TextChoices):
    """What a rung means to the rules (kadence.domain.ladder): each mark is on one rung."""

    CONTACTED = ladder.CONTACTED, _("C: contacted (meeting the C139 rule here or below is under-staged)")
    QUALIFIED = ladder.QUALIFIED, _("Q: qualified (deals here or above count as qualified)")
    DEVELOPED = ladder.DEVELOPED, _("D: developed (here or above needs the C139 rule)")


class ProbabilityLevel(BilingualName):
    """A rung of the win-probability ladder (漏斗级别, METHODOLOGY §1d): I 10, C 25, Q 50, D 75,
    C 90, won 100, lost 0. `probability` is a percentage. Editing a rung changes future reads only:
    stage history keeps the probability each opp had at the time. `mark` says which rung the rules
    name (contacted, qualified, developed; kadence.pipeline.ladder reads them)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    short = models.CharField(_("short label"), max_length=10)
    order = models.PositiveSmallIntegerField(_("order"))
    probability = models.DecimalField(_("probability %"), max_digits=5, decimal_places=2)
    is_won = models.BooleanField(default=False)
    is_lost = models.BooleanField(default=False)
    default_forecast_category = models.CharField(
        _("default forecast category"),
        max_length=20,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    conditions_zh = models.TextField(_("conditions (Chinese)"), blank=True)
    conditions_en = models.TextField(_("conditions (English)"), blank=True)
    mark = models.CharField(_("mark"), max_length=10, choices=LadderMark.choices, blank=True, default="")

    class Meta:
        verbose_name = _("probability level")
        verbose_name_plural = _("probability ladder")
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["mark"], condition=~models.Q(mark=""), name="level_mark_once")
        ]

    def __str__(self) -> str:
        return f"{self.badge} {self.probability:.0f}%"

    @property
    def badge(self) -> str:
        """The label shown on badges: the short code (I, C, Q, D, C90) for open rungs, the name in the
        active language for the closing rungs (赢单 / Won, 丢单 / Lost)."""
        return self.name if (self.is_won or self.is_lost) else self.short


class ProcessTemplate(BilingualName):
    """A standardised sales process (one per pipeline). Four ship (METHODOLOGY §1); 天龙八部 is the
    default. An admin may add stages or rename them; history rows keep their own copies of names
    and levels, so edits never rewrite the past."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default template"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    use_calibrated = models.BooleanField(
        _("use calibrated probabilities"),
        default=False,
        help_text=_(
            "Reports and forecasts use the win rates observed in closed history instead of the ladder's "
            "configured probabilities, where a bucket has enough outcomes (forecast policy)."
        ),
    )

    class Meta:
        verbose_name = _("process template")
        verbose_name_plural = _("process templates")
        ordering = ["-is_default", "code"]


class Stage(BilingualName):
    """One ordered stage of a template, mapped to the customer's buying step, with its default level
    and standard duration in days (used by stall detection and the ideal funnel)."""

    template = models.ForeignKey(ProcessTemplate, on_delete=models.PROTECT, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=40)
    buying_step_zh = models.CharField(_("customer's buying step (Chinese)"), max_length=200, blank=True)
    buying_step_en = models.CharField(_("customer's buying step (English)"), max_length=200, blank=True)
    default_level = models.ForeignKey(
        ProbabilityLevel, verbose_name=_("default level"), on_delete=models.PROTECT
    )
    standard_days = models.PositiveIntegerField(_("standard days"), default=30)
    is_won = models.BooleanField(_("closing (won) stage"), default=False)
    description = models.TextField(_("description"), blank=True)
    required_roles: models.ManyToManyField[DealRole, Any] = models.ManyToManyField(
        "DealRole",
        verbose_name=_("roles this stage needs"),
        blank=True,
        related_name="stages",
        help_text=_(
            "Deal-team roles that must be filled while an opportunity is in this stage (METHODOLOGY §6)."
        ),
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["template_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "order"], name="stage_unique_order"),
            models.UniqueConstraint(fields=["template", "code"], name="stage_unique_code"),
        ]

    @property
    def buying_step(self) -> str:
        return in_language(self.buying_step_zh, self.buying_step_en)


class ExitCriterion(BilingualName):
    """What must be true to leave a stage (成功标准, METHODOLOGY §2). `kind` says how it is verified;
    `config` holds the kind's parameters (the field name, a C139 threshold, the approving role…)."""

    class Kind(models.TextChoices):
        EVIDENCE = "evidence", _("Evidence")
        FIELD = "field", _("Field")
        ASSESSMENT = "assessment", _("Assessment")
        APPROVAL = "approval", _("Approval")
        TASK = "task", _("Task")

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="exit_criteria")
    order = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    config = models.JSONField(_("parameters"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("exit criterion")
        verbose_name_plural = _("exit criteria")
        ordering = ["stage_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["stage", "code"], name="criterion_unique_code")]


class StageTask(BilingualName):
    """A task of a stage's task list (任务清单) with its completion standard (达成标准), METHODOLOGY §1c.
    Entering the stage creates one task per active row on the opportunity, assigned to whoever fills
    `role` on the deal team (else the owner) and due `due_days` after entry. An exit criterion of
    kind `task` names a task by `code`."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=60)
    standard_zh = models.TextField(_("completion standard (Chinese)"), blank=True)
    standard_en = models.TextField(_("completion standard (English)"), blank=True)
    role = models.ForeignKey(
        "DealRole", verbose_name=_("role"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_days = models.PositiveSmallIntegerField(_("due after entry (days)"), default=7)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stage task")
        verbose_name_plural = _("stage tasks")
        ordering = ["stage_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["stage", "code"], name="stagetask_unique_code")]

    @property
    def standard(self) -> str:
        return in_language(self.standard_zh, self.standard_en)


class ProductLine(BilingualName):
    """A product line (产品线) an opportunity may include."""

    code = models.SlugField(max_length=40, unique=True)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["code"]


class Competitor(models.Model):
    """A competing vendor."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LossReason(BilingualName):
    """Why a deal was lost; required when closing lost."""

    code = models.SlugField(max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")
        ordering = ["order", "code"]


class DealRole(BilingualName):
    """A role someone plays on a deal team (pre-sales, consultant, executive, finance, legal…)."""

    code = models.SlugField(max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("deal role")
        verbose_name_plural = _("deal roles")
        ordering = ["order", "code"]


class StagingFlag(models.TextChoices):
    """Where the claimed stage and the verified evidence disagree (METHODOLOGY §1d, §3)."""

    OVER = "over", _("Over-staged")
    UNDER = "under", _("Under-staged")


class Opportunity(models.Model):
    """A deal (商机 / 项目) being pursued at an account.

    `level` is the verified rung of the probability ladder and `probability` the percentage that
    went with it when it was set (the rep never types a probability). `team` is the owner's org unit,
    kept in step by the services. `version` increases on every write (optimistic concurrency).
    `stage_entered_at` is when the opp entered its current stage. `c139_result` is the latest C139
    assessment ("8C1F0W"; empty when never assessed) and `staging_flag` says whether the stage
    outruns the evidence ("over") or lags it ("under"); both are kept by the deal-control services.

    The `stall_*` columns are the deal's stall summary (kadence.pipeline.stall), the facts the stalled
    deals report would otherwise probe per deal, over all the deal's rows whatever their date:
    `stall_last_activity_on` the date of its last done customer-side activity (None: none),
    `stall_next_step_on` / `stall_next_step_at` the date and the time of recording of its latest dated
    next step (a StallAction "next_step"; None: none), `stall_close_pushes` how many times its
    expected close date was pushed later (AuditEntry rows). The services that write those rows keep
    them exact under the deal's row lock; they change neither `version` nor `updated_at`.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,  # opp_owner_status leads with it (migration 0030)
    )
    team = models.ForeignKey(
        OrgUnit,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,  # opp_team_close leads with it (migration 0030)
    )
    template = models.ForeignKey(ProcessTemplate, verbose_name=_("process"), on_delete=models.PROTECT)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    level = models.ForeignKey(
        ProbabilityLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="+"
    )
    probability = models.DecimalField(_("probability %"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    expected_close_date = models.DateField(_("expected close date"))
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=20,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    status = models.CharField(_("status"), max_length=5, choices=Status.choices, default=Status.OPEN)
    loss_reason = models.ForeignKey(
        LossReason, verbose_name=_("loss reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    winning_competitor = models.ForeignKey(
        Competitor,
        verbose_name=_("winning competitor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    c139_result = models.CharField(_("C139 result"), max_length=8, blank=True, default="")
    staging_flag = models.CharField(
        _("staging"), max_length=5, choices=StagingFlag.choices, blank=True, default=""
    )
    product_lines = models.ManyToManyField(ProductLine, verbose_name=_("product lines"), blank=True)
    competitors = models.ManyToManyField(
        Competitor, verbose_name=_("competitors"), blank=True, related_name="opportunities"
    )
    description = models.TextField(_("description"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    # The deal's id in the system it was imported from: an import finds it again by this (issue 12).
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="", db_default="")
    stage_entered_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    stall_last_activity_on = models.DateField(null=True, blank=True, editable=False)
    stall_next_step_on = models.DateField(null=True, blank=True, editable=False)
    stall_next_step_at = models.DateTimeField(null=True, blank=True, editable=False)
    stall_close_pushes = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # The moment of the deal's latest history row that began a stay in a (stage, level) — a stage entry
    # or a level change inside the stage (kadence.pipeline.stays); None when its history has none (a
    # bulk load). Kept by the history writer (kadence.pipeline.changes.write) and summary.rebuild.
    stay_began_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "team", "stage"], name="opp_status_team_stage"),
            models.Index(fields=["owner", "status"], name="opp_owner_status"),
            models.Index(fields=["expected_close_date"], name="opp_close_date"),
            models.Index(fields=["team", "expected_close_date"], name="opp_team_close"),
            # The list's sort orders, carrying the team: a manager's or director's page walks the
            # index and tests "in my units" on the index entry itself (an index-only scan), where
            # fetching each row to test it cost a manager with 0.4 % of the deals 150 ms.
            models.Index(fields=["updated_at", "id"], name="opp_updated", include=["team"]),
            models.Index(fields=["amount", "id"], name="opp_amount", include=["team"]),
            models.Index(fields=["created_at", "id"], name="opp_created", include=["team"]),
            # Open deals: the board's cards per stage (biggest first) and the home page's deals by
            # close date, without reading the closed three quarters of the table.
            models.Index(
                fields=["stage", "-amount", "id"],
                name="opp_open_stage_amount",
                condition=models.Q(status="open"),
                include=["team"],
            ),
            models.Index(
                fields=["expected_close_date", "-amount", "id"],
                name="opp_open_close",
                condition=models.Q(status="open"),
                include=["team"],
            ),
            # Won deals by close date, covering what the forecast sums, what the capacity check
            # sums per template and our revenue per account (kadence.keyaccounts.revenue: a year's
            # revenue of 50,000 accounts) — index-only on PostgreSQL.
            models.Index(
                fields=["closed_on"],
                name="opp_won_closed_template",
                condition=models.Q(status="won"),
                include=["id", "owner", "team", "amount", "probability", "template", "account"],
            ),
            # Open deals by stage and entry time: the capacity check reads only the deals long in
            # their stage (kadence.insights.selectors.ideal.stalled_deals), not a company's open deals.
            models.Index(
                fields=["stage", "stage_entered_at"],
                name="opp_open_stage_entered",
                condition=models.Q(status="open"),
                include=["owner", "team", "template"],
            ),
            # Open deals with what the stalled deals report reads of each (kadence.pipeline.stall):
            # a company's or a team's open deals are read index-only, not from the whole table.
            models.Index(
                fields=["team", "owner"],
                name="opp_open_stall",
                condition=models.Q(status="open"),
                include=[
                    "id",
                    "stage",
                    "stage_entered_at",
                    "created_at",
                    "expected_close_date",
                    "stall_last_activity_on",
                    "stall_next_step_on",
                    "stall_next_step_at",
                    "stall_close_pushes",
                ],
            ),
            # Open deals with what the probabilistic forecast reads of each (issue 11 §5: amount, process,
            # level, stage, close date, the start of the stay; owner and team for the scope), in id order:
            # a company's quarter of a million open deals index-only, not from the whole table.
            models.Index(
                fields=["id"],
                name="opp_open_forecast",
                condition=models.Q(status="open"),
                include=[
                    "amount",
                    "template",
                    "level",
                    "stage",
                    "expected_close_date",
                    "stay_began_at",
                    "stage_entered_at",
                    "owner",
                    "team",
                ],
            ),
            models.Index(fields=["external_id"], name="opp_external_id", condition=~models.Q(external_id="")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_amount(self) -> Decimal:
        """amount × probability ÷ 100, exact (kadence.domain.funnel.weighted_amount)."""
        return funnel.weighted_amount(self.amount, self.probability)


class OpportunityTeamMember(models.Model):
    """Someone on an opportunity's deal team (团队作战), with their role. Being on the team makes the
    opp visible to them."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="deal_teams"
    )
    role = models.ForeignKey(DealRole, verbose_name=_("role"), on_delete=models.PROTECT)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deal team member")
        verbose_name_plural = _("deal team members")
        constraints = [models.UniqueConstraint(fields=["opportunity", "user"], name="team_member_unique")]
        indexes = [models.Index(fields=["user", "opportunity"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class StageChange(models.Model):
    """One immutable row of an opportunity's history: what changed and the deal as it stood at that
    moment (stage, level, probability, amount, close date, status, owner, team, forecast category).
    Every change of any of those is a row (kadence.pipeline.changes): a stage or status transition
    by its kind, a change inside the stage (a level earned or lost, an amount, a close date, a
    category) as `updated`, a new owner as `reassigned`. So the deal at any moment is its row with
    the highest id among those changed before then. The first row of every opp has no `from_stage`
    (creation). Rows are never updated or deleted; names are copied so that renaming a stage later
    does not rewrite what the history says.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ADVANCED = "advanced", _("Advanced")
        MOVED_BACK = "moved_back", _("Moved back")
        WON = "won", _("Closed won")
        LOST = "lost", _("Closed lost")
        REOPENED = "reopened", _("Reopened")
        UPDATED = "updated", _("Updated")
        REASSIGNED = "reassigned", _("Reassigned")

    # The kinds that move a deal between stages or statuses: what stage flows, conversion, slip and
    # stage durations count. `updated` and `reassigned` rows record a change inside the stage.
    TRANSITIONS = (
        Kind.CREATED,
        Kind.ADVANCED,
        Kind.MOVED_BACK,
        Kind.WON,
        Kind.LOST,
        Kind.REOPENED,
    )

    # opportunity, owner and team have no index of their own: each leads a composite index below
    # (stagechange_opp_at, stagechange_owner_at, stagechange_team_at), which serves their look-ups and
    # the foreign-key checks; a second copy was only upkeep on every history row written (migration 0030)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    from_stage_name = models.CharField(max_length=200, blank=True)
    to_stage_name = models.CharField(max_length=200)
    from_stage_name_en = models.CharField(max_length=200, blank=True, db_default="")
    to_stage_name_en = models.CharField(max_length=200, blank=True, db_default="")
    from_level = models.ForeignKey(
        ProbabilityLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_level = models.ForeignKey(ProbabilityLevel, on_delete=models.PROTECT, related_name="+")
    probability = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    expected_close_date = models.DateField()
    status = models.CharField(max_length=5, choices=Opportunity.Status.choices)
    days_in_from_stage = models.PositiveIntegerField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    overridden = models.BooleanField(_("advanced without evidence"), default=False)
    overridden_criteria = models.JSONField(_("criteria not met at the override"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    forecast_category = models.CharField(max_length=20, blank=True, db_default="")

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        ordering = ["opportunity_id", "changed_at", "id"]
        indexes = [
            # a deal's rows in time order, covering what the reads at a past date and the start of a
            # stay look for (the row in force, its stage entry, the row that began the stay): on
            # PostgreSQL those per-deal lookups read the index alone
            models.Index(
                fields=["opportunity", "changed_at", "id"],
                name="stagechange_opp_at",
                # expected_close_date: the forecast's slip reads each won deal's last planned close date
                # (144k look-ups at 1M deals) from the index alone — 6 s with heap fetches, 1.3 s without
                include=["kind", "from_level", "to_level", "expected_close_date"],
            ),
            # the deals changed between two moments (the replay after a snapshot), from the index alone
            models.Index(fields=["changed_at"], name="stagechange_at", include=["opportunity"]),
            # what changed in a team's or a seller's pipeline since a date (the pipeline-changes report)
            models.Index(fields=["team", "changed_at"], name="stagechange_team_at"),
            models.Index(fields=["owner", "changed_at"], name="stagechange_owner_at"),
            # Moves made without the evidence (the gate-overrides report): a few in a thousand.
            models.Index(
                fields=["changed_at", "id"],
                name="stagechange_overridden",
                condition=models.Q(overridden=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage_name or '∅'} → {self.to_stage_name} ({self.kind})"

    @property
    def from_stage_label(self) -> str:
        """The stage left, named as it was called when the move happened, in the active language."""
        return in_language(self.from_stage_name, self.from_stage_name_en)

    @property
    def to_stage_label(self) -> str:
        return in_language(self.to_stage_name, self.to_stage_name_en)


class PipelineTotal(models.Model):
    """Open pipeline summed per owner × team × stage × level × forecast category × close month: an
    exact, incrementally maintained summary of the open opportunities (every service that changes an
    open deal moves its contribution from the old key to the new one in the same transaction;
    `kadence rebuild_summaries` recomputes it from scratch). Reports read it instead of scanning
    the opportunities. `entered_days` is Σ (date the deal entered its stage, as days since
    1970-01-01), so the average age of a cell is as_of − entered_days ÷ count."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    level = models.ForeignKey(ProbabilityLevel, on_delete=models.CASCADE, related_name="+")
    forecast_category = models.CharField(max_length=20)
    close_month = models.DateField()
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    weighted = models.DecimalField(max_digits=22, decimal_places=4, default=0)
    entered_days = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("pipeline total")
        verbose_name_plural = _("pipeline totals")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "team", "stage", "level", "forecast_category", "close_month"],
                name="pipeline_total_key",
            )
        ]
        indexes = [models.Index(fields=["team", "stage"], name="pipeline_total_team")]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.owner_id}/{self.stage_id}: {self.count}"


class MonthEndPipeline(models.Model):
    """The open pipeline at the end of each completed month, per team × stage: for every deal,
    its stage-history row in force at the end of that day (the row with the highest id among those
    changed before it, as the funnel reconstructs a past date), counted when that row is open, under
    the team that row names (the team that held the deal then, kadence.pipeline.expressions.holder).

    History rows are written at the moment they happen, so a month that has ended can no longer
    change (a later reassignment moves nothing). A month-end is built
    once, for the whole company, by the first read after it (or by `kadence rebuild_summaries`, the
    migration that added it); MonthEndBuilt lists those built. `weighted` is exact (six decimals).
    A seller's own figures are read from the history directly (a book of deals is small), so there is
    no owner here: a team holds ten times fewer rows than its sellers would."""

    month_end = models.DateField()
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    weighted = models.DecimalField(max_digits=24, decimal_places=6, default=0)

    class Meta:
        verbose_name = _("month-end pipeline")
        verbose_name_plural = _("month-end pipeline")
        constraints = [models.UniqueConstraint(fields=["month_end", "team", "stage"], name="month_end_key")]

    def __str__(self) -> str:
        return f"{self.month_end}/{self.team_id}/{self.stage_id}: {self.count}"


class StaySummary(models.Model):
    """The stays of the deals in their (stage, level) states (kadence.pipeline.stays), counted: an
    exact, incrementally maintained summary of the history's rows that begin a stay (a stage entry, a
    level change inside the stage) or close a deal (won, lost), for the time-aware forecast
    (kadence.insights.selectors.timeaware). A stay still open (`outcome` censored) counts under the
    local day number it began (`began`, `days` 0); an ended one under the day number of the first day
    of the month it began, with its length in days, its outcome (won, lost, moved) and, when moved,
    the state it moved to (`to_stage_id`, `to_level_id`; 0 otherwise). The history writer keeps it
    (kadence.pipeline.changes.write), `summary.rebuild` recomputes it."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    level = models.ForeignKey(ProbabilityLevel, on_delete=models.CASCADE, related_name="+")
    outcome = models.PositiveSmallIntegerField()
    began = models.IntegerField()
    days = models.IntegerField()
    to_stage_id = models.IntegerField(default=0)
    to_level_id = models.IntegerField(default=0)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("stay summary")
        verbose_name_plural = _("stay summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["began", "stage", "level", "outcome", "days", "to_stage_id", "to_level_id"],
                name="stay_summary_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}/{self.level_id} from {self.began}: {self.outcome} after {self.days}"


class MonthEndBuilt(models.Model):
    """A month-end whose MonthEndPipeline rows are built (an empty month has no pipeline rows)."""

    month_end = models.DateField(unique=True)
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("built month-end")
        verbose_name_plural = _("built month-ends")

    def __str__(self) -> str:
        return str(self.month_end)


class StageFlow(models.Model):
    """Stage-history events counted per owner × team × month × kind × from stage × to stage: an exact,
    incrementally maintained summary of StageChange (each new history row adds itself; `kadence
    rebuild_summaries` recomputes it). Conversion, win rate, average won amount and cycle length over
    a window read it instead of the history. A creation row has `from_stage` = `to_stage`. Events
    count under the owner and team the history row names, who held the deal at that moment
    (kadence.pipeline.expressions.holder): a reassignment moves nothing, so a month that has ended never
    changes and a team's funnel at any past date reads it as it is. `days` is
    Σ days spent in the stage left; `cycle_days` Σ days from creation to the event (used for wins)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    kind = models.CharField(max_length=12)
    from_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    days = models.BigIntegerField(default=0)
    cycle_days = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("stage flow")
        verbose_name_plural = _("stage flows")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "team", "month", "kind", "from_stage", "to_stage"], name="stage_flow_key"
            )
        ]
        indexes = [models.Index(fields=["team", "month"], name="stage_flow_team_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.kind} {self.from_stage_id}->{self.to_stage_id}: {self.count}"


class WonTotal(models.Model):
    """Won deals summed per owner × team × month of their close date (`closed_on`): an exact,
    incrementally maintained summary like PipelineTotal (the same tracking moves a deal in when it
    is won and out when it is reopened). Forecasts read what was booked in a period from it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    closed_month = models.DateField()
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    weighted = models.DecimalField(max_digits=22, decimal_places=4, default=0)

    class Meta:
        verbose_name = _("won total")
        verbose_name_plural = _("won totals")
        constraints = [
            models.UniqueConstraint(fields=["owner", "team", "closed_month"], name="won_total_key")
        ]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.owner_id}/{self.closed_month}: {self.count}"


class SnapshotPolicy(models.Model):
    """How often the pipeline is snapshotted (one row, pk 1; kadence.pipeline.snapshots). A snapshot is
    due at the end of every day whose day number (days since 1970-01-01) minus 3 is a multiple of
    `every_days`: with the default 7, every Sunday (the end of the Monday-to-Sunday week); 1 is daily,
    14 every other Sunday. Snapshots already taken are kept when it changes."""

    every_days = models.PositiveSmallIntegerField(_("snapshot every (days)"), default=7)
    updated_at = models.DateTimeField(default=timezone.now)
    # the last day whose DailyFlow rows are written (None: none yet); set by the snapshot builder
    flows_through = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("snapshot policy")
        verbose_name_plural = _("snapshot policy")

    def __str__(self) -> str:
        return str(_("Pipeline snapshot every %(days)s days") % {"days": self.every_days})

    @classmethod
    def current(cls) -> SnapshotPolicy:
        found = cls.objects.filter(pk=1).first()
        return found if found is not None else cls(pk=1)


class PipelineSnapshot(models.Model):
    """An exact copy of every deal open at the end of the day `taken_on` (local calendar), as the
    stage history says it stood then: its SnapshotDeal rows. `complete` is set when every row is
    written; readers only use complete snapshots. Kept forever (kadence.pipeline.snapshots)."""

    taken_on = models.DateField(_("taken on"), unique=True)
    built_at = models.DateTimeField(default=timezone.now)
    complete = models.BooleanField(default=False)
    deals = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("pipeline snapshot")
        verbose_name_plural = _("pipeline snapshots")

    def __str__(self) -> str:
        return str(self.taken_on)


class SnapshotDeal(models.Model):
    """One open deal in a PipelineSnapshot: a narrow copy of its history row in force at the end of the
    snapshot's day (`change`), with `entered_day` the local day number (days since 1970-01-01) it
    entered its stage then (for stage ages). About 90 bytes a row on PostgreSQL with its indexes;
    foreign keys are not constrained in the database (the snapshot is a copy of the history, checked
    and repaired against it by `kadence pipeline-snapshot --check`)."""

    id = models.BigAutoField(primary_key=True)
    snapshot = models.ForeignKey(PipelineSnapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    change = models.ForeignKey(
        StageChange, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    level = models.ForeignKey(
        ProbabilityLevel, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    probability = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    expected_close_date = models.DateField()
    forecast_category = models.CharField(max_length=20, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    team = models.ForeignKey(
        OrgUnit, null=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    entered_day = models.IntegerField()

    class Meta:
        verbose_name = _("snapshot deal")
        verbose_name_plural = _("snapshot deals")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "snapshot"], name="snapshotdeal_opp_snapshot"),
        ]
        indexes = [
            # a team's (or a set of teams') deals in one snapshot, by stage
            models.Index(fields=["snapshot", "team", "stage"], name="snapshotdeal_team"),
            models.Index(fields=["snapshot", "owner"], name="snapshotdeal_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}: {self.opportunity_id}"


class SnapshotTotal(models.Model):
    """A PipelineSnapshot's open deals summed per team × stage × level (of its SnapshotDeal rows):
    count, amount, weighted amount (amount × probability ÷ 100, unrounded) and Σ entered_day. Written
    with the snapshot and rewritten, group by group, wherever its deals are (kadence.pipeline.snapshots),
    so it always equals the grouped SnapshotDeal rows. A report at a past date reads these few rows
    and corrects them by the deals changed since, instead of reading every deal of the snapshot."""

    id = models.BigAutoField(primary_key=True)
    snapshot = models.ForeignKey(PipelineSnapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    team = models.ForeignKey(
        OrgUnit, null=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    level = models.ForeignKey(
        ProbabilityLevel, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    count = models.IntegerField()
    amount = models.DecimalField(max_digits=20, decimal_places=2)
    weighted = models.DecimalField(max_digits=26, decimal_places=6)
    entered_days = models.BigIntegerField()

    class Meta:
        verbose_name = _("snapshot total")
        verbose_name_plural = _("snapshot totals")
        indexes = [models.Index(fields=["snapshot", "team", "stage", "level"], name="snapshottotal_key")]

    def __str__(self) -> str:
        return f"{self.snapshot_id}: {self.team_id}/{self.stage_id}/{self.level_id}"


class DailyFlow(models.Model):
    """The company's stage-history transitions counted per ended day (local calendar) × kind × from stage
    × to stage: count, Σ amount, Σ cycle days (days from the deal's creation to the event, for wins),
    as StageFlow counts them but per day and without owner or team (which a reassignment would move).
    Written by the snapshot builder for every day that has ended, up to SnapshotPolicy.flows_through,
    and kept exact like the snapshots: a backdated history row adds itself to its day, `kadence
    pipeline-snapshot --check` compares them with the history and repairs them. The company funnel at
    a past date reads its flows over the history window from these few rows (kadence.pipeline.snapshots)."""

    day = models.DateField()
    kind = models.CharField(max_length=12)
    from_stage = models.ForeignKey(
        Stage, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    to_stage = models.ForeignKey(
        Stage, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    cycle_days = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily flow")
        verbose_name_plural = _("daily flows")
        constraints = [
            models.UniqueConstraint(fields=["day", "kind", "from_stage", "to_stage"], name="daily_flow_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.from_stage_id}->{self.to_stage_id}: {self.count}"
