"""Single-deal diagnosis (项目型销售七步分析法, METHODOLOGY §7): the seven parts of one deal, gathered from
the capability selectors, and the dated action list with owners (kadence.domain.diagnosis)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from kadence.core.models import OrgUnit, User
from kadence.core.visibility import access_opportunity, deal_lead_candidates, leads_closer
from kadence.deals.models import BidAssessment, ControlPolicy, Evidence
from kadence.deals.selectors.assessments import bid_overdue, c139_record_of
from kadence.deals.selectors.buying_centre import BuyingCentreView, buying_centre_of
from kadence.deals.selectors.expenses import ExpenseSummary, expense_summary_of
from kadence.deals.selectors.gates import GateChecklist, gate_checklist_of
from kadence.deals.selectors.milestones import MilestonePlan, milestone_plan_of
from kadence.deals.selectors.tasks import DealTasks, deal_tasks_of
from kadence.domain import diagnosis as domain
from kadence.domain.buying_centre import (
    HIGH_INFLUENCE_OPPONENT,
    KEY_CONTACT_NEVER_MET,
    KEY_CONTACT_STALE,
    NO_COACH,
    NO_ECONOMIC_BUYER,
)
from kadence.domain.periods import add_days
from kadence.pipeline.models import ExitCriterion, Opportunity, Stage

BUYING_CENTRE_KINDS = {
    NO_ECONOMIC_BUYER: "no_economic_buyer",
    NO_COACH: "no_coach",
    HIGH_INFLUENCE_OPPONENT: "high_influence_opponent",
    KEY_CONTACT_STALE: "stale_key_contact",
    KEY_CONTACT_NEVER_MET: "stale_key_contact",
}


def deal_manager(opp: Opportunity) -> User | None:
    """Who manages the deal: an active manager of its team (else of a unit above it), else a director
    of a unit above it; None when nobody does."""
    unit_ids = (
        [
            int(p)
            for p in OrgUnit.objects.filter(pk=opp.team_id)
            .values_list("path", flat=True)
            .first()
            .strip("/")
            .split("/")
            if p
        ]
        if opp.team_id
        else []
    )
    if not unit_ids:
        return None
    candidates = list(
        deal_lead_candidates(unit_ids, exclude=opp.owner_id).values_list("pk", "role", "managed_units")
    )
    depth = {unit: i for i, unit in enumerate(unit_ids)}  # deeper = closer to the team
    best = sorted(candidates, key=lambda c: (not leads_closer(c[1]), -depth.get(c[2], -1), c[0]))
    return User.objects.filter(pk=best[0][0]).first() if best else None


@dataclass
class ActionRow:
    """One dated action: what (in words), who, by when, how urgent."""

    action: domain.Action
    text: str
    actor: User | None
    link: str = ""

    @property
    def due(self) -> date:
        return self.action.due

    @property
    def severity(self) -> str:
        return self.action.severity

    @property
    def kind(self) -> str:
        return self.action.finding.kind


@dataclass
class StageInformation:
    """Part 5, the customer's information flow per stage: the buying step, the milestone dates and
    the evidence gathered while the deal was at that stage."""

    stage: Stage
    buying_step: str
    planned_on: date | None
    actual_on: date | None
    evidence_count: int
    evidence_titles: list[str]


@dataclass
class Diagnosis:
    opportunity: Opportunity
    as_of: date
    gates: GateChecklist
    days_in_stage: int
    stalled: bool
    next_steps: list[Any]  # CriterionRow of the current stage and earlier ones not met
    competitors: list[str]
    competition_notes: list[tuple[str, str]]  # (source, note)
    bid: BidAssessment | None
    c139_result: str
    problems: list[str]
    information: list[StageInformation]
    buying_centre: BuyingCentreView
    milestones: MilestonePlan
    tasks: DealTasks
    expenses: ExpenseSummary
    manager: User | None
    actions: list[ActionRow] = field(default_factory=list)


def _text(kind: str, subject: str) -> str:
    texts = {
        "criterion_open": _("Prove “%(subject)s” (exit criterion of the current stage)."),
        "approval_open": _("Approve or reject “%(subject)s”."),
        "over_staged": _("Attach the missing proof for “%(subject)s”, or move the deal back."),
        "under_staged": _("The C139 result supports a higher stage: review whether to advance."),
        "stalled": _("Stalled in “%(subject)s”: set a dated next step, downgrade, or close as lost."),
        "close_date_passed": _("The expected close date has passed: update it or close the deal."),
        "task_overdue": _("Finish the overdue task “%(subject)s”."),
        "role_missing": _("Staff the role “%(subject)s” on the deal team."),
        "no_economic_buyer": _("Identify the economic buyer / decision maker."),
        "no_coach": _("Develop a coach inside the customer."),
        "high_influence_opponent": _(
            "Plan how to turn or neutralise %(subject)s (high influence, opposes us)."
        ),
        "stale_key_contact": _("Meet %(subject)s (key contact not met recently)."),
        "milestone_slipped": _(
            "Re-plan the customer's milestone “%(subject)s” and find where we lag the competition."
        ),
        "budget_warn": _("Expenses are near the budget: review the remaining spend."),
        "budget_over": _("Expenses reached the budget: review with the manager before spending more."),
        "bid_decision_due": _("The deadline to qualify further has passed: take the bid / no-bid decision."),
        "no_c139": _("Run a C139 assessment with the coach."),
    }
    return texts[kind] % {"subject": subject}


def deal_diagnosis(user: User, opp_id: int, as_of: date) -> Diagnosis:
    """The seven parts of the diagnosis and the action list for a deal `user` can see."""
    return deal_diagnosis_of(user, access_opportunity(user, opp_id, related=DIAGNOSIS_RELATED), as_of)


DIAGNOSIS_RELATED = ("account", "owner", "team", "template", "stage", "level")
"""What the diagnosis reads with the deal (access_opportunity(..., related=DIAGNOSIS_RELATED))."""


def deal_diagnosis_of(user: User, opp: Opportunity, as_of: date) -> Diagnosis:
    """deal_diagnosis of a deal the caller got from access_opportunity with DIAGNOSIS_RELATED: the
    deal is read once and handed to each part."""
    policy = ControlPolicy.current()
    checklist = gate_checklist_of(opp)
    centre = buying_centre_of(opp, as_of, policy)
    plan = milestone_plan_of(opp, as_of, policy)
    tasks = deal_tasks_of(user, opp, as_of)
    money = expense_summary_of(user, opp)
    c139 = c139_record_of(opp, limit=1)
    bid = BidAssessment.objects.filter(opportunity=opp).order_by("-assessed_at", "-id").first()
    manager = deal_manager(opp)
    is_open = opp.status == Opportunity.Status.OPEN
    days_in_stage = max(0, (as_of - opp.stage_entered_at.date()).days)
    stalled = is_open and days_in_stage > opp.stage.standard_days
    stage_deadline = add_days(opp.stage_entered_at.date(), opp.stage.standard_days)

    findings: list[domain.Finding] = []
    next_steps = []
    if is_open:
        for sc in checklist.stages:
            if sc.state == "todo":
                continue
            for row in sc.rows:
                if row.met:
                    continue
                next_steps.append(row)
                if sc.state == "current":
                    kind = (
                        "approval_open"
                        if row.criterion.kind == ExitCriterion.Kind.APPROVAL
                        else "criterion_open"
                    )
                    findings.append(domain.Finding(kind, row.criterion.name, due=stage_deadline))
        if opp.staging_flag == "over":
            for sc in checklist.stages:
                if sc.state == "done" and not sc.all_met:
                    findings.append(domain.Finding("over_staged", sc.stage.name))
        elif opp.staging_flag == "under":
            findings.append(domain.Finding("under_staged"))
        if stalled:
            findings.append(domain.Finding("stalled", opp.stage.name))
        if opp.expected_close_date < as_of:
            findings.append(domain.Finding("close_date_passed"))
        for row in tasks.rows:
            if row.overdue:
                findings.append(
                    domain.Finding(
                        "task_overdue", row.task.name, assignee_id=row.task.assignee_id, due=row.task.due_on
                    )
                )
        for role in tasks.missing_roles:
            findings.append(domain.Finding("role_missing", role.name))
        for flag in centre.red_flags:
            findings.append(domain.Finding(BUYING_CENTRE_KINDS[flag.code], flag.flag.name))
        for row in plan.rows:
            if row.slippage.flagged and row.actual_on is None:
                findings.append(domain.Finding("milestone_slipped", row.stage.buying_step or row.stage.name))
        if money.total.state == "over":
            findings.append(domain.Finding("budget_over"))
        elif money.total.state == "warn":
            findings.append(domain.Finding("budget_warn"))
        if bid_overdue(bid, as_of):
            findings.append(domain.Finding("bid_decision_due"))
        if c139.latest is None and opp.stage.order > 2:
            findings.append(domain.Finding("no_c139"))

    actions = domain.plan(findings, as_of, opp.owner_id, manager.pk if manager else None)
    actors = {u.pk: u for u in User.objects.filter(pk__in={a.actor_id for a in actions if a.actor_id})}
    links = {
        "criterion_open": "deal_gates",
        "approval_open": "deal_gates",
        "over_staged": "deal_gates",
        "under_staged": "deal_c139",
        "task_overdue": "deal_tasks",
        "role_missing": "deal_tasks",
        "no_economic_buyer": "deal_buying_centre",
        "no_coach": "deal_buying_centre",
        "high_influence_opponent": "deal_buying_centre",
        "stale_key_contact": "deal_buying_centre",
        "milestone_slipped": "deal_milestones",
        "budget_warn": "deal_expenses",
        "budget_over": "deal_expenses",
        "bid_decision_due": "deal_bid",
        "no_c139": "deal_c139",
        "stalled": "opportunity_detail",
        "close_date_passed": "opportunity_edit",
    }
    rows = [
        ActionRow(
            a,
            _text(a.finding.kind, a.finding.subject),
            actors.get(a.actor_id or 0),
            links.get(a.finding.kind, ""),
        )
        for a in actions
    ]

    # Part 3: competition — competitors, the SWOT items of C139 (C7, C8), bid signs, milestone notes.
    notes: list[tuple[str, str]] = []
    if c139.latest is not None:
        for answer in c139.latest.answers.all():
            if answer.item in ("C7", "C8") and answer.note:
                notes.append((f"C139 {answer.item}", answer.note))
    if bid is not None:
        if bid.competitor_advantage:
            notes.append((_("Bid / no-bid"), _("A competitor's advantage is obvious.")))
        if bid.spec_biased:
            notes.append((_("Bid / no-bid"), _("Technical parameters are written for a competitor.")))
    for row in plan.rows:
        if row.milestone and row.milestone.competition_note:
            notes.append((row.stage.buying_step or row.stage.name, row.milestone.competition_note))

    # Part 5: information per stage, evidence counted in one grouped query.
    counts = dict(
        Evidence.objects.filter(opportunity=opp, removed_at__isnull=True)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("id"))
        .values_list("stage_id", "n")
    )
    titles: dict[int, list[str]] = {}
    for stage_id, title in (
        Evidence.objects.filter(opportunity=opp, removed_at__isnull=True)
        .order_by("added_at", "id")
        .values_list("stage_id", "title")
    ):
        titles.setdefault(stage_id, []).append(title)
    information = [
        StageInformation(
            row.stage,
            row.stage.buying_step,
            row.planned_on,
            row.actual_on,
            counts.get(row.stage.pk, 0),
            titles.get(row.stage.pk, [])[:5],
        )
        for row in plan.rows
    ]

    problems = [r.text for r in rows]
    return Diagnosis(
        opportunity=opp,
        as_of=as_of,
        gates=checklist,
        days_in_stage=days_in_stage,
        stalled=stalled,
        next_steps=next_steps,
        competitors=list(opp.competitors.values_list("name", flat=True)),
        competition_notes=notes,
        bid=bid,
        c139_result=opp.c139_result,
        problems=problems,
        information=information,
        buying_centre=centre,
        milestones=plan,
        tasks=tasks,
        expenses=money,
        manager=manager,
        actions=rows,
    )
