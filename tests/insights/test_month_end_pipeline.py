"""The month-end pipeline summary behind the funnel trend (kadence.pipeline.month_ends): built on first
read for the month-ends that have ended, equal to the one-pass reconstruction from the history for
every scope, each deal under the team that held it at the month-end (a later reassignment moves
nothing), checked by drift(), and read in a fixed number
of queries whatever the scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.analysis import (
    funnel_trend,
    month_end_pipeline,
    month_ends,
    open_pipeline_at,
)
from kadence.insights.selectors.funnel import Slice
from kadence.pipeline import month_ends as month_end_summary
from kadence.pipeline import services, summary
from kadence.pipeline.models import (
    MonthEndBuilt,
    MonthEndPipeline,
    ProcessTemplate,
)
from tests.insights.test_funnel_pages import TODAY, build_world, spread_history
from tests.versions import opp_version


@pytest.fixture
def world(org, no_gates):
    """build_world's deals plus two with moves, a loss and a reopening, their history spread over the
    last seven months (some rows out of id order), and the summaries rebuilt."""
    ns = build_world(org)
    d1, d2 = spread_history(ns)
    summary.rebuild()
    ns.d1, ns.d2 = d1, d2
    return ns


def _template():
    return ProcessTemplate.objects.get(is_default=True)


def _figures(points, days):
    return [(points[d].count, points[d].amount, points[d].weighted) for d in days]


def _assert_equal_to_history(world):
    days = month_ends(TODAY())[:-1]
    users = (world.rita, world.tom, world.nick, world.mona, world.dora, world.ada)
    for user in users:
        scope = resolve_scope(user)
        fast = month_end_pipeline(scope, _template(), days)
        slow = open_pipeline_at(scope, _template(), Slice(), days)
        assert _figures(fast, days) == _figures(slow, days), user
        expected = "history" if scope.owner is not None else "summary"  # a seller's book: its history
        assert all(fast[d].source == expected for d in days), user
    assert summary.drift() == []
    return days


@pytest.mark.django_db
def test_rebuilt_summary_equals_the_history_for_every_scope(world):
    days = _assert_equal_to_history(world)
    assert set(MonthEndBuilt.objects.values_list("month_end", flat=True)) >= set(days)
    company = month_end_pipeline(resolve_scope(world.ada), _template(), days)
    assert any(company[d].count for d in days)  # the fixture has history in the window


@pytest.mark.django_db
def test_a_reassignment_leaves_the_ended_months_as_they_were(world):
    """A month-end counts each deal under the team that held it then: giving deals to other teams today
    changes no ended month of any scope (the summary and the history agree before and after)."""
    days = _assert_equal_to_history(world)
    scopes = [
        resolve_scope(world.ada, unit_id=world.n1.pk),
        resolve_scope(world.ada, unit_id=world.n2.pk),
        resolve_scope(world.ada, owner_id=world.rita.pk),
        resolve_scope(world.ada, owner_id=world.nick.pk),
        resolve_scope(world.ada, owner_id=world.tom.pk),
    ]
    before = [_figures(month_end_pipeline(scope, _template(), days), days) for scope in scopes]
    rows = sorted(MonthEndPipeline.objects.values_list("month_end", "team_id", "stage_id", "count"))
    # rita (north-1) → nick (north-2), and tom's deal → rita: the team changes both times
    services.opportunity_reassign(
        world.dora, world.d1.pk, owner_id=world.nick.pk, version=opp_version(world.d1.pk)
    )
    services.opportunity_reassign(
        world.dora, world.d2.pk, owner_id=world.rita.pk, version=opp_version(world.d2.pk)
    )
    services.opportunity_reassign(
        world.dora, world.a.pk, owner_id=world.tom.pk, version=opp_version(world.a.pk)
    )
    _assert_equal_to_history(world)
    assert [_figures(month_end_pipeline(scope, _template(), days), days) for scope in scopes] == before
    assert sorted(MonthEndPipeline.objects.values_list("month_end", "team_id", "stage_id", "count")) == rows
    assert any(count for figures in before for count, _amount, _weighted in figures)


@pytest.mark.django_db
def test_month_ends_are_built_on_first_read_and_only_once_ended(world):
    MonthEndPipeline.objects.all().delete()
    MonthEndBuilt.objects.all().delete()
    days = month_ends(TODAY())
    points = funnel_trend(world.ada, resolve_scope(world.ada), template=_template(), today=TODAY())
    built = set(MonthEndBuilt.objects.values_list("month_end", flat=True))
    assert built == set(days[:-1])  # today (a running month) is never built
    assert [p.source for p in points] == ["summary"] * 6 + ["summary"]
    slow = open_pipeline_at(resolve_scope(world.ada), _template(), Slice(), days[:-1])
    assert [(p.count, p.amount, p.weighted) for p in points[:-1]] == _figures(slow, days[:-1])
    assert summary.drift() == []
    # a month-end still running, or a day that is not a month-end, is read from the history
    assert month_end_summary.ensure([TODAY(), days[0] - timedelta(days=1)]) == set()
    assert not MonthEndBuilt.objects.filter(
        month_end__gte=days[0] - timedelta(days=1), month_end__lt=days[0]
    ).exists()


@pytest.mark.django_db
def test_a_drifted_month_end_is_reported(world):
    row = MonthEndPipeline.objects.filter(count__gt=0).first()
    MonthEndPipeline.objects.filter(pk=row.pk).update(count=row.count + 1)
    found = [d for d in summary.drift() if d.model == "MonthEndPipeline"]
    assert len(found) == 1 and found[0].key == (row.month_end, row.team_id, row.stage_id)


@pytest.mark.django_db
def test_a_slice_reads_the_history(world):
    cut = Slice(industry_id=world.industry.pk)
    points = funnel_trend(world.ada, resolve_scope(world.ada), template=_template(), today=TODAY(), cut=cut)
    assert all(p.source == "history" for p in points[:-1])


@pytest.mark.django_db
def test_trend_queries_do_not_depend_on_the_scope_or_the_data(world):
    counts = []
    for user in (world.mona, world.dora, world.ada):
        scope = resolve_scope(user)
        funnel_trend(user, scope, template=_template(), today=TODAY())  # builds what is missing
        with CaptureQueriesContext(connection) as queries:
            funnel_trend(user, scope, template=_template(), today=TODAY())
        counts.append(len(queries))
    assert len(set(counts)) == 1 and counts[0] <= 12, counts
