"""The demo's 1-15-30 cadence and debriefs: a manager of the demo reviewed some of the team's deals and
customers over the last weeks, so that the cadence page shows items due soon, overdue and done; and each
of a few managers recorded debrief talks and ride-alongs this month and last. Written through the
services (a few dozen rows: fast)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from kadence.accounts.models import Account
from kadence.core.models import User
from kadence.pipeline.models import Opportunity
from kadence.rhythm.cadence.models import CadenceItem
from kadence.rhythm.cadence.services import debrief_create, follow_up_record, review_create

WORK = (
    "拜访了信息中心主任，确认了需求范围",
    "完成了技术交流和方案演示",
    "提交了初步报价",
    "陪同客户参观样板工程",
)
PROGRESS = (
    "客户已立项，预算待批",
    "技术方案获认可，进入比选",
    "采购流程启动，预计下月招标",
    "进展缓慢，关键人出差",
)
PROBLEMS = ("竞争对手报价更低", "经济决策者尚未接触", "客户内部意见不一", "")
# days before today for each review: due soon, follow-up overdue, judgement overdue, fresh
AGES = (10, 12, 18, 20, 25, 33, 40, 3, 1, 0)


def load_demo_cadence(seed: int = 42, today: date | None = None) -> int:
    """Reviews of the first demo managers' deals and accounts, some follow-ups recorded, and a few
    debriefs per manager; returns the number of rows written (0 without demo managers)."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    managers = list(
        User.objects.filter(role=User.Role.MANAGER, is_active=True, org_unit__isnull=False).order_by(
            "username"
        )[:2]
    )
    written = 0
    for manager in managers:
        deals = list(
            Opportunity.objects.filter(team_id=manager.org_unit_id, status=Opportunity.Status.OPEN).order_by(
                "pk"
            )[:7]
        )
        accounts = list(Account.objects.filter(team_id=manager.org_unit_id).order_by("pk")[:3])
        subjects = [("deal", d.pk) for d in deals] + [("account", a.pk) for a in accounts]
        for (kind, pk), age in zip(subjects, AGES, strict=False):
            review = review_create(
                manager,
                opportunity_id=pk if kind == "deal" else None,
                account_id=pk if kind == "account" else None,
                work_done=rng.choice(WORK),
                progress=rng.choice(PROGRESS),
                problems=rng.choice(PROBLEMS),
                reviewed_on=today - timedelta(days=age),
                today=today,
            )
            written += 3
            follow_up = review.items.get(kind=CadenceItem.Kind.FOLLOW_UP)
            if age in (20, 33):  # followed up in time
                follow_up_record(
                    manager,
                    follow_up.pk,
                    version=follow_up.version,
                    note="客户确认下周开标前再沟通一次",
                    today=follow_up.due_on,
                )
        reps = list(
            User.objects.filter(org_unit_id=manager.org_unit_id, role=User.Role.REP, is_active=True).order_by(
                "pk"
            )[:3]
        )
        for number, rep in enumerate(reps):
            for months_back, kind in ((0, "ride_along"), (1, "debrief")):
                held = today.replace(day=1) - timedelta(days=31 * months_back) + timedelta(days=number)
                debrief_create(
                    manager,
                    rep_id=rep.pk,
                    kind=kind,
                    held_on=min(held, today),
                    customer_situation="客户预算已批，但决策链较长",
                    rep_ability="需求挖掘到位，商务谈判偏弱",
                    market_conditions="竞争对手在本区域降价抢单",
                    coaching="先锁定技术决策者，再谈价格",
                    findings="关键人关系需要加强",
                    actions="两周内安排高层拜访",
                    today=today,
                )
                written += 1
    return written
