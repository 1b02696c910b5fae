"""The demo's commission plans (issue 14 §7): the five plan types of seed 002, reps on salary +
commission with accelerators above quota and a cap, inside sales on salary + group commission, one
region's reps on straight commission and one team on commission + approved expenses; pre-sales engineers
credited 20 % of the deals they work on; last month computed, so that the statements and the team page
have figures on first look. Written through the commission services, as an admin and the job would.
Cheap: five plans, a few assignments and one month of statements."""

from __future__ import annotations

from datetime import date

from kadence.core.models import OrgUnit, User
from kadence.domain.periods import add_months
from kadence.performance.commission.models import CommissionPlan
from kadence.performance.commission.services import (
    assignment_set,
    credit_rule_set,
    plan_create,
    statements_compute,
)
from kadence.pipeline.models import DealRole

ACCELERATED = [
    {"from_pct": "0", "rate": "2"},
    {"from_pct": "100", "rate": "4"},
    {"from_pct": "150", "rate": "6"},
]
PLANS = (
    ("salary", "直接工资", "Salary only", "salary", {"salary": "12000"}),
    (
        "straight",
        "直接佣金",
        "Straight commission",
        "commission",
        {"tiers": [{"from_pct": "0", "rate": "5"}]},
    ),
    (
        "salary-commission",
        "薪金加佣金",
        "Salary + commission",
        "salary_commission",
        {"salary": "8000", "tiers": ACCELERATED, "cap": "200000"},
    ),
    (
        "commission-expenses",
        "佣金加批准费用",
        "Commission + approved expenses",
        "commission_expenses",
        {"tiers": [{"from_pct": "0", "rate": "4"}], "expense_cap": "5000"},
    ),
    (
        "salary-group",
        "工资加团体佣金",
        "Salary + group commission",
        "salary_group",
        {"salary": "7000", "group_rate": "0.5"},
    ),
)


def load_demo_commission(today: date) -> dict[str, int]:
    """Returns the rows written: plans and statements."""
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None or CommissionPlan.objects.exists():
        return {"performance_commissionplan": 0, "performance_commissionstatement": 0}
    start = date(today.year - 1, 1, 1)
    plans = {
        code: plan_create(admin, code=code, name_zh=zh, name_en=en, kind=kind, effective_from=start, **terms)
        for code, zh, en, kind, terms in PLANS
    }
    assignment_set(admin, plan_id=plans["salary-commission"].pk, effective_from=start, role=User.Role.REP)
    assignment_set(admin, plan_id=plans["salary-group"].pk, effective_from=start, role=User.Role.INSIDE)
    regions = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).order_by("pk")[:1])
    teams = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.TEAM).order_by("pk")[:1])
    straight = User.objects.filter(role=User.Role.REP, is_active=True)
    if regions:
        for rep in straight.filter(org_unit__path__startswith=regions[0].path).exclude(org_unit__in=teams)[
            :3
        ]:
            assignment_set(admin, plan_id=plans["straight"].pk, effective_from=start, seller_id=rep.pk)
    if teams:
        for rep in straight.filter(org_unit=teams[0])[:2]:
            assignment_set(
                admin, plan_id=plans["commission-expenses"].pk, effective_from=start, seller_id=rep.pk
            )
    presales = DealRole.objects.filter(code="presales").first()
    if presales is not None:
        credit_rule_set(admin, role_id=presales.pk, share="20")
    run = statements_compute(None, period="month", day=add_months(today, -1))
    return {"performance_commissionplan": len(plans), "performance_commissionstatement": run.statements}
