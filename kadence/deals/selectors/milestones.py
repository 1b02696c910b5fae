"""Reads of a deal's customer milestones (项目里程碑四步分析法, METHODOLOGY §2): one row per stage of the
deal's process template — our stage beside the customer's buying step — with the planned and actual
dates, the slippage and whether it is flagged, and a summary. A fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kadence.core.models import User
from kadence.core.visibility import access_opportunity
from kadence.deals.models import ControlPolicy, Milestone
from kadence.domain import milestones as domain
from kadence.pipeline.models import Opportunity, Stage


@dataclass
class MilestoneRow:
    """One stage of the template and its milestone on this deal (`milestone` None until dated)."""

    stage: Stage
    milestone: Milestone | None
    slippage: domain.Slippage
    is_current: bool

    @property
    def planned_on(self) -> date | None:
        return self.milestone.planned_on if self.milestone else None

    @property
    def actual_on(self) -> date | None:
        return self.milestone.actual_on if self.milestone else None

    @property
    def version(self) -> int | None:
        return self.milestone.version if self.milestone else None

    @property
    def badge(self) -> str:
        """The badge class of the slippage: bad when flagged, warn when late, good when on time or early."""
        days = self.slippage.days
        if days is None:
            return ""
        if self.slippage.flagged:
            return "bad"
        return "warn" if days > 0 else "good"


@dataclass
class MilestonePlan:
    opportunity: Opportunity
    as_of: date
    warn_days: int
    rows: list[MilestoneRow]
    summary: domain.SlippageSummary

    def row_for(self, stage_id: int) -> MilestoneRow | None:
        return next((r for r in self.rows if r.stage.pk == stage_id), None)


def milestone_plan_of(opp: Opportunity, as_of: date, policy: ControlPolicy | None = None) -> MilestonePlan:
    """The milestone plan of an opportunity already checked for access: three queries (policy,
    stages, milestones). Milestones of stages outside the deal's template (left from a template
    change) are not shown."""
    policy = policy or ControlPolicy.current()
    warn_days = policy.milestone_slip_warn_days
    stages = list(Stage.objects.filter(template_id=opp.template_id).order_by("order"))
    by_stage = {m.stage_id: m for m in Milestone.objects.filter(opportunity_id=opp.pk)}
    dates = [
        domain.MilestoneDates(s.pk, by_stage[s.pk].planned_on, by_stage[s.pk].actual_on)
        if s.pk in by_stage
        else domain.MilestoneDates(s.pk)
        for s in stages
    ]
    slippages, summary = domain.analyse(dates, as_of, warn_days)
    rows = [
        MilestoneRow(stage, by_stage.get(stage.pk), slip, stage.pk == opp.stage_id)
        for stage, slip in zip(stages, slippages, strict=True)
    ]
    return MilestonePlan(opp, as_of, warn_days, rows, summary)


def milestone_plan(user: User, opp_id: int, as_of: date) -> MilestonePlan:
    """The milestone plan of a deal `user` can see (404 otherwise)."""
    return milestone_plan_of(access_opportunity(user, opp_id), as_of)
