"""`kadence seed --reps N`: a sales force of realistic shape, so a rep's book is hundreds of deals."""

from __future__ import annotations

from io import StringIO
from statistics import median

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from kadence.core.models import OrgUnit, User
from kadence.core.visibility import scope_unit_ids, visible_opportunities
from kadence.demo.sales_force import DEALS_PER_REP, grow_sales_force, reps_for, reps_in_teams
from kadence.pipeline.models import Opportunity

from .test_demo_data import TODAY

pytestmark = pytest.mark.django_db


def seed(**options):
    out = StringIO()
    call_command("seed", today=TODAY, deal_control=False, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_reps_grows_the_org_in_regions_of_teams_and_spreads_the_deals_evenly():
    out = seed(opportunities=3000, reps=150, accounts=1500, no_activities=True)  # 10 accounts a rep
    assert "Added" in out and reps_in_teams() >= 150
    generated = OrgUnit.objects.filter(code__startswith="g")
    for region in generated.filter(kind=OrgUnit.Kind.REGION):
        teams = region.children.filter(kind=OrgUnit.Kind.TEAM)
        assert 5 <= teams.count() <= 10
        assert User.objects.get(username=f"director.{region.code}").managed_units.get() == region
        for team in teams:
            assert 8 <= team.members.filter(role=User.Role.REP).count() <= 12
            assert User.objects.get(role=User.Role.MANAGER, org_unit=team).managed_units.get() == team
    # every deal owned by a rep of a team; books are even (no rep holds a multiple of the median)
    assert Opportunity.objects.exclude(owner__org_unit__kind=OrgUnit.Kind.TEAM).count() == 0
    books = list(
        Opportunity.objects.filter(owner__role=User.Role.REP)
        .values("owner")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert len(books) >= 100
    assert max(books) <= 4 * median(books), sorted(books)
    # the generated people log in and see their own deals
    rep = (
        User.objects.filter(username__startswith="rep.g").annotate(n=Count("opportunities")).order_by("-n")[0]
    )
    assert rep.check_password("kadence-demo")
    assert visible_opportunities(rep).filter(owner=rep).count() == rep.n
    manager = User.objects.get(role=User.Role.MANAGER, org_unit=rep.org_unit)
    assert scope_unit_ids(manager) == {rep.org_unit_id}


def test_the_default_book_is_one_rep_per_500_deals_and_growing_is_idempotent():
    assert reps_for(1) == 1 and reps_for(DEALS_PER_REP) == 1 and reps_for(DEALS_PER_REP + 1) == 2
    seed(opportunities=200, no_activities=True)  # 1 rep needed: the demo's 24 are enough
    assert not OrgUnit.objects.filter(code__startswith="g").exists()
    assert grow_sales_force(60) > 0 and reps_in_teams() >= 60
    assert grow_sales_force(60) == 0


def test_reps_zero_keeps_the_demo_org_for_stress():
    seed(opportunities=200, reps=0, no_activities=True)
    assert reps_in_teams() == 24 and not OrgUnit.objects.filter(code__startswith="g").exists()


@pytest.mark.parametrize("reps", [-1, 100_001])
def test_reps_out_of_range_is_refused(reps):
    with pytest.raises(CommandError, match="--reps"):
        seed(opportunities=10, reps=reps)
    assert not Opportunity.objects.exists()
