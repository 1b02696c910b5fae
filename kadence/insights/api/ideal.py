"""The ideal funnel and the capacity check over the API (METHODOLOGY §8.3–§8.4), reports built on the
targets (kadence.planning.api.targets sets them):

- /reports/ideal: the ideal funnel (task and cycle methods) of a scope and its comparison with the
  real funnel; /reports/capacity: the capacity and velocity check with the gap and the actions
  (kadence.insights.selectors.ideal).
Money, ratios and counts with decimals are decimal strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router
from ninja.responses import codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import (
    Clean,
    Day,
    DictOut,
    ErrorOut,
    Id,
    Money,
    MoneyIn,
    PositiveMoneyIn,
)
from kadence.domain import capacity as cap
from kadence.insights.api.common import ScopeOut, TemplateRef, scope_out
from kadence.insights.selectors.ideal import (
    CapacityReport,
    CapacityRow,
    IdealReport,
    action_text,
    capacity_report,
    ideal_for,
)

router = Router(tags=["targets and ideal funnel"])

PeriodKindIn = Literal["month", "quarter", "year"]


# --- schemas -------------------------------------------------------------------------------------


class IdealQuery(Clean):
    unit_id: Id | None = Field(None, description="A unit of yours (and the units below it).")
    owner_id: Id | None = Field(None, description="One seller of yours.")
    template_id: Id | None = Field(None, description="Default: the default process template.")
    period_kind: PeriodKindIn = "quarter"
    period_start: Day | None = Field(None, description="Any day of the period; default today.")
    target: MoneyIn | None = Field(None, description="Try a target instead of the one set.")
    avg_deal: PositiveMoneyIn | None = Field(
        None, description="Try an average deal size instead of the history's."
    )
    durations: Literal["configured", "learned"] = "configured"


class PlanPeriodOut(DictOut):
    kind: str
    start: date
    end: date
    label: str
    months: Money


class StageRefOut(TemplateRef):
    order: int


class PaceOut(DictOut):
    slow: bool
    remaining_days: Money
    projected_close: date
    late: bool


class IdealStageOut(DictOut):
    """One open stage. `probability` in %; `task` = N_s; `entry_rate` = λ_s per month; `wip` = WIP_s;
    `ratio` = actual ÷ wip; `status` shortfall / congestion / ok / no_ideal."""

    stage: StageRefOut
    probability: Money
    probability_source: str
    duration_days: Money
    duration_months: Money
    duration_source: str
    learned_days: Money | None
    learned_count: int
    task: Money | None
    entry_rate: Money | None
    wip: Money | None
    actual: int
    actual_amount: Money
    avg_age: Money | None
    ratio: Money | None
    status: str
    pace: PaceOut | None


class InputsOut(DictOut):
    target: Money | None
    target_source: str
    avg_deal: Money | None
    avg_deal_source: str
    durations: str
    probabilities: str


class CheckOut(DictOut):
    """METHODOLOGY §8.3: Σ WIP_s × A × p_s (left) = (T ÷ P) × L (right); equal when T is a multiple of A."""

    left: Money
    right: Money
    equal: bool


class FunnelFiguresOut(DictOut):
    win_rate: Money | None
    avg_won_amount: Money | None
    cycle_days: Money | None
    velocity: Money | None
    open_count: int
    open_amount: Money
    weighted: Money


class IdealOut(DictOut):
    scope: ScopeOut
    template: TemplateRef
    period: PlanPeriodOut
    as_of: date
    inputs: InputsOut
    ready: bool = Field(
        description="False when the target or the average deal size is missing (see `missing`)."
    )
    missing: list[str]
    basis: str = Field(description="What the comparison measures against: the cycle method's WIP.")
    wins_needed: int | None
    wins_per_month: Money | None
    lead_days: Money
    lead_months: Money
    entry_deadline: date
    check: CheckOut | None
    findings: list[str]
    funnel: FunnelFiguresOut
    stages: list[IdealStageOut]


class FiguresOut(DictOut):
    target: Money | None
    won: Money
    remaining: Money | None
    pipeline_due: Money
    weighted_due: Money
    coverage: Money | None
    required_coverage: Money | None
    coverage_short: bool
    weighted_ratio: Money | None
    weighted_short: bool
    velocity_forecast: Money | None
    gap: Money | None
    velocity_gap: Money | None


class CapacityActionOut(DictOut):
    kind: str
    count: int | None
    by: date | None
    value: Money | None
    required: Money | None
    deal_ids: list[int]
    text: str


class CapacityStalledOut(DictOut):
    id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: Money
    currency: str
    days_in_stage: int
    limit_days: int


class StageDueOut(DictOut):
    stage: StageRefOut
    count: int
    amount: Money
    weighted: Money
    late: bool


class AtRiskOut(DictOut):
    count: int
    amount: Money


class CapacityRowOut(DictOut):
    id: int
    name: str
    team: str
    target_source: str
    won_count: int
    due_count: int
    win_rate: Money | None
    win_rate_source: str
    stalled: int
    figures: FiguresOut
    actions: list[CapacityActionOut]


class CapacityOut(DictOut):
    scope: ScopeOut
    template: TemplateRef
    period: PlanPeriodOut
    as_of: date
    inputs: InputsOut
    days_left: int
    figures: FiguresOut
    won_count: int
    due_count: int
    actions: list[CapacityActionOut]
    stalled_count: int
    stalled: list[CapacityStalledOut]
    stages: list[StageDueOut]
    at_risk: AtRiskOut = Field(
        description="Due deals in stages an average deal cannot finish by the period end."
    )
    sellers: list[CapacityRowOut]
    teams: list[CapacityRowOut]


# --- conversions ---------------------------------------------------------------------------------


def q(value: Decimal | None, places: str = "0.01") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places))


def _scope(report: IdealReport) -> dict[str, Any]:
    return scope_out(report.scope)


def _stage_ref(stage: Any) -> dict[str, Any]:
    return {"id": stage.pk, "code": stage.code, "name": stage.name, "order": stage.order}


def _head(report: IdealReport) -> dict[str, Any]:
    period = report.period
    return {
        "scope": _scope(report),
        "template": {"id": report.template.pk, "code": report.template.code, "name": report.template.name},
        "period": {
            "kind": period.kind,
            "start": period.start,
            "end": period.end,
            "label": period.label,
            "months": report.months,
        },
        "as_of": report.as_of,
        "inputs": {
            "target": q(report.target),
            "target_source": report.target_source,
            "avg_deal": q(report.avg_deal),
            "avg_deal_source": report.avg_deal_source,
            "durations": report.durations,
            "probabilities": report.probabilities,
        },
    }


def ideal_out(report: IdealReport) -> dict[str, Any]:
    funnel = report.funnel
    check = None
    if report.check_left is not None and report.check_right is not None:
        left, right = q(report.check_left), q(report.check_right)
        check = {"left": left, "right": right, "equal": left == right}
    return {
        **_head(report),
        "ready": report.ready,
        "missing": report.missing,
        "basis": report.basis,
        "wins_needed": report.wins_needed,
        "wins_per_month": q(report.wins_per_month, "0.0001"),
        "lead_days": q(report.lead_days, "0.1"),
        "lead_months": q(report.lead_months),
        "entry_deadline": report.entry_deadline,
        "check": check,
        "findings": report.findings,
        "funnel": {
            "win_rate": q(funnel.win_rate, "0.0001"),
            "avg_won_amount": funnel.avg_won_amount,
            "cycle_days": funnel.cycle_days,
            "velocity": funnel.velocity,
            "open_count": funnel.count,
            "open_amount": q(funnel.amount),
            "weighted": q(funnel.weighted),
        },
        "stages": [
            {
                "stage": _stage_ref(s.stage),
                "probability": q(s.probability * 100),
                "probability_source": s.probability_source,
                "duration_days": q(s.duration_days, "0.1"),
                "duration_months": q(s.duration_months),
                "duration_source": s.duration_source,
                "learned_days": s.learned_days,
                "learned_count": s.learned_count,
                "task": q(s.task),
                "entry_rate": q(s.entry_rate),
                "wip": q(s.wip),
                "actual": s.actual,
                "actual_amount": q(s.actual_amount),
                "avg_age": s.avg_age,
                "ratio": q(s.ratio),
                "status": s.status,
                "pace": {
                    "slow": s.pace.slow,
                    "remaining_days": q(s.pace.remaining_days, "0.1"),
                    "projected_close": s.pace.projected_close,
                    "late": s.pace.late,
                }
                if s.pace
                else None,
            }
            for s in report.stages
        ],
    }


def figures_out(f: cap.CapacityFigures) -> dict[str, Any]:
    return {
        "target": q(f.target),
        "won": q(f.won),
        "remaining": q(f.remaining),
        "pipeline_due": q(f.pipeline_due),
        "weighted_due": q(f.weighted_due),
        "coverage": q(f.coverage),
        "required_coverage": q(f.required_coverage),
        "coverage_short": f.coverage_short,
        "weighted_ratio": q(f.weighted_ratio),
        "weighted_short": f.weighted_short,
        "velocity_forecast": q(f.velocity_forecast),
        "gap": q(f.gap),
        "velocity_gap": q(f.velocity_gap),
    }


def actions_out(actions: list[cap.Action], report: IdealReport) -> list[dict[str, Any]]:
    return [
        {
            "kind": a.kind,
            "count": a.count,
            "by": a.by,
            "value": q(a.value),
            "required": q(a.required),
            "deal_ids": list(a.deal_ids),
            "text": action_text(a, report),
        }
        for a in actions
    ]


def _row_out(row: CapacityRow, report: IdealReport) -> dict[str, Any]:
    return {
        "id": row.key,
        "name": row.label,
        "team": row.team,
        "target_source": row.target_source,
        "won_count": row.won_count,
        "due_count": row.due_count,
        "win_rate": q(row.win_rate, "0.0001"),
        "win_rate_source": row.win_rate_source,
        "stalled": row.stalled,
        "figures": figures_out(row.figures),
        "actions": actions_out(row.actions, report),
    }


def capacity_out(found: CapacityReport) -> dict[str, Any]:
    report = found.ideal
    return {
        **_head(report),
        "days_left": found.days_left,
        "figures": figures_out(found.figures),
        "won_count": found.won_count,
        "due_count": found.due_count,
        "actions": actions_out(found.actions, report),
        "stalled_count": found.stalled_count,
        "stalled": [vars(d) for d in found.stalled],
        "stages": [
            {
                "stage": _stage_ref(s.stage),
                "count": s.count,
                "amount": q(s.amount),
                "weighted": s.weighted,
                "late": s.late,
            }
            for s in found.stages
        ],
        "at_risk": {"count": found.at_risk[0], "amount": q(found.at_risk[1])},
        "sellers": [_row_out(r, report) for r in found.sellers],
        "teams": [_row_out(r, report) for r in found.teams],
    }


def _ideal(request: ApiRequest, query: IdealQuery) -> IdealReport:
    return ideal_for(request.auth, today=timezone.localdate(), **query.dict())


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/reports/ideal", response={200: IdealOut, codes_4xx: ErrorOut})
def ideal_funnel(request: ApiRequest, query: Query[IdealQuery]) -> dict[str, Any]:
    """The ideal funnel (METHODOLOGY §8.3) of a scope for a template and period, by the task method
    (N_s = N_win ÷ p_s) and the cycle method (λ, λ_s, WIP_s, lead time L, and the check
    Σ WIP_s × A × p_s = (T ÷ P) × L), with the source of every input (target, average deal,
    probabilities, durations), compared stage by stage with the real funnel today (§8.4: actual ÷
    WIP, shortfall below and congestion above the policy's ratios, dry top, jammed middle).
    `target` and `avg_deal` try other numbers; `durations=learned` uses the stage history."""
    return ideal_out(_ideal(request, query))


@router.get("/reports/capacity", response={200: CapacityOut, codes_4xx: ErrorOut})
def capacity(request: ApiRequest, query: Query[IdealQuery]) -> dict[str, Any]:
    """The capacity and velocity check (METHODOLOGY §8.4) of a scope for a period: remaining target,
    coverage against the required 1 ÷ win rate, weighted pipeline ÷ remaining target, velocity
    forecast (SV × days remaining), the gap, the stages too slow to close in time, the stalled deals
    (biggest first) and the actions, for the scope and per seller and per team."""
    return capacity_out(capacity_report(request.auth, _ideal(request, query)))
