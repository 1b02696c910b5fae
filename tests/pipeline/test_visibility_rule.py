"""visible_opportunities and visible_accounts are written as id sets fetched by primary key, for
speed (issue 10 §2); they must select exactly the list rule, which is stated here as one plain
filter: owned, on the deal team, or (managers, directors) in their units; accounts owned, of their
units, or with a deal they own or are on the deal team of. And the home page's and the board's
totals, read from the PipelineTotal summary plus the deals seen beyond it (summary_cover), must
equal the same totals summed over the visible deals one by one."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Exists, OuterRef, Q, Sum

from kadence.accounts.models import Account
from kadence.core.visibility import ALL, is_seller, scope_unit_ids, visible_accounts, visible_opportunities
from kadence.pipeline import services as pipeline
from kadence.pipeline.expressions import WEIGHTED
from kadence.pipeline.models import DealRole, ForecastCategory, Opportunity, OpportunityTeamMember
from kadence.pipeline.selectors import open_totals

pytestmark = pytest.mark.django_db

PERSONAS = ("ada", "dora", "sven", "mona", "sam", "rita", "tom", "nick", "sara")


def opportunity_rule(user):
    scope = scope_unit_ids(user)
    if scope is ALL:
        return Opportunity.objects.all()
    members = OpportunityTeamMember.objects.filter(opportunity=OuterRef("pk"), user=user)
    q = Q(owner=user) | Q(Exists(members))
    if scope:
        q |= Q(team_id__in=scope)
    return Opportunity.objects.filter(q)


def account_rule(user):
    scope = scope_unit_ids(user)
    if scope is ALL:
        return Account.objects.all()
    owned = Opportunity.objects.filter(account=OuterRef("pk"), owner=user)
    member = OpportunityTeamMember.objects.filter(opportunity__account=OuterRef("pk"), user=user)
    q = Q(owner=user) | Q(Exists(owned)) | Q(Exists(member))
    if scope:
        q |= Q(team_id__in=scope)
    return Account.objects.filter(q)


@pytest.fixture
def spread(org):
    """Deals of every owner at every account, booked to every team (also combinations the services
    would not make), some closed, with deal-team memberships across regions."""
    presales = DealRole.objects.get(code="presales")
    accounts = [org.account, org.sara_account]
    people = [org.rita, org.tom, org.nick, org.sara]
    teams = [org.n1, org.n2, org.s1]
    base = org.opp
    soon = date.today().replace(day=1)
    rows = []
    for i, (owner, account, team) in enumerate(itertools.product(people, accounts, teams)):
        rows.append(
            Opportunity(
                name=f"d{i}",
                account=account,
                owner=owner,
                team=team,
                template=base.template,
                stage=base.stage,
                level=base.level,
                probability=base.probability,
                forecast_category=ForecastCategory.COMMIT if i % 3 == 0 else base.forecast_category,
                amount=Decimal(1000 + i),
                expected_close_date=soon + timedelta(days=20 * (i % 4)),
                status="open" if i % 5 else "lost",
            )
        )
    made = Opportunity.objects.bulk_create(rows)
    for opp in made[::4]:
        OpportunityTeamMember.objects.create(opportunity=opp, user=org.nick, role=presales)
        OpportunityTeamMember.objects.create(opportunity=opp, user=org.mona, role=presales)
    pipeline.opportunity_team_add(org.sara, org.sara_opp.pk, user_id=org.nick.pk, role_id=presales.pk)
    from kadence.pipeline import summary

    summary.rebuild()  # the rows above were written around the services
    return org


def test_the_id_sets_select_exactly_the_rule_for_every_persona(spread):
    for name in PERSONAS:
        user = getattr(spread, name)
        got = set(visible_opportunities(user).values_list("id", flat=True))
        assert got == set(opportunity_rule(user).values_list("id", flat=True)), name
        assert got
        accounts = set(visible_accounts(user).values_list("id", flat=True))
        assert accounts == set(account_rule(user).values_list("id", flat=True)), name


def _one_by_one(qs, by=None):
    agg = {  # aliases must not shadow the `amount` column WEIGHTED reads
        "n": Count("id"),
        "total": Sum("amount"),
        "w": Sum(WEIGHTED),
        "c": Count("id", filter=Q(forecast_category=ForecastCategory.COMMIT)),
    }
    rows = qs.values(by).annotate(**agg).order_by() if by else [qs.aggregate(**agg)]
    return {
        (row[by] if by else None): (
            row["n"],
            Decimal(str(row["total"] or 0)).quantize(Decimal("0.01")),
            Decimal(str(row["w"] or 0)).quantize(Decimal("0.01")),
            row["c"],
        )
        for row in rows
        if row["n"] or not by
    }


def _from_summary(totals):
    return {
        key: (
            row["count"],
            row["amount"].quantize(Decimal("0.01")),
            row["weighted"].quantize(Decimal("0.01")),
            row["committed"],
        )
        for key, row in totals.items()
    }


def test_open_totals_equal_the_visible_deals_summed_one_by_one(spread):
    month = date.today().replace(day=1)
    end = month.replace(day=28) + timedelta(days=4)
    end = end - timedelta(days=end.day)
    for name in PERSONAS:
        user = getattr(spread, name)
        visible = visible_opportunities(user).filter(status="open")
        own = is_seller(user)
        mine = Opportunity.objects.filter(owner=user, status="open") if own else visible
        assert _from_summary(open_totals(user, own=own)) == _one_by_one(mine), name
        for by in ("team_id", "stage_id"):
            assert _from_summary(open_totals(user, by=by)) == _one_by_one(visible, by), (name, by)
        in_month = visible.filter(expected_close_date__gte=month, expected_close_date__lte=end)
        assert _from_summary(open_totals(user, month=month)) == _one_by_one(in_month), name
        template = spread.opp.template
        assert _from_summary(open_totals(user, by="stage_id", template=template)) == _one_by_one(
            visible.filter(template=template), "stage_id"
        ), name
    # the split matters: nick's deal-team deals outside his own are counted once, mona's too
    nick = open_totals(spread.nick)[None]["count"]
    assert nick > Opportunity.objects.filter(owner=spread.nick, status="open").count()
