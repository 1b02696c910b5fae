"""The funnel at a past date is the funnel of the pipeline as it stood that day (issue 11 §2, §3): for a
generated history with owners and teams changing over time, the report at day D equals the same report
computed through the live path on a copy of the data rolled back to D (every deal set to its history
row in force then, with the owner, team and stage-entry moment of then; later deals and rows removed),
from the history alone and from the weekly snapshots plus the changes since: the open deals and the
flows (conversion, win rate, cycle, velocity) of the company, of a team and of a seller. The funnel
trend's month-ends likewise. The past funnel's query count does not grow with the number of deals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.analysis import month_end_pipeline, month_ends, open_pipeline_at
from kadence.insights.selectors.funnel import Slice, funnel_report
from kadence.pipeline import snapshots, summary
from kadence.pipeline.models import Opportunity, PipelineSnapshot, ProcessTemplate, StageChange
from tests.planning.test_forecast_point_in_time import (
    _rolled_back_to,
    history,  # noqa: F401 - the fixture
)

ENTERS = tuple(str(kind) for kind in StageChange.TRANSITIONS)


def _rolled_back_with_history_to(day) -> None:
    """_rolled_back_to, plus each open deal's stage-entry moment then, and no history after the day."""
    _rolled_back_to(day)
    end = snapshots.end_of(day)
    for opp in Opportunity.objects.all():
        entered = (
            StageChange.objects.filter(opportunity=opp, kind__in=ENTERS, changed_at__lt=end)
            .order_by("-id")
            .values_list("changed_at", flat=True)
            .first()
        )
        Opportunity.objects.filter(pk=opp.pk).update(stage_entered_at=entered)
    StageChange.objects.filter(changed_at__gte=end).delete()


def _stages(report):
    return [(r.stage.pk, r.count, r.amount, r.weighted, r.avg_age, r.age_total) for r in report.stages]


def _flows(report):
    return (
        report.won,
        report.lost,
        report.won_amount,
        report.win_rate,
        report.cycle_days,
        [(r.advanced, r.lost, r.conversion) for r in report.stages],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("snapshotted", [False, True], ids=["history", "snapshots"])
@pytest.mark.parametrize("days_back", [2, 9, 20, 33, 50])
def test_the_funnel_at_a_past_date_is_the_pipeline_as_it_stood(history, days_back, snapshotted):  # noqa: F811
    summary.rebuild()  # the fixture restamped the history over the last 60 days
    if snapshotted:
        snapshots.build(snapshots.missing_days())
        assert PipelineSnapshot.objects.exists()
    today = timezone.localdate()
    day = today - timedelta(days=days_back)
    template = ProcessTemplate.objects.get(is_default=True)
    asks = _asks(history)
    reports = []
    for user, kwargs in asks:
        scope = resolve_scope(user, **kwargs)
        reports.append(funnel_report(user, scope, template=template, as_of=day, today=today))
    with transaction.atomic():
        _rolled_back_with_history_to(day)
        for (user, kwargs), report in zip(asks, reports, strict=True):
            scope = resolve_scope(user, **kwargs)
            then = funnel_report(user, scope, template=template, as_of=day, today=day, use_summaries=False)
            assert _stages(report) == _stages(then), (user, kwargs)
            assert report.open_qualified == then.open_qualified, (user, kwargs)
            # the flows of every scope: each transition under the owner and team that made it
            assert _flows(report) == _flows(then), (user, kwargs)
            assert report.velocity == then.velocity, (user, kwargs)
        transaction.set_rollback(True)
    assert any(report.count for report in reports)
    assert any(report.won or report.lost for report in reports[2:])  # scoped flows in the window
    assert StageChange.objects.filter(kind="reassigned").exists()


def _asks(world):
    return [
        (world.ada, {}),
        (world.dora, {}),
        (world.ada, {"unit_id": world.rita.org_unit_id}),
        (world.ada, {"unit_id": world.nick.org_unit_id}),
        (world.ada, {"owner_id": world.nick.pk}),
        (world.ada, {"owner_id": world.rita.pk}),
        (world.rita, {}),
    ]


@pytest.mark.django_db
def test_the_trend_month_ends_are_the_pipeline_as_it_stood(history):  # noqa: F811
    """The funnel trend's month-ends (the MonthEndPipeline summary for teams, the history for a seller
    and for the reference path) equal the open pipeline of a copy rolled back to each month-end."""
    summary.rebuild()
    today = timezone.localdate()
    template = ProcessTemplate.objects.get(is_default=True)
    ends = [day for day in month_ends(today)[:-1] if day >= today - timedelta(days=60)]
    assert ends
    points = []
    for user, kwargs in _asks(history):
        scope = resolve_scope(user, **kwargs)
        fast = month_end_pipeline(scope, template, ends)
        slow = open_pipeline_at(scope, template, Slice(), ends)
        figures = {day: (fast[day].count, fast[day].amount, fast[day].weighted) for day in ends}
        assert figures == {day: (slow[day].count, slow[day].amount, slow[day].weighted) for day in ends}
        points.append(figures)
    for day in ends:
        with transaction.atomic():
            _rolled_back_with_history_to(day)
            for (user, kwargs), figures in zip(_asks(history), points, strict=True):
                scope = resolve_scope(user, **kwargs)
                then = funnel_report(
                    user, scope, template=template, as_of=day, today=day, use_summaries=False
                )
                assert figures[day] == (then.count, then.amount, then.weighted), (user, kwargs, day)
            transaction.set_rollback(True)
    assert any(figures[day][0] for figures in points[2:] for day in ends)


@pytest.mark.django_db
def test_the_past_funnel_reads_a_fixed_number_of_queries(history):  # noqa: F811
    summary.rebuild()
    snapshots.build(snapshots.missing_days())
    template = ProcessTemplate.objects.get(is_default=True)
    today = timezone.localdate()
    day = today - timedelta(days=20)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            funnel_report(history.ada, resolve_scope(history.ada), template=template, as_of=day, today=today)
        read = " ".join(q["sql"] for q in seen.captured_queries)
        # the whole company reads the snapshot's totals and the daily flows, not every deal or history row
        assert "pipeline_snapshottotal" in read and "pipeline_dailyflow" in read
        assert "pipeline_stageflow" not in read
        return len(seen)

    queries()  # warm the per-process caches (the ladder, the policy)
    before = queries()
    opp = Opportunity.objects.first()
    for n in range(5):  # more deals in the snapshots: the same queries
        copy = Opportunity.objects.get(pk=opp.pk)
        copy.pk = None
        copy.name = f"copy {n}"
        copy.save()
        row = StageChange.objects.filter(opportunity=opp).order_by("id").first()
        row.pk = None
        row.opportunity = copy
        row.save()
    PipelineSnapshot.objects.all().delete()
    snapshots.build(snapshots.missing_days())
    assert queries() == before
    assert before <= 10
