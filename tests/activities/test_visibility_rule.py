"""visible_activities is written as a union of id sets for speed (one index each); it must select
exactly the rule: logged by the user, on an account they own, on a deal they may see (owned, on its
deal team, in their units), or booked to one of their units."""

from __future__ import annotations

import itertools

import pytest
from django.db.models import Q

from kadence.activities.models import Activity
from kadence.core.visibility import ALL, scope_unit_ids, visible_activities, visible_opportunities
from kadence.pipeline import services as pipeline
from kadence.pipeline.models import DealRole

pytestmark = pytest.mark.django_db

PERSONAS = ("ada", "dora", "sven", "mona", "sam", "rita", "tom", "nick", "sara")


def rule(user):
    """The rule as one plain filter: the specification the union must meet."""
    scope = scope_unit_ids(user)
    if scope is ALL:
        return Activity.objects.all()
    q = Q(owner=user) | Q(opportunity__in=visible_opportunities(user)) | Q(account__owner=user)
    if scope:
        q |= Q(team_id__in=scope)
    return Activity.objects.filter(q)


def test_the_union_selects_exactly_the_rule_for_every_persona(org):
    # nick on sara's deal team (another region): he sees that deal and its activities
    pipeline.opportunity_team_add(
        org.sara, org.sara_opp.pk, user_id=org.nick.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    deals = [None, org.opp, org.sara_opp]
    accounts = {None: org.account, org.opp.pk: org.account, org.sara_opp.pk: org.sara_account}
    teams = [org.n1, org.n2, org.s1]
    people = [org.rita, org.tom, org.nick, org.sara, org.mona]
    # every combination of author, deal and booked team, including ones the services would not make
    # (an activity booked to a team other than its deal's), so that each branch is needed
    for i, (owner, deal, team) in enumerate(itertools.product(people, deals, teams)):
        Activity.objects.create(
            kind="call",
            subject=f"a{i}",
            owner=owner,
            opportunity=deal,
            account=accounts[deal.pk if deal else None],
            team=team,
        )
    for name in PERSONAS:
        user = getattr(org, name)
        got = set(visible_activities(user).values_list("id", flat=True))
        assert got == set(rule(user).values_list("id", flat=True)), name
        assert 0 < len(got)
    # and the union narrows: a rep of another region does not see north's own activities
    assert not visible_activities(org.sara).filter(owner=org.tom, opportunity=None, team=org.n1).exists()


def test_an_activity_carries_its_deals_team_and_follows_a_reassignment(org):
    """deal_team is the deal's team on every write path, and a deal reassigned to another team takes
    its activities along: the new team's manager sees them, the old team's no longer does."""
    from kadence.activities import services as activities
    from kadence.activities.deal_teams import sync_deal_teams

    logged = activities.activity_create(org.rita, opportunity_id=org.opp.pk, kind="call_out", subject="需求")
    direct = Activity.objects.create(
        kind="visit", subject="拜访", owner=org.sara, opportunity=org.opp, account=org.account, team=org.s1
    )
    plain = Activity.objects.create(
        kind="call_out", subject="无商机", owner=org.rita, account=org.account, team=org.n1
    )
    bulk = Activity.objects.bulk_create(
        [
            Activity(
                kind="call_out",
                subject="批量",
                owner=org.rita,
                opportunity=org.opp,
                account=org.account,
                team=org.n1,
            )
        ]
    )[0]
    assert Activity.objects.get(pk=bulk.pk).deal_team_id is None  # bulk writes skip save()
    assert sync_deal_teams() == 1
    rows = Activity.objects.in_bulk([logged.pk, direct.pk, plain.pk, bulk.pk])
    assert {rows[pk].deal_team_id for pk in (logged.pk, direct.pk, bulk.pk)} == {org.n1.pk}
    assert rows[plain.pk].deal_team_id is None
    assert visible_activities(org.mona).filter(pk=direct.pk).exists()  # on a deal of her team

    pipeline.opportunity_reassign(org.ada, org.opp.pk, owner_id=org.nick.pk, version=org.opp.version)
    assert set(Activity.objects.filter(opportunity=org.opp).values_list("deal_team_id", flat=True)) == {
        org.n2.pk
    }
    assert (
        not visible_activities(org.mona).filter(pk=direct.pk).exists()
    )  # booked to south-1, deal now north-2
    assert sync_deal_teams() == 0
    for name in PERSONAS:
        user = getattr(org, name)
        assert set(visible_activities(user).values_list("id", flat=True)) == set(
            rule(user).values_list("id", flat=True)
        ), name
