"""The demo's key accounts (issue 15): three groups of accounts under the largest ones, the largest
accounts' buying power for last year and this one, the RAD cells and ABC classes of both years, the
screening platforms of the last three months, the importance score and type of every account, the largest
accounts' KAM stages with checklist ticks and three CSI surveys over the year, and account plans for the
three largest with their quarters' expected revenue and actions (one overdue, one due soon, one done), so
that every key-account page has figures on first look. Written through the key-account services, as the
account owners, their managers and the nightly jobs would."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from kadence.accounts.models import Account
from kadence.accounts.services import account_update
from kadence.core.models import User
from kadence.domain.periods import add_months
from kadence.keyaccounts.importance.services import compute as importance_compute
from kadence.keyaccounts.kam.models import AccountKam, CsiQuestion, KamChecklistItem, KamStage
from kadence.keyaccounts.kam.services import stage_set, survey_create, tick_set
from kadence.keyaccounts.plans.models import AccountPlan
from kadence.keyaccounts.plans.services import (
    action_create,
    action_update,
    plan_create,
    plan_set_status,
    quarter_update,
)
from kadence.keyaccounts.platforms.services import platforms_compute
from kadence.keyaccounts.value.models import BuyingPower
from kadence.keyaccounts.value.services import buying_power_bulk, value_compute
from kadence.pipeline.models import Opportunity

LARGEST = 12  # accounts given a BP, a KAM stage and surveys
GROUPS = 3  # of them, the ones heading a group of accounts
PLANNED = 3  # of them, the ones with an account plan


def largest_accounts(today: date, count: int) -> list[Account]:
    """The accounts with the most won in the last twelve months."""
    since = today - timedelta(days=365)
    ids = list(
        Opportunity.objects.filter(status=Opportunity.Status.WON, closed_on__gte=since, closed_on__lte=today)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .order_by("-total", "account_id")
        .values_list("account_id", flat=True)[:count]
    )
    found = Account.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def load_demo_keyaccounts(today: date, seed: int = 42) -> dict[str, int]:
    """Returns the rows written per kind."""
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None or AccountPlan.objects.exists():
        return {}
    rng = random.Random(f"{seed}:keyaccounts")
    largest = largest_accounts(today, LARGEST)
    counts = {"accounts_account_grouped": _groups(admin, largest[:GROUPS])}
    counts["keyaccounts_buyingpower"] = _buying_power(admin, largest, today, rng)
    for year in (today.year - 1, today.year):
        value_compute(admin, year=year)
    for back in (2, 1, 0):  # the platforms of this month and the two before, for their movement
        platforms_compute(admin, day=add_months(today, -back))
    counts["keyaccounts_importancescore"] = importance_compute(None, as_of=today, actor=admin)
    counts["keyaccounts_accountkam"] = _kam(admin, largest, today, rng)
    counts["keyaccounts_accountplan"] = _plans(admin, largest[:PLANNED], today)
    return counts


def _groups(admin: User, heads: list[Account]) -> int:
    """Each of the largest accounts heads a group: two accounts of the same region become its subsidiaries,
    and one more a branch under the first of them (集团 → 子公司 → 分支机构)."""
    grouped = 0
    taken = {a.pk for a in heads}
    for head in heads:
        below = list(
            Account.objects.filter(region_id=head.region_id, parent__isnull=True, children__isnull=True)
            .exclude(pk__in=taken)
            .order_by("pk")[:3]
        )
        for index, account in enumerate(below):
            parent = head if index < 2 else below[0]
            account.refresh_from_db()
            account_update(admin, account.pk, version=account.version, parent_id=parent.pk)
            taken.add(account.pk)
            grouped += 1
    return grouped


def _buying_power(admin: User, accounts: list[Account], today: date, rng: random.Random) -> int:
    """The largest accounts' buying power for last year and this one, as a key-account manager enters it:
    a few times what we sold them, so that their share of wallet spreads over the RAD matrix."""
    rows = []
    for account in accounts:
        for year in (today.year - 1, today.year):
            won = Opportunity.objects.filter(
                account=account, status=Opportunity.Status.WON, closed_on__year=year
            ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
            factor = Decimal(rng.choice((15, 25, 40, 60, 120, 300))) / 10  # SOW from 67 % down to 3 %
            amount = max(won * factor, Decimal(300_000)).quantize(Decimal(1000))
            rows.append(
                {"account_id": account.pk, "year": year, "amount": amount, "note": "年度采购预算估算"}
            )
    if rows:
        buying_power_bulk(admin, rows, source=BuyingPower.Source.ENTERED)
    return len(rows)


def _kam(admin: User, accounts: list[Account], today: date, rng: random.Random) -> int:
    stages = list(KamStage.objects.order_by("order"))
    questions = list(CsiQuestion.objects.filter(is_active=True).order_by("order"))
    if not stages:
        return 0
    for rank, account in enumerate(accounts):
        # the largest accounts are further along: partnership for the first, pre-KAM for the last ones
        reached = max(0, min(len(stages) - 1, 3 - rank // 3))
        for stage in stages[1 : reached + 1] if reached else stages[:1]:
            row = AccountKam.objects.filter(account=account).first()
            version = 0 if row is None or row.stage_id is None else row.version
            stage_set(admin, account.pk, stage=stage.code, version=version, note="")
        done = KamChecklistItem.objects.filter(is_active=True, stage__order__lte=stages[reached].order)
        for item in done.order_by("stage__order", "order"):
            if item.stage_id != stages[reached].pk or rng.random() < 0.5:  # the current stage half done
                tick_set(admin, account.pk, item.pk, done=True)
        base = 3 + (reached >= 2)
        for back in (270, 180, 90):
            answers = {q.pk: max(1, min(5, base + rng.choice((-1, 0, 0, 1)))) for q in questions}
            if answers:
                survey_create(admin, account.pk, surveyed_on=today - timedelta(days=back), answers=answers)
    return len(accounts)


def _plans(admin: User, accounts: list[Account], today: date) -> int:
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    written = 0
    for account in accounts:
        last_year = Opportunity.objects.filter(
            account=account,
            status=Opportunity.Status.WON,
            closed_on__gte=start - timedelta(days=365),
            closed_on__lt=start,
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        target = (last_year * Decimal("1.2")).quantize(Decimal(1)) or Decimal(1_000_000)
        plan = plan_create(
            admin,
            account_id=account.pk,
            period_start=start,
            period_end=end,
            objectives="提高我们在客户年度采购中的份额；接触到经济决策者。",
            target_revenue=target,
            strengths="已有装机和本行业的成功案例。",
            weaknesses="与部门负责人以上的高层接触很少。",
            opportunities="客户今年的扩产计划。",
            threats="竞争对手在入门机型上报价更低。",
        )
        for quarter in plan.quarters.order_by("pk"):
            quarter_update(
                admin,
                plan.pk,
                quarter.pk,
                version=quarter.version,
                expected_revenue=(target / 4).quantize(Decimal(1)),
            )
        owner_id = account.owner_id
        action_create(
            admin,
            plan.pk,
            title="与我方总监一起拜访经济决策者",
            owner_id=owner_id,
            due_on=today - timedelta(days=5),
        )
        action_create(
            admin,
            plan.pk,
            title="向技术团队介绍扩产方案",
            owner_id=owner_id,
            due_on=today + timedelta(days=7),
        )
        done = action_create(
            admin, plan.pk, title="梳理采购中心", owner_id=owner_id, due_on=today - timedelta(days=30)
        )
        action_update(admin, plan.pk, done.pk, version=done.version, status="done")
        plan.refresh_from_db()
        plan_set_status(admin, plan.pk, version=plan.version, status=AccountPlan.Status.ACTIVE)
        written += 1
    return written
