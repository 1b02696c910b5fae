"""The stays kept for the time-aware forecast (kadence.pipeline.stays, issue 11 §5): the history writer
keeps StaySummary and each deal's `stay_began_at` exact, the summary gives the forecast the same
inputs as the grouped query over the history, and the summary checks find and repair a drift."""

from __future__ import annotations

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from kadence.insights.selectors import timeaware
from kadence.pipeline import changes, services, stays, summary
from kadence.pipeline.expressions import EpochDays
from kadence.pipeline.models import Opportunity, ProbabilityLevel, StageChange, StaySummary
from kadence.planning.models import ForecastPolicy
from kadence.planning.selectors.calibration import history_start
from tests.insights.test_pipeline_changes import MIX
from tests.planning.test_forecast_point_in_time import history  # noqa: F401 - a fixture
from tests.test_concurrency import _operations

pytestmark = pytest.mark.django_db


def _churn(org, deals: list[int], steps: int, seed: int) -> None:
    rng = random.Random(seed)
    operations = _operations(org, rng)
    for _step in range(steps):
        try:
            operations[rng.choice(MIX)](rng.choice(deals))
        except Exception:  # noqa: BLE001 - a refusal is fine; the history is what matters
            pass


def _began_as_the_history_says() -> None:
    open_deals = Opportunity.objects.filter(status=Opportunity.Status.OPEN).annotate(
        kept=EpochDays("stay_began_at"), looked_up=timeaware.stay_started()
    )
    pairs = list(open_deals.values_list("kept", "looked_up"))
    assert pairs and all(kept == looked_up for kept, looked_up in pairs)
    assert stays.began_drift() == 0


def test_the_history_writer_keeps_the_stays_exact(org):
    today = timezone.localdate()
    deals = [
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"stay {n}",
            amount="100000",
            expected_close_date=today + timedelta(days=30),
        ).pk
        for n in range(6)
    ]
    _churn(org, deals, 60, seed=7)
    assert stays.drift() == []
    _began_as_the_history_says()
    outcomes = set(StaySummary.objects.exclude(count=0).values_list("outcome", flat=True))
    assert len(outcomes) >= 3  # open stays, and stays ended by a move and by a closing
    # a level change written backdated between the deal's rows (an import's row): its stays are
    # recounted, the one it splits included
    opp = Opportunity.objects.select_related("stage", "level").filter(status="open").order_by("pk").first()
    other = ProbabilityLevel.objects.exclude(pk=opp.level_id).first()
    changes.write(
        opp,
        StageChange.Kind.UPDATED,
        from_stage=opp.stage,
        from_level=other,
        actor=None,
        at=timezone.now() - timedelta(days=3),
    )
    assert stays.drift() == []
    _began_as_the_history_says()


@pytest.mark.parametrize("months_back", [0, 1, None])
def test_the_summary_gives_the_inputs_of_the_history_query(history, months_back):  # noqa: F811
    """A generated history spread over two months (rebuilt after the bulk rewrite, then changed
    further through the services): the stays read from the summary equal the grouped query's over the
    history, for the policy's window and for windows starting this month or last month (stays that
    began earlier left out, ended or not); every open deal's kept stay_began_at is its history's."""
    _churn(history, list(Opportunity.objects.values_list("pk", flat=True)), 25, seed=11)
    today = timezone.localdate()
    policy = ForecastPolicy.current()
    this_month = today.replace(day=1)
    since = {
        0: this_month,
        1: (this_month - timedelta(days=1)).replace(day=1),
        None: history_start(today, policy),
    }[months_back]
    for as_of in (today, today + timedelta(days=9)):
        from_summary = timeaware._summary_rows(as_of, since)
        from_history = timeaware._stay_rows(as_of, since)
        assert from_summary == from_history
        assert from_summary.entries > 0
    whole = timeaware._summary_rows(today, history_start(today, policy))
    assert {timeaware.sv.CENSORED, timeaware.sv.MOVED} <= set(whole.outcome)
    _began_as_the_history_says()
    assert stays.drift() == []


def test_stays_for_today_read_the_summary_not_the_history(history, django_assert_max_num_queries):  # noqa: F811
    policy = ForecastPolicy.current()
    today = timezone.localdate()
    expected = timeaware._stay_rows(today, history_start(today, policy))
    with django_assert_max_num_queries(1):
        assert timeaware.stays(today, policy) == expected


def test_a_drift_is_found_and_the_rebuild_repairs_it(org):
    services.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="drift",
        amount="5000",
        expected_close_date=timezone.localdate() + timedelta(days=20),
    )
    assert summary.drift() == []
    StaySummary.objects.update(count=F("count") + 1)
    Opportunity.objects.update(stay_began_at=None)
    found = {row.model for row in summary.drift()}
    assert found == {"StaySummary", "Opportunity.stay_began_at"}
    with pytest.raises(CommandError, match="StaySummary"):
        call_command("check_summaries", stdout=StringIO())
    call_command("rebuild_summaries", stdout=StringIO())
    assert summary.drift() == []
    _began_as_the_history_says()
