"""The probabilistic forecast over many deals (issue 11 §5): above montecarlo.EXACT_DEALS deals the
Monte-Carlo draws them by classes of (nearly) equal q; every model keeps its expectation and its band
stays the per-deal one's within sampling error. New business is cached until the history grows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from kadence.domain import montecarlo as mc
from kadence.insights.selectors import probabilistic
from kadence.insights.selectors.probabilistic import probabilistic_forecast
from tests.planning.test_forecast_point_in_time import history  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("days_back", [0, 30])
def test_the_forecast_by_classes_keeps_every_models_expectation(history, monkeypatch, days_back):  # noqa: F811
    day = timezone.localdate() - timedelta(days=days_back)
    one_by_one = probabilistic_forecast(history.ada, as_of=day, trials=4_000)
    monkeypatch.setattr(mc, "EXACT_DEALS", 0)
    cache.clear()
    by_class = probabilistic_forecast(history.ada, as_of=day, trials=4_000)
    assert by_class.open_deals == one_by_one.open_deals > 0
    pairs = [(one_by_one.forecast, by_class.forecast)] + [
        (left.forecast, right.forecast)
        for left, right in zip(one_by_one.models, by_class.models, strict=True)
    ]
    for left, right in pairs:
        assert right.expected == left.expected  # Σ amount × q: the same figure
        assert right.deals == left.deals
        assert right.p10 <= right.p50 <= right.p90
        # a few dozen deals: the class draws the winners' amounts from moments, so only roughly the same
        width = max(left.p90 - left.p10, Decimal(1))
        assert abs(right.p50 - left.p50) <= width / 2
        assert abs(right.mean - left.mean) <= width / 4


@pytest.mark.django_db
def test_new_business_is_cached_until_the_history_grows(history, django_assert_max_num_queries):  # noqa: F811
    from kadence.core.visibility import resolve_scope
    from kadence.domain.periods import period_containing
    from kadence.pipeline.models import StageChange
    from kadence.pipeline.snapshots import first_history_day
    from kadence.planning.models import ForecastPolicy

    day = timezone.localdate()
    scope, policy = resolve_scope(history.ada), ForecastPolicy.current()
    period = period_containing("quarter", day)
    first = probabilistic.new_business(scope, period, day, policy)
    with django_assert_max_num_queries(2):  # the history's first day and largest id only
        assert probabilistic.new_business(scope, period, day, policy) == first
    row = StageChange.objects.order_by("-id").first()
    row.pk = None
    row.save()  # the history grew: counted again
    with django_assert_max_num_queries(4):
        assert probabilistic.new_business(scope, period, day, policy) == probabilistic._new_business(
            scope, period, day, policy, first_history_day()
        )
