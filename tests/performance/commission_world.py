"""Known figures for the commission tests (issue 14 §7): October 2026, monthly plans.

- rita (rep, north-1) is on "sc" (salary 5,000 + 2 % to quota, 4 % to 150 %, 6 % above; cap 10,000);
  target 100,000; she won 60,000 on 10 Oct and 70,000 on 20 Oct; on the second deal tom is a deal-team
  member as pre-sales, credited 20 % (14,000), so rita is credited 60,000 + 56,000 = 116,000 (116 %):
  100,000 × 2 % + 16,000 × 4 % = 2,640 → payout 7,640.
- tom (rep, north-1) is on the reps' role plan "straight" (3 % flat): 14,000 credited → 420.
- nick (north-2) has his own "group" plan (salary 4,000 + 1 % of his team's revenue; he is alone in it:
  nothing won → 4,000). sara (south-1) is on the role plan and won nothing → 0."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

from kadence.performance.commission import services
from kadence.pipeline.models import DealRole, OpportunityTeamMember
from kadence.planning.models import Target
from tests.performance.kpi_world import deal

MONTH = date(2026, 10, 1)
IN_MONTH = date(2026, 10, 15)
TIERS = [
    {"from_pct": "0", "rate": "2"},
    {"from_pct": "100", "rate": "4"},
    {"from_pct": "150", "rate": "6"},
]


def build(org) -> SimpleNamespace:
    admin = org.ada
    org.sc = services.plan_create(
        admin,
        code="sc",
        name_zh="薪金加佣金",
        name_en="Salary + commission",
        kind="salary_commission",
        effective_from=date(2026, 1, 1),
        salary="5000",
        tiers=TIERS,
        cap="10000",
    )
    org.straight = services.plan_create(
        admin,
        code="straight",
        name_zh="直接佣金",
        name_en="Straight commission",
        kind="commission",
        effective_from=date(2026, 1, 1),
        tiers=[{"from_pct": "0", "rate": "3"}],
    )
    org.group = services.plan_create(
        admin,
        code="group",
        name_zh="工资加团体佣金",
        name_en="Salary + group commission",
        kind="salary_group",
        effective_from=date(2026, 1, 1),
        salary="4000",
        group_rate="1",
    )
    services.assignment_set(admin, plan_id=org.straight.pk, effective_from=date(2026, 1, 1), role="rep")
    services.assignment_set(admin, plan_id=org.sc.pk, effective_from=date(2026, 1, 1), seller_id=org.rita.pk)
    services.assignment_set(
        admin, plan_id=org.group.pk, effective_from=date(2026, 1, 1), seller_id=org.nick.pk
    )
    presales = DealRole.objects.order_by("order").first()
    services.credit_rule_set(admin, role_id=presales.pk, share="20")
    Target.objects.create(user=org.rita, period_kind="month", period_start=MONTH, amount=D(100000))
    org.first = deal(org, org.rita, "60000", date(2026, 10, 10))
    org.second = deal(org, org.rita, "70000", date(2026, 10, 20))
    OpportunityTeamMember.objects.create(opportunity=org.second, user=org.tom, role=presales)
    org.presales = presales
    return org
