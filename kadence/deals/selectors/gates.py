"""What the gates see: the facts about deals loaded in a fixed number of queries, the template's
stages with their criteria, and the checklist a page or an API answer shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from kadence.core.models import User
from kadence.core.pagination import Page, paginate
from kadence.core.visibility import access_opportunity, visible_opportunities
from kadence.deals.models import (
    BidAssessment,
    BuyingCentreMember,
    C139Answer,
    C139Assessment,
    ControlPolicy,
    Evidence,
    GateApproval,
    OpportunityTask,
)
from kadence.domain import gates as domain
from kadence.domain.c139 import C139Score
from kadence.pipeline.models import ExitCriterion, Opportunity, ProbabilityLevel, Stage, StageChange

SUPPORTIVE = ("support", "neutral")


def _filled_fields(opp_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """Which gate-checkable fields each deal has filled: amount (> 0), expected_close_date,
    competitors, product_lines (≥ 1), next_step, description (non-blank), account.industry."""
    rows = (
        Opportunity.objects.filter(pk__in=opp_ids)
        .annotate(
            has_competitors=Exists(
                Opportunity.competitors.through.objects.filter(opportunity_id=OuterRef("pk"))
            ),
            has_products=Exists(
                Opportunity.product_lines.through.objects.filter(opportunity_id=OuterRef("pk"))
            ),
        )
        .values(
            "pk",
            "amount",
            "expected_close_date",
            "next_step",
            "description",
            "account__industry_id",
            "has_competitors",
            "has_products",
        )
    )
    filled: dict[int, frozenset[str]] = {}
    for row in rows:
        names = set()
        if row["amount"] and row["amount"] > 0:
            names.add("amount")
        if row["expected_close_date"]:
            names.add("expected_close_date")
        if row["has_competitors"]:
            names.add("competitors")
        if row["has_products"]:
            names.add("product_lines")
        if (row["next_step"] or "").strip():
            names.add("next_step")
        if (row["description"] or "").strip():
            names.add("description")
        if row["account__industry_id"]:
            names.add("account.industry")
        filled[row["pk"]] = frozenset(names)
    return filled


def deal_facts(opp_ids: Iterable[int], policy: ControlPolicy | None = None) -> dict[int, domain.DealFacts]:
    """The facts of each deal in `opp_ids`, in eight queries whatever their number (no access check:
    callers pass ids they already checked)."""
    ids = sorted(set(opp_ids))
    if not ids:
        return {}
    policy = policy or ControlPolicy.current()
    evidence_criteria: dict[int, set[int]] = defaultdict(set)
    evidence_types: dict[int, set[str]] = defaultdict(set)
    for opp_id, criterion_id, kind in Evidence.objects.filter(
        opportunity_id__in=ids, removed_at__isnull=True
    ).values_list("opportunity_id", "criterion_id", "evidence_type"):
        if criterion_id:
            evidence_criteria[opp_id].add(criterion_id)
        if kind:
            evidence_types[opp_id].add(kind)
    approved: dict[int, set[int]] = defaultdict(set)
    for opp_id, criterion_id in GateApproval.objects.filter(
        opportunity_id__in=ids, revoked_at__isnull=True
    ).values_list("opportunity_id", "criterion_id"):
        approved[opp_id].add(criterion_id)
    done: dict[int, set[str]] = defaultdict(set)
    for opp_id, code in OpportunityTask.objects.filter(
        opportunity_id__in=ids, done_at__isnull=False
    ).values_list("opportunity_id", "code"):
        done[opp_id].add(code)
    latest_c139 = {}
    for row in (
        C139Assessment.objects.filter(opportunity_id__in=ids)
        .order_by("opportunity_id", "assessed_at", "id")
        .values("id", "opportunity_id", "clear", "first", "win", "win_against")
    ):
        latest_c139[row["opportunity_id"]] = row
    items: dict[int, dict[str, str]] = defaultdict(dict)
    by_assessment = {row["id"]: opp_id for opp_id, row in latest_c139.items()}
    for assessment_id, item, status in C139Answer.objects.filter(assessment_id__in=by_assessment).values_list(
        "assessment_id", "item", "status"
    ):
        items[by_assessment[assessment_id]][item] = status
    bids: dict[int, str] = {}
    for opp_id, outcome in (
        BidAssessment.objects.filter(opportunity_id__in=ids)
        .order_by("opportunity_id", "assessed_at", "id")
        .values_list("opportunity_id", "outcome")
    ):
        bids[opp_id] = outcome
    covered: dict[int, set[str]] = defaultdict(set)
    for opp_id, roles in BuyingCentreMember.objects.filter(
        opportunity_id__in=ids, attitude__in=SUPPORTIVE
    ).values_list("opportunity_id", "roles"):
        covered[opp_id].update(str(r) for r in roles or [])
    required = {str(r) for r in policy.required_buying_roles or []}
    filled = _filled_fields(ids)
    facts = {}
    for opp_id in ids:
        c139 = latest_c139.get(opp_id)
        roles = frozenset(covered.get(opp_id, ()))
        facts[opp_id] = domain.DealFacts(
            evidence_criteria=frozenset(evidence_criteria.get(opp_id, ())),
            evidence_types=frozenset(evidence_types.get(opp_id, ())),
            approved_criteria=frozenset(approved.get(opp_id, ())),
            done_tasks=frozenset(done.get(opp_id, ())),
            filled_fields=filled.get(opp_id, frozenset()),
            c139=(
                C139Score(c139["clear"], c139["first"], c139["win"], c139["win_against"]) if c139 else None
            ),
            c139_items=dict(items.get(opp_id, {})),
            bid_outcome=bids.get(opp_id),
            covered_roles=roles,
            coverage=(len(required & roles) / len(required)) if required else 1.0,
        )
    return facts


@dataclass
class TemplateGates:
    """A template's stages in order with their active exit criteria (as model rows and as domain data)."""

    stages: list[Stage]
    criteria: dict[int, list[ExitCriterion]]
    gates: list[domain.StageGate] = field(default_factory=list)


def to_domain(criterion: ExitCriterion) -> domain.Criterion:
    return domain.Criterion(
        criterion.pk, criterion.stage_id, criterion.code, criterion.kind, criterion.config or {}
    )


def template_gates(template_id: int) -> TemplateGates:
    """Two queries: the stages (with default levels) and their active criteria."""
    stages = list(
        Stage.objects.filter(template_id=template_id).select_related("default_level").order_by("order")
    )
    criteria: dict[int, list[ExitCriterion]] = defaultdict(list)
    for criterion in ExitCriterion.objects.filter(stage__template_id=template_id, is_active=True).order_by(
        "stage__order", "order", "id"
    ):
        criteria[criterion.stage_id].append(criterion)
    gates = [
        domain.StageGate(s.pk, s.default_level.order, tuple(to_domain(c) for c in criteria.get(s.pk, [])))
        for s in stages
    ]
    return TemplateGates(stages, dict(criteria), gates)


@dataclass
class CriterionRow:
    """One line of a gate checklist: the criterion, whether it is met, why not, and its proof."""

    criterion: ExitCriterion
    met: bool
    detail: str
    evidence: list[Evidence] = field(default_factory=list)
    approval: GateApproval | None = None

    @property
    def message(self) -> str:
        return explain(self.detail) if self.detail else ""

    @property
    def fix_at(self) -> str:
        """Where the user proves this criterion: "here" (evidence, approval on the gates page), a tab
        ("c139", "bid", "buying_centre", "tasks") or "edit" (a field of the opportunity)."""
        kind = self.criterion.kind
        if kind == ExitCriterion.Kind.FIELD:
            return "edit"
        if kind == ExitCriterion.Kind.TASK:
            return "tasks"
        if kind == ExitCriterion.Kind.ASSESSMENT:
            which = (self.criterion.config or {}).get("assessment")
            return {
                "c139": "c139",
                "c139_items": "c139",
                "bid_decision": "bid",
                "buying_centre": "buying_centre",
            }.get(str(which), "here")
        return "here"


@dataclass
class StageChecklist:
    stage: Stage
    state: str  # "done" (before the current stage), "current", "todo"
    rows: list[CriterionRow]

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.rows if r.met)

    @property
    def all_met(self) -> bool:
        return all(r.met for r in self.rows)


@dataclass
class GateChecklist:
    opportunity: Opportunity
    stages: list[StageChecklist]
    facts: domain.DealFacts
    verified_stage_id: int
    other_evidence: list[Evidence] = field(default_factory=list)
    outlook: LevelOutlook | None = None

    @property
    def current(self) -> StageChecklist | None:
        return next((s for s in self.stages if s.state == "current"), None)

    @property
    def next_stage(self) -> Stage | None:
        current = self.current
        if current is None:
            return None
        later = [s.stage for s in self.stages if s.stage.order > current.stage.order]
        return later[0] if later else None


@dataclass(frozen=True)
class LevelOutlook:
    """An open deal's level now and what the next one needs (METHODOLOGY §1d): `next_level` is the
    default level of its current stage, earned once `needs` (the unmet exit criteria from the first
    stage not completed up to the current one, as checklist rows) are met; None with no needs when
    the current stage's exit criteria are met (ready to advance)."""

    level: ProbabilityLevel
    next_level: ProbabilityLevel | None
    needs: list[CriterionRow]


def level_outlook(
    opp: Opportunity, structure: TemplateGates | None = None, facts: domain.DealFacts | None = None
) -> LevelOutlook | None:
    """The level outlook of an open deal (None for a closed one); `structure` and `facts` when the
    caller has them, else read (template_gates and deal_facts: a fixed number of queries)."""
    if opp.status != Opportunity.Status.OPEN:
        return None
    structure = structure or template_gates(opp.template_id)
    facts = facts or deal_facts([opp.pk])[opp.pk]
    target, needs = domain.to_next_level(structure.gates, opp.stage_id, facts)
    stage = next((s for s in structure.stages if target is not None and s.pk == target.stage_id), None)
    rows = {c.pk: c for criteria in structure.criteria.values() for c in criteria}
    return LevelOutlook(
        opp.level,
        stage.default_level if stage is not None else None,
        [CriterionRow(rows[r.criterion.id], False, r.detail) for r in needs],
    )


def gate_checklist(user: User, opp_id: int) -> GateChecklist:
    """Every stage of the deal's template with each exit criterion met or not, the evidence and
    approvals behind it (a fixed number of queries)."""
    return gate_checklist_of(access_opportunity(user, opp_id, related=("stage", "level", "template")))


def gate_checklist_of(opp: Opportunity) -> GateChecklist:
    """gate_checklist of a deal the caller got from access_opportunity (with its stage, level and
    template)."""
    structure = template_gates(opp.template_id)
    facts = deal_facts([opp.pk])[opp.pk]
    evidence: dict[int | None, list[Evidence]] = defaultdict(list)
    by_type: dict[str, list[Evidence]] = defaultdict(list)
    for item in (
        Evidence.objects.filter(opportunity=opp, removed_at__isnull=True)
        .select_related("added_by")
        .order_by("-added_at", "-id")
    ):
        evidence[item.criterion_id].append(item)
        if item.evidence_type:
            by_type[item.evidence_type].append(item)
    approvals = {
        a.criterion_id: a
        for a in GateApproval.objects.filter(opportunity=opp, revoked_at__isnull=True)
        .select_related("approved_by")
        .order_by("approved_at", "id")
    }
    current_order = opp.stage.order
    checklists = []
    for stage in structure.stages:
        rows = []
        for criterion in structure.criteria.get(stage.pk, []):
            result = domain.evaluate(to_domain(criterion), facts)
            proof = list(evidence.get(criterion.pk, []))
            wanted = (criterion.config or {}).get("evidence")
            if criterion.kind == ExitCriterion.Kind.EVIDENCE and wanted:
                proof += [e for e in by_type.get(str(wanted), []) if e.criterion_id != criterion.pk]
            rows.append(
                CriterionRow(criterion, result.met, result.detail, proof, approvals.get(criterion.pk))
            )
        if opp.status == Opportunity.Status.WON:
            state = "done"
        elif stage.pk == opp.stage_id:
            state = "current"
        else:
            state = "done" if stage.order < current_order else "todo"
        checklists.append(StageChecklist(stage, state, rows))
    verified = domain.verified_stage(structure.gates, opp.stage_id, facts)
    return GateChecklist(
        opp,
        checklists,
        facts,
        verified.stage_id,
        list(evidence.get(None, [])),
        level_outlook(opp, structure, facts),
    )


def missing_for_move(opp: Opportunity, leaving: Sequence[Stage]) -> list[dict[str, Any]]:
    """The exit criteria of `leaving` that `opp` does not meet, as the structured list a 409 carries."""
    if not leaving:
        return []
    facts = deal_facts([opp.pk])[opp.pk]
    criteria = (
        ExitCriterion.objects.filter(stage__in=leaving, is_active=True)
        .select_related("stage")
        .order_by("stage__order", "order", "id")
    )
    missing = []
    for criterion in criteria:
        result = domain.evaluate(to_domain(criterion), facts)
        if not result.met:
            missing.append(
                {
                    "stage_id": criterion.stage_id,
                    "stage": criterion.stage.name,
                    "criterion_id": criterion.pk,
                    "code": criterion.code,
                    "kind": criterion.kind,
                    "name": criterion.name,
                    "detail": result.detail,
                }
            )
    return missing


def explain(detail: str) -> str:
    """Why a criterion is not met, in words (detail codes come from kadence.domain.gates)."""
    from django.utils.translation import gettext as _

    code, _sep, arg = detail.partition(":")
    texts = {
        "no_evidence": _("No evidence attached yet."),
        "empty": _("The field is still empty."),
        "not_approved": _("Not approved yet."),
        "task_open": _("The task is not done yet."),
        "no_assessment": _("No C139 assessment yet."),
        "no_decision": _("No bid / no-bid decision yet."),
        "misconfigured": _("The criterion's parameters are not understood; ask an admin to correct them."),
    }
    if code in texts:
        return texts[code]
    if code == "below":
        return _("The latest C139 result is below %(rule)s.") % {"rule": arg}
    if code == "clear_below":
        return _("Fewer than %(n)s Clears confirmed in the latest C139.") % {"n": arg}
    if code == "unconfirmed":
        return _("Not confirmed in the latest C139: %(items)s.") % {"items": arg.replace(",", ", ")}
    if code == "decision":
        label = dict(BidAssessment.Outcome.choices).get(arg, arg)
        return _("The bid decision is “%(decision)s”.") % {"decision": label}
    if code == "roles_missing":
        return _("Buying roles without a supportive or neutral contact: %(roles)s.") % {
            "roles": arg.replace(",", ", ")
        }
    if code == "coverage_below":
        return _("Buying-centre coverage is below %(pct)s.") % {"pct": f"{float(arg) * 100:.0f}%"}
    return detail


def gate_overrides(
    user: User, date_from: date, date_to: date, *, page: int | str | None = 1, page_size: int = 50
) -> Page:
    """Stage moves made without the evidence ("advanced without evidence"): the overridden stage
    changes of the deals `user` can see, changed in [date_from, date_to], newest first, paginated."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to, time.max))
    rows = (
        StageChange.objects.filter(
            overridden=True,
            changed_at__gte=start,
            changed_at__lte=end,
            opportunity__in=visible_opportunities(user).values("pk"),
        )
        .select_related(
            "opportunity",
            "opportunity__owner",
            "opportunity__account",
            "changed_by",
            "from_stage",
            "to_stage",
        )
        .order_by("-changed_at", "-id")
    )
    return paginate(rows, page, page_size)
