"""Ids of records one persona can see in the demo company, for the fuzzer's dictionaries: generated
ids almost never exist, so without these most calls would only meet 404. Run inside Django:

    manage.py shell -c "from tests.fuzz.known_ids import main; main('rep.north1a')"

prints {"<dictionary>": [ids…]} as JSON. A few records of each kind, the nested ones (tasks, evidence,
expenses, buying-centre members, exit criteria) from the same "focus" deals, so that a path naming a
deal and one of its tasks often names a real pair.
"""

from __future__ import annotations

import json

from kadence.accounts.models import Industry
from kadence.core.models import User
from kadence.core.visibility import (
    visible_accounts,
    visible_activities,
    visible_contacts,
    visible_opportunities,
    visible_targets,
    visible_units,
    visible_users,
)
from kadence.deals.models import BuyingCentreMember, Evidence, Expense, OpportunityTask
from kadence.pipeline.models import (
    Competitor,
    DealRole,
    ExitCriterion,
    LossReason,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    Stage,
)
from kadence.planning.models import ForecastSubmission

PER_KIND = 5


def ids(queryset, n: int = PER_KIND) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:n])


def known_ids(username: str) -> dict[str, list[int]]:
    user = User.objects.get(username=username)
    deals = visible_opportunities(user)
    focus = list(
        deals.filter(status="open", tasks__isnull=False, evidence__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:3]
    )
    focus += ids(deals.exclude(status="open"), 2)
    templates = ids(ProcessTemplate.objects.all())
    return {
        "opportunity": focus,
        "account": ids(visible_accounts(user)),
        "contact": ids(visible_contacts(user).filter(account__opportunities__in=focus).distinct())
        or ids(visible_contacts(user)),
        "activity": ids(visible_activities(user)),
        "evidence": ids(Evidence.objects.filter(opportunity__in=focus)),
        "expense": ids(Expense.objects.filter(opportunity__in=focus)),
        "member": ids(BuyingCentreMember.objects.filter(opportunity__in=focus)),
        "task": ids(OpportunityTask.objects.filter(opportunity__in=focus)),
        "criterion": ids(ExitCriterion.objects.filter(stage__template__in=templates), 8),
        "stage": ids(Stage.objects.filter(template__in=templates), 8),
        "template": templates,
        "target": ids(visible_targets(user)),
        "submission": ids(ForecastSubmission.objects.filter(user__in=visible_users(user))),
        "user": [user.pk, *ids(visible_users(user).exclude(pk=user.pk), 4)],
        "unit": ids(visible_units(user)),
        "industry": ids(Industry.objects.all(), 3),
        "product_line": ids(ProductLine.objects.all(), 3),
        "level": ids(ProbabilityLevel.objects.all(), 4),
        "loss_reason": ids(LossReason.objects.all(), 3),
        "role": ids(DealRole.objects.all(), 3),
        "competitor": ids(Competitor.objects.all(), 3),
    }


def main(username: str) -> None:
    print(json.dumps(known_ids(username)))
