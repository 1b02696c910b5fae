"""Migration 0022 re-derives the level of open deals under the rule "the level a stage grants is earned
by leaving it" (issue 11 §1b): a history row per changed deal, the summaries rebuilt."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from kadence.pipeline import services, summary
from kadence.pipeline.models import ExitCriterion, Opportunity, ProbabilityLevel, StageChange

pytestmark = pytest.mark.django_db

migration = importlib.import_module("kadence.pipeline.migrations.0023_levels_earned_by_leaving")


def test_open_deals_are_releveled_with_a_history_row_and_the_summaries_rebuilt(org):
    stages = list(org.opp.template.stages.order_by("order"))
    ExitCriterion.objects.filter(stage__in=stages[:5]).update(is_active=False)  # stages 1-5 proven
    review = services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="项目评估中",
        amount="300000",
        stage_id=stages[5].pk,
        expected_close_date=date.today() + timedelta(days=40),
    )
    assert (review.level.code, review.staging_flag) == ("Q", "")
    # As the old rule left it: D on entering stage 6, over-staged for want of 8C1F0W.
    d = ProbabilityLevel.objects.get(code="D")
    Opportunity.objects.filter(pk=review.pk).update(level=d, probability=d.probability, staging_flag="over")
    StageChange.objects.filter(opportunity=review).update(to_level=d, probability=d.probability)
    summary.rebuild()
    untouched = set(StageChange.objects.exclude(opportunity=review).values_list("id", flat=True))
    before = timezone.now()

    migration.relevel(apps, None)

    review.refresh_from_db()
    assert (review.level.code, review.probability, review.staging_flag) == ("Q", Decimal("50.00"), "")
    row = StageChange.objects.filter(opportunity=review).order_by("-id").first()
    assert (row.kind, row.from_level, row.to_level.code) == ("updated", d, "Q")
    assert row.probability == Decimal("50.00") and row.to_stage == stages[5] and row.changed_at >= before
    assert "earned by leaving" in row.reason and row.changed_by is None
    assert (row.owner_id, row.team_id, row.amount) == (review.owner_id, review.team_id, review.amount)
    assert set(StageChange.objects.exclude(opportunity=review).values_list("id", flat=True)) == untouched
    assert summary.drift() == []
    # Run again: nothing left to change.
    count = StageChange.objects.count()
    migration.relevel(apps, None)
    assert StageChange.objects.count() == count


def test_relevel_reads_a_batch_in_a_fixed_number_of_queries(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kadence.pipeline.relevel import relevel_open

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert relevel_open("x", batch=100) == 0
        return len(captured.captured_queries)

    few = queries()
    for n in range(6):
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"d{n}",
            amount="1000",
            expected_close_date=date.today() + timedelta(days=40),
        )
    assert queries() == few
