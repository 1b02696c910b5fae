"""Commission plans and statements over the API (issue 14 §7).

- GET /api/performance/commission/plans — the plans with their versions (an admin: all; anyone else:
  the plans assigned to them); POST (admin) a new plan with its first terms;
- PATCH /api/performance/commission/plans/{id} — rename, (de)activate (`version` as read; 409 stale);
- PUT /api/performance/commission/plans/{id}/terms — the terms from a period (`version` as read);
- GET/POST /api/performance/commission/assignments, DELETE …/assignments/{id} — plans per seller or role;
- GET/PUT /api/performance/commission/credit-rules — split credit per deal role;
- POST /api/performance/commission/runs — compute a period (a lead: their reach), now or in the background;
- GET /api/performance/commission/statement — a seller's statement, every line explained;
- GET /api/performance/commission/statements — the statements of your scope for a period.

Money and rates are decimal strings; rates and shares in % (4.5 = 4.5 %)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Clean, Day, ErrorOut, Id, IdPath, In, Money, Version
from kadence.core.visibility import can_configure_commission
from kadence.performance.commission import selectors, services, tasks
from kadence.performance.commission.models import CommissionPlan, CommissionStatement

router = Router(tags=["performance: commissions"])

PeriodIn = Literal["month", "quarter"]
KindIn = Literal["salary", "commission", "salary_commission", "commission_expenses", "salary_group"]
PREFIX = "/performance/commission"


class CommissionTierIn(In):
    from_pct: Decimal = Field(
        ge=0, le=100000, max_digits=8, decimal_places=2, description="Band start, % of quota."
    )
    rate: Decimal = Field(ge=0, le=100, max_digits=7, decimal_places=4, description="% paid inside the band.")


class CommissionTermsIn(In):
    salary: Decimal = Field(Decimal(0), ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    tiers: list[CommissionTierIn] = Field(default_factory=list, max_length=20)
    cap: Decimal | None = Field(None, ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    group_rate: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=7, decimal_places=4)
    expense_cap: Decimal | None = Field(None, ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)


class CommissionPlanIn(In):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[-a-z0-9_]+$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    kind: KindIn
    period_kind: PeriodIn = "month"
    effective_from: Day
    terms: CommissionTermsIn


class CommissionPlanPatchIn(In):
    version: Version
    name_zh: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200)
    is_active: bool | None = None


class CommissionPlanTermsIn(In):
    version: Version
    effective_from: Day
    terms: CommissionTermsIn


class CommissionTierOut(Schema):
    from_pct: Decimal
    rate: Decimal


class CommissionPlanVersionOut(Schema):
    effective_from: date
    salary: Money
    tiers: list[CommissionTierOut]
    cap: Money | None
    group_rate: Decimal
    expense_cap: Money | None
    basis: str


class CommissionPlanOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    period_kind: str
    is_active: bool
    version: int
    versions: list[CommissionPlanVersionOut]


class CommissionPlansOut(Schema):
    items: list[CommissionPlanOut]
    kinds: list[dict[str, str]]


class CommissionAssignmentIn(In):
    plan_id: Id
    seller_id: Id | None = None
    role: Literal["", "rep", "inside"] = ""
    effective_from: Day


class CommissionAssignmentOut(Schema):
    id: int
    plan_id: int
    seller_id: int | None
    role: str
    effective_from: date


class CommissionAssignmentsOut(Schema):
    items: list[CommissionAssignmentOut]


class CommissionCreditRuleIn(In):
    role_id: Id
    share: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    version: Version | None = Field(None, description="The version read, to change a rule.")


class CommissionCreditRuleOut(Schema):
    id: int
    role_id: int
    role: str
    share: Decimal
    version: int


class CommissionCreditRulesOut(Schema):
    items: list[CommissionCreditRuleOut]


class CommissionRunIn(In):
    period: PeriodIn = "month"
    day: Day
    unit_id: Id | None = None
    background: bool = Field(False, description="Queue it for the worker (a company's worth of sellers).")


class CommissionRunOut(Schema):
    id: int
    period: str
    start: date
    state: str
    statements: int


class CommissionStatementQuery(Clean):
    period: PeriodIn = "month"
    day: Day | None = Field(None, description="Any day of the period; default today.")
    owner_id: Id | None = Field(None, description="A seller in your reach; default yourself.")


class CommissionTeamQuery(Clean):
    period: PeriodIn = "month"
    day: Day | None = None
    unit_id: Id | None = Field(None, description="A unit in your reach; default your scope.")


class CommissionLineOut(Schema):
    kind: str
    deal_id: int | None
    deal_name: str
    deal_amount: Money | None
    share: Decimal | None
    role: str
    expense_id: int | None
    tier_from_pct: Decimal | None
    rate: Decimal | None
    base: Money
    amount: Money
    capped: bool
    how: str


class CommissionStatementOut(Schema):
    seller_id: int
    seller: str
    period: str
    label: str
    start: date
    end: date
    plan_code: str
    plan: str
    plan_kind: str
    plan_version_from: date
    terms: dict[str, Any]
    quota: Money | None
    credited: Money
    attainment: Decimal | None
    salary: Money
    commission: Money
    group_commission: Money
    expenses: Money
    payout: Money
    computed_at: Any
    version: int
    lines: list[CommissionLineOut]


class CommissionStatementEnvelope(Schema):
    statement: CommissionStatementOut | None


class CommissionTeamRowOut(Schema):
    seller_id: int
    seller: str
    unit_id: int | None
    plan_code: str
    quota: Money | None
    credited: Money
    attainment: Decimal | None
    payout: Money


class CommissionTeamStatementsOut(Schema):
    period: str
    label: str
    scope: str
    rows: list[CommissionTeamRowOut]
    missing: list[int]
    total_payout: Money


def _plan_out(plan: CommissionPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "code": plan.code,
        "name_zh": plan.name_zh,
        "name_en": plan.name_en,
        "kind": plan.kind,
        "period_kind": plan.period_kind,
        "is_active": plan.is_active,
        "version": plan.version,
        "versions": [
            {
                "effective_from": v.effective_from,
                "salary": v.salary,
                "tiers": v.tiers,
                "cap": v.cap,
                "group_rate": v.group_rate,
                "expense_cap": v.expense_cap,
                "basis": v.basis,
            }
            for v in plan.versions.all()
        ],
    }


def _terms(terms: CommissionTermsIn) -> dict[str, Any]:
    values = terms.dict()
    values["tiers"] = [{"from_pct": t["from_pct"], "rate": t["rate"]} for t in values["tiers"]]
    return values


def statement_out(statement: CommissionStatement) -> dict[str, Any]:
    return {
        "seller_id": statement.user_id,
        "seller": statement.user.label,
        "period": statement.period_kind,
        "label": selectors.commission_period(statement.period_kind, statement.period_start).label,
        "start": statement.period_start,
        "end": statement.period_end,
        "plan_code": statement.plan_code,
        "plan": statement.plan_name,
        "plan_kind": statement.plan_kind,
        "plan_version_from": statement.plan_version_from,
        "terms": statement.terms,
        "quota": statement.quota,
        "credited": statement.credited,
        "attainment": statement.attainment,
        "salary": statement.salary,
        "commission": statement.commission,
        "group_commission": statement.group_commission,
        "expenses": statement.expenses,
        "payout": statement.payout,
        "computed_at": statement.computed_at,
        "version": statement.version,
        "lines": [
            {
                **{
                    f: getattr(line, f)
                    for f in (
                        "kind",
                        "deal_id",
                        "deal_name",
                        "deal_amount",
                        "share",
                        "role",
                        "expense_id",
                        "tier_from_pct",
                        "rate",
                        "base",
                        "amount",
                        "capped",
                    )
                },
                "how": selectors.line_explanation(line),
            }
            for line in statement.lines.all()
        ],
    }


@router.get(f"{PREFIX}/plans", response={200: CommissionPlansOut, codes_4xx: ErrorOut})
def plans(request: ApiRequest) -> dict[str, Any]:
    """The plans and their versions, newest first (an admin: every plan; others: the plans assigned to
    them or their role)."""
    return {
        "items": [_plan_out(p) for p in selectors.plans(request.auth)],
        "kinds": [{"key": k, "label": label} for k, label in selectors.kinds()],
    }


@router.post(f"{PREFIX}/plans", response={201: CommissionPlanOut, codes_4xx: ErrorOut})
def create_plan(request: ApiRequest, payload: CommissionPlanIn) -> Status[dict[str, Any]]:
    """An admin adds a plan with its first terms (403 otherwise; 409 `duplicate` for a code in use)."""
    plan = services.plan_create(
        request.auth,
        code=payload.code,
        name_zh=payload.name_zh,
        name_en=payload.name_en,
        kind=payload.kind,
        period_kind=payload.period_kind,
        effective_from=payload.effective_from,
        **_terms(payload.terms),
    )
    return Status(201, _plan_out(plan))


@router.patch(f"{PREFIX}/plans/{{plan_id}}", response={200: CommissionPlanOut, codes_4xx: ErrorOut})
def update_plan(request: ApiRequest, plan_id: IdPath, payload: CommissionPlanPatchIn) -> dict[str, Any]:
    """An admin renames or (de)activates a plan; `version` as read (409 when stale)."""
    plan = services.plan_update(request.auth, plan_id, **payload.dict())
    return _plan_out(plan)


@router.put(f"{PREFIX}/plans/{{plan_id}}/terms", response={200: CommissionPlanOut, codes_4xx: ErrorOut})
def set_terms(request: ApiRequest, plan_id: IdPath, payload: CommissionPlanTermsIn) -> dict[str, Any]:
    """An admin sets the plan's terms from the period holding `effective_from` (a new version, or that
    period's changed); `version` is the plan's as read (409 when stale)."""
    services.plan_terms_set(
        request.auth,
        plan_id,
        version=payload.version,
        effective_from=payload.effective_from,
        **_terms(payload.terms),
    )
    plan = next(p for p in selectors.plans(request.auth) if p.pk == plan_id)
    return _plan_out(plan)


@router.get(f"{PREFIX}/assignments", response={200: CommissionAssignmentsOut, codes_4xx: ErrorOut})
def assignments(request: ApiRequest) -> dict[str, Any]:
    """Which plan each seller or role is on, from when (an admin's list; others see none)."""
    rows = selectors.assignments() if can_configure_commission(request.auth) else []
    return {"items": [_assignment_out(a) for a in rows]}


def _assignment_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "plan_id": a.plan_id,
        "seller_id": a.user_id,
        "role": a.role,
        "effective_from": a.effective_from,
    }


@router.post(f"{PREFIX}/assignments", response={200: CommissionAssignmentOut, codes_4xx: ErrorOut})
def assign(request: ApiRequest, payload: CommissionAssignmentIn) -> dict[str, Any]:
    """An admin puts a seller or a role on a plan from a period (replacing one from the same period)."""
    row = services.assignment_set(
        request.auth,
        plan_id=payload.plan_id,
        effective_from=payload.effective_from,
        seller_id=payload.seller_id,
        role=payload.role,
    )
    return _assignment_out(row)


@router.delete(f"{PREFIX}/assignments/{{assignment_id}}", response={204: None, codes_4xx: ErrorOut})
def unassign(request: ApiRequest, assignment_id: IdPath) -> Status[None]:
    services.assignment_delete(request.auth, assignment_id)
    return Status(204, None)


@router.get(f"{PREFIX}/credit-rules", response={200: CommissionCreditRulesOut, codes_4xx: ErrorOut})
def credit_rules(request: ApiRequest) -> dict[str, Any]:
    """The credit share % of deal-team members per deal role (the owner keeps the rest)."""
    return {"items": [_rule_out(r) for r in selectors.credit_rules()]}


def _rule_out(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "role_id": r.role_id, "role": r.role.name, "share": r.share, "version": r.version}


@router.put(f"{PREFIX}/credit-rules", response={200: CommissionCreditRuleOut, codes_4xx: ErrorOut})
def set_credit_rule(request: ApiRequest, payload: CommissionCreditRuleIn) -> dict[str, Any]:
    """An admin sets a deal role's credit share (changing one needs its `version`; 409 when stale)."""
    row = services.credit_rule_set(request.auth, **payload.dict())
    return _rule_out(row)


@router.post(f"{PREFIX}/runs", response={200: CommissionRunOut, 202: CommissionRunOut, codes_4xx: ErrorOut})
def run(request: ApiRequest, payload: CommissionRunIn) -> Status[dict[str, Any]]:
    """Compute the period's statements for your reach (or the unit chosen): managers, directors, admins
    (403 otherwise). `background`: queued for the worker (202), else computed now (200)."""
    if payload.background:
        done = tasks.statements_compute_later(
            request.auth, period=payload.period, day=payload.day, unit_id=payload.unit_id
        )
        code = 202
    else:
        done = services.statements_compute(
            request.auth, period=payload.period, day=payload.day, unit_id=payload.unit_id
        )
        code = 200
    return Status(
        code,
        {
            "id": done.pk,
            "period": done.period_kind,
            "start": done.period_start,
            "state": done.state,
            "statements": done.statements,
        },
    )


@router.get(f"{PREFIX}/statement", response={200: CommissionStatementEnvelope, codes_4xx: ErrorOut})
def statement(request: ApiRequest, query: Query[CommissionStatementQuery]) -> dict[str, Any]:
    """A seller's statement for the period holding `day` (null when not computed): every line with the
    deal, the credit share, the band and rate, the base and the amount, and how it was computed."""
    _owner, _when, found = selectors.statement_detail(
        request.auth, period=query.period, day=query.day or timezone.localdate(), owner_id=query.owner_id
    )
    return {"statement": None if found is None else statement_out(found)}


@router.get(f"{PREFIX}/statements", response={200: CommissionTeamStatementsOut, codes_4xx: ErrorOut})
def statements(request: ApiRequest, query: Query[CommissionTeamQuery]) -> dict[str, Any]:
    """The statements of your scope (or the unit chosen) for the period, biggest payout first, and the
    sellers without one."""
    team = selectors.team_statements(
        request.auth, period=query.period, day=query.day or timezone.localdate(), unit_id=query.unit_id
    )
    return {
        "period": team.period.kind,
        "label": team.period.label,
        "scope": str(team.scope.label),
        "rows": [
            {
                "seller_id": s.user_id,
                "seller": s.user.label,
                "unit_id": s.unit_id,
                "plan_code": s.plan_code,
                "quota": s.quota,
                "credited": s.credited,
                "attainment": s.attainment,
                "payout": s.payout,
            }
            for s in team.statements
        ],
        "missing": [p.pk for p in team.missing],
        "total_payout": team.total["payout"],
    }
