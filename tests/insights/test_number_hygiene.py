"""Number hygiene (issue 11 §7): velocity from the unrounded cycle and average, the total average age
from the stages' unrounded ages, and one history window for the funnel and the calibration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from kadence.domain import funnel as domain
from kadence.insights.selectors.analysis import funnel_totals
from kadence.insights.selectors.funnel import StageRow, window_start
from kadence.planning.models import ForecastPolicy
from kadence.planning.selectors.calibration import history_start


def test_velocity_divides_by_the_unrounded_cycle():
    # 3 wins, 1 loss, 1,000 won in all, 100 days of cycle: average 333.33…, cycle 33.33… days
    exact = domain.velocity_from_sums(10, 3, 1, D(1000), 100)
    assert exact == D(75)  # 10 × 0.75 × (1000 / 3) ÷ (100 / 3)
    rounded = domain.sales_velocity(10, D("0.75"), D("333.33"), D("33.3"))
    assert rounded.quantize(D("0.01")) != exact  # what dividing by the cycle shown (33.3) gave
    assert domain.velocity_from_sums(10, 0, 4, D(0), 0) is None


def test_the_total_average_age_comes_from_unrounded_ages():
    three = StageRow(stage=None, count=3, avg_age=D("1.4"), age_total=D("4.35"))  # 1.45 each → shows 1.4
    four = StageRow(stage=None, count=1, avg_age=D("1.6"), age_total=D("1.55"))
    report = SimpleNamespace(count=4, amount=D(0), weighted=D(0), stages=[three, four])
    # from the sums: 5.9 / 4 = 1.475 → 1.5; from the rounded ages: (3 × 1.4 + 1.6) / 4 = 1.45 → 1.4
    assert funnel_totals(report).avg_age == D("1.5")


@pytest.mark.django_db
@pytest.mark.parametrize("days", [30, 182, 365, 730])
@pytest.mark.parametrize("as_of", [date(2026, 3, 31), date(2026, 12, 4), date(2024, 2, 29)])
def test_calibration_and_funnel_use_one_history_window(days, as_of):
    policy = ForecastPolicy(history_days=days)
    assert history_start(as_of, policy) == window_start(as_of, days)
    assert history_start(as_of, policy).day == 1
