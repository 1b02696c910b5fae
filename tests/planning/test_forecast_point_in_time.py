"""The forecast at a past date is the forecast of the pipeline as it stood that day (issue 11 §2): for a
generated history, the report at day D equals the same report computed on a copy of the data rolled
back to D (every deal set to its history row in force then, the deals created later removed), read
through the live code path."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from kadence.core.visibility import resolve_scope
from kadence.pipeline import services, snapshots
from kadence.pipeline.models import Opportunity, PipelineSnapshot, StageChange
from kadence.pipeline.month_ends import end_of
from kadence.planning.selectors.forecast import _bucket_rows, forecast_report, period_groups
from tests.insights.test_pipeline_changes import MIX, _spread_history
from tests.test_concurrency import _operations
from tests.versions import opp_version  # noqa: F401 - the fixture's services use versions


@pytest.fixture
def history(org):
    rng = random.Random(33)
    operations = _operations(org, rng)
    today = timezone.localdate()
    deals = [
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"pit {n}",
            amount=str(100000 * (n + 1)),
            expected_close_date=today + timedelta(days=rng.randrange(-20, 120)),
        ).pk
        for n in range(8)
    ]
    for _step in range(70):
        try:
            operations[rng.choice(MIX)](rng.choice(deals))
        except Exception:  # noqa: BLE001 - a refusal is fine; the history is what matters
            pass
    _spread_history(60)
    # a won deal's close date is the day its win was recorded (the services' default)
    for opp in Opportunity.objects.filter(status=Opportunity.Status.WON):
        won = StageChange.objects.filter(opportunity=opp, kind="won").order_by("-id").first()
        Opportunity.objects.filter(pk=opp.pk).update(closed_on=timezone.localtime(won.changed_at).date())
    return org


def _rolled_back_to(day) -> None:
    """Set every deal to its history row in force at the end of `day`; remove the deals created later."""
    for opp in Opportunity.objects.all():
        rows = StageChange.objects.filter(opportunity=opp, changed_at__lt=end_of(day)).order_by("-id")
        row = rows.first()
        if row is None:
            opp.delete()
            continue
        won = StageChange.objects.filter(pk=row.pk, status="won").exists()
        Opportunity.objects.filter(pk=opp.pk).update(
            stage_id=row.to_stage_id,
            level_id=row.to_level_id,
            probability=row.probability,
            amount=row.amount,
            expected_close_date=row.expected_close_date,
            status=row.status,
            forecast_category=row.forecast_category,
            owner_id=row.owner_id,
            team_id=row.team_id,
            closed_on=timezone.localtime(row.changed_at).date() if won else None,
        )


def _figures(groups):
    return sorted((g.owner_id, g.team_id, repr(g.totals)) for g in groups)


@pytest.mark.django_db
@pytest.mark.parametrize("snapshotted", [False, True], ids=["history", "snapshots"])
@pytest.mark.parametrize("days_back", [3, 15, 31, 45])
def test_the_forecast_at_a_past_date_is_the_pipeline_as_it_stood(history, days_back, snapshotted):
    """From the history alone, and from the nearest weekly snapshot plus the changes since."""
    if snapshotted:
        snapshots.build(snapshots.missing_days())
        assert PipelineSnapshot.objects.filter(taken_on__lte=timezone.localdate() - timedelta(days=days_back))
    day = timezone.localdate() - timedelta(days=days_back)
    deals_now = Opportunity.objects.count()
    for user, kwargs in [(history.ada, {}), (history.dora, {}), (history.ada, {"unit_id": history.n1.pk})]:
        report = forecast_report(user, period_kind="quarter", as_of=day, **kwargs)
        scope = resolve_scope(user, **kwargs)
        with transaction.atomic():
            _rolled_back_to(day)
            deals = scope.filter(Opportunity.objects.all())
            expected_groups = period_groups(deals, report.period, day)
            expected_booked, expected_buckets = _bucket_rows(deals, day)
            transaction.set_rollback(True)
        assert repr(report.totals) == repr(sum((g.totals for g in expected_groups), type(report.totals)())), (
            user,
            kwargs,
        )
        assert repr(report.booked_to_date) == repr(expected_booked)
        assert [repr(b.totals) for b in report.buckets] == [repr(b.totals) for b in expected_buckets]
    assert Opportunity.objects.count() == deals_now  # the copy was rolled back, not the data


@pytest.mark.django_db
def test_a_past_forecast_is_not_todays(history):
    """The defect: with a past as_of the forecast read today's open deals."""
    day = timezone.localdate() - timedelta(days=30)
    past = forecast_report(history.ada, period_kind="quarter", as_of=day)
    _booked, todays = _bucket_rows(Opportunity.objects.all(), day)
    assert StageChange.objects.filter(changed_at__gte=end_of(day)).exists()
    assert [repr(b.totals) for b in past.buckets] != [repr(b.totals) for b in todays]
