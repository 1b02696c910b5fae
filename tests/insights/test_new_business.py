"""The new-business term of the probabilistic forecast (docs/backtest.md): what deals that did not exist yet at
the forecast's day were won for by the period's end, in comparable past periods, as known that day."""

from __future__ import annotations

from datetime import datetime, time

import numpy as np
import pytest
from django.utils import timezone

from kadence.core.visibility import resolve_scope
from kadence.domain import montecarlo as mc
from kadence.domain.periods import add_days, period_containing
from kadence.insights.selectors.probabilistic import new_business
from kadence.pipeline import services
from kadence.pipeline.models import Opportunity, StageChange
from kadence.planning.models import ForecastPolicy

pytestmark = pytest.mark.django_db


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_the_draws_add_one_past_period_per_trial():
    totals = np.zeros(4000, dtype=np.int64)
    drawn = mc.add_new_business(totals, [0, 1_000, 3_000], seed=3)
    assert set(np.unique(drawn)) == {0, 1_000, 3_000}
    assert abs(drawn.mean() - 4_000 / 3) < 60  # uniform over the three periods
    assert (mc.add_new_business(totals, [0, 1_000, 3_000], seed=3) == drawn).all()  # reproducible
    assert mc.add_new_business(totals, [], seed=3) is totals
    forecast = mc.revenue_forecast([], [], [], trials=1000, seed=1, new_business_cents=[500, 1500])
    assert forecast.expected == mc.Decimal("10.00") and forecast.p10 == mc.Decimal("5.00")


def test_past_periods_new_business_as_known_then(org, no_gates):
    today = timezone.localdate()
    period = period_containing("quarter", today)
    last = period.shift(-1)
    # the history starts long before: the last two quarters are covered
    StageChange.objects.filter(opportunity=org.opp).update(changed_at=_at(add_days(last.start, -200)))
    deal = services.opportunity_create(
        org.rita, account_id=org.account.pk, name="新项目", amount="100000", expected_close_date=last.end
    )
    deal = services.opportunity_close_won(
        org.rita, deal.pk, version=deal.version, closed_on=add_days(last.start, 20), override=False
    )
    Opportunity.objects.filter(pk=deal.pk).update(created_at=_at(add_days(last.start, 10)))
    StageChange.objects.filter(opportunity=deal, kind="created").update(
        changed_at=_at(add_days(last.start, 10))
    )
    StageChange.objects.filter(opportunity=deal).exclude(kind="created").update(
        changed_at=_at(add_days(last.start, 20))
    )
    policy = ForecastPolicy.current()
    policy.new_business_periods = 2
    rita, sara = resolve_scope(org.rita), resolve_scope(org.sara)
    start = add_days(period.start, -1)  # forecast at the period's start
    assert new_business(rita, period, start, policy) == (10_000_000, 0)
    assert new_business(sara, period, start, policy) == (0, 0)
    # 15 days into the period: only deals created from day 16 of the past quarters count
    assert new_business(rita, period, add_days(period.start, 14), policy) == (0, 0)
    # as known before the win was recorded: nothing yet
    assert new_business(rita, last.shift(1), add_days(last.start, 15), policy)[0] == 0
    # a period over by as_of has no new business; none asked for, none given
    assert new_business(rita, last, period.end, policy) == ()
    policy.new_business_periods = 0
    assert new_business(rita, period, start, policy) == ()
    # a period the history does not cover is left out, not counted as zero
    StageChange.objects.filter(opportunity=org.opp).update(changed_at=_at(add_days(last.start, -1)))
    policy.new_business_periods = 2
    assert new_business(rita, period, start, policy) == (10_000_000,)
