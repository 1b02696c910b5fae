"""The funnel at a past date is the funnel of the pipeline as it stood that day (issue 11 §2, §3): for a
generated history with owners and teams changing over time, the report at day D equals the same report
computed through the live path on a copy of the data rolled back to D (every deal set to its history
row in force then, with the owner, team and stage-entry moment of then; later deals and rows removed),
from the history alone and from the weekly snapshots plus the changes since. The past funnel's query
count does not grow with the number of deals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kadence.core.visibility import resolve_scope
from kadence.insights.selectors.funnel import funnel_report
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
    asks = [
        (history.ada, {}),
        (history.dora, {}),
        (history.ada, {"unit_id": history.rita.org_unit_id}),
        (history.ada, {"unit_id": history.nick.org_unit_id}),
        (history.ada, {"owner_id": history.nick.pk}),
        (history.rita, {}),
    ]
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
            if not kwargs and user == history.ada:  # flows of the whole company (see docs: scoped flows)
                assert _flows(report) == _flows(then)
                assert report.velocity == then.velocity
        transaction.set_rollback(True)
    assert any(report.count for report in reports)
    assert StageChange.objects.filter(kind="reassigned").exists()


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
