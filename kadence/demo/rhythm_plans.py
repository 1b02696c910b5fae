"""The demo's weekly work plans (issue 13 §2): each seller has a plan for this week (submitted, with a
manager's comment on some) and next week (a draft), its items at the seller's own accounts — this week's
partly at the accounts they have activities at this week, so that plan vs actual shows kept, missed and
unplanned. Written in a few bulk statements (fast whatever the number of sellers)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from kadence.accounts.models import Account
from kadence.activities.models import Activity
from kadence.core.models import User
from kadence.core.visibility import SELLER_ROLES
from kadence.domain.plans import week_start
from kadence.rhythm.plans.models import PlanComment, PlanItem, WeeklyPlan

KINDS = ("visit", "visit", "visit", "call_out", "meeting")
GOALS = (
    "确认技术方案与预算",
    "拜访技术决策者，了解评估标准",
    "推动试点测试",
    "解决上次交付遗留问题",
    "约见经济决策者",
    "了解竞争对手动态",
    "递交报价并确认采购流程",
)
COMMENTS = (
    "重点跟进经济决策者，周三前约到。",
    "拜访量偏少，再加两个有效拜访。",
    "计划清楚，注意把下一步写具体。",
)


def load_demo_plans(seed: int = 42, today: date | None = None) -> int:
    """Write the plans; returns the number of plans written (0 when the demo has none to write)."""
    today = today or timezone.localdate()
    rng = random.Random(f"{seed}-rhythm-plans")
    this_week = week_start(today)
    weeks = (this_week, this_week + timedelta(weeks=1))
    sellers = list(
        User.objects.filter(role__in=SELLER_ROLES, is_active=True, org_unit__isnull=False)
        .exclude(weekly_plans__week_start__in=weeks)
        .order_by("pk")
        .values_list("pk", "org_unit_id")
    )
    if not sellers:
        return 0
    ids = [pk for pk, _unit in sellers]
    own: dict[int, list[int]] = defaultdict(list)
    for account_id, owner_id in (
        Account.objects.filter(owner_id__in=ids).order_by("pk").values_list("pk", "owner_id")
    ):
        if len(own[owner_id]) < 12:
            own[owner_id].append(account_id)
    visited: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
    for account_id, owner_id, kind, day in Activity.objects.filter(
        owner_id__in=ids, done=True, date__range=(this_week, this_week + timedelta(days=6))
    ).values_list("account_id", "owner_id", "kind", "date"):
        visited[owner_id].append((account_id, kind, day))
    managers = dict(
        User.objects.filter(role=User.Role.MANAGER, managed_units__isnull=False).values_list(
            "managed_units", "pk"
        )
    )
    now = timezone.now()
    plans = []
    for pk, unit_id in sellers:
        if not own[pk] and not visited[pk]:
            continue
        submitted = datetime.combine(this_week - timedelta(days=3), time(17), tzinfo=now.tzinfo)
        plans.append(
            WeeklyPlan(
                owner_id=pk, team_id=unit_id, week_start=weeks[0], status="submitted", submitted_at=submitted
            )
        )
        plans.append(WeeklyPlan(owner_id=pk, team_id=unit_id, week_start=weeks[1]))
    WeeklyPlan.objects.bulk_create(plans, batch_size=2000)
    plans = list(
        WeeklyPlan.objects.filter(owner_id__in=ids, week_start__in=weeks).order_by("owner_id", "week_start")
    )
    items, comments = [], []
    for plan in plans:
        owner = plan.owner_id
        if plan.week_start == weeks[0]:
            # most of what was done this week was planned; a few planned items are still open
            for account_id, kind, day in visited[owner][: rng.randint(2, 6)]:
                items.append(_item(plan, account_id, kind, day, rng))
            for account_id in rng.sample(own[owner], min(len(own[owner]), rng.randint(1, 3))):
                items.append(
                    _item(
                        plan, account_id, rng.choice(KINDS), weeks[0] + timedelta(days=rng.randrange(5)), rng
                    )
                )
            manager = managers.get(plan.team_id)
            if manager and rng.random() < 0.5:
                comments.append(PlanComment(plan=plan, author_id=manager, text=rng.choice(COMMENTS)))
        else:
            for account_id in rng.sample(own[owner], min(len(own[owner]), rng.randint(3, 6))):
                items.append(
                    _item(
                        plan, account_id, rng.choice(KINDS), weeks[1] + timedelta(days=rng.randrange(5)), rng
                    )
                )
    PlanItem.objects.bulk_create(items, batch_size=5000)
    PlanComment.objects.bulk_create(comments, batch_size=2000)
    return len(plans)


def _item(plan: WeeklyPlan, account_id: int, kind: str, day: date, rng: random.Random) -> PlanItem:
    return PlanItem(plan=plan, kind=kind, day=day, account_id=account_id, goal=rng.choice(GOALS))
