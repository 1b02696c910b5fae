"""The probabilistic forecast over grouped deals (issue 11 §5): the database's grouped read of the open
deals equals the per-deal read grouped in Python, today and at a past date, for every scope; the
models' inputs from the groups give the same expectations and rate uncertainty as from the deals."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone

from kadence.core.visibility import resolve_scope
from kadence.domain.periods import period_containing
from kadence.insights.selectors import probabilistic
from kadence.insights.selectors.probabilistic import MODELS, forecast_inputs, probabilistic_forecast
from kadence.planning.models import ForecastPolicy
from tests.planning.test_forecast_point_in_time import history  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _grouped_in_python(rows: np.ndarray) -> dict[tuple[int, ...], tuple[int, int, float]]:
    groups: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for row in rows.tolist():
        key = (row[2], row[3], row[4], row[5], row[6])
        groups[key][0] += 1
        groups[key][1] += row[1]
        groups[key][2] += float(row[1]) ** 2
    return {key: (n, total, squares) for key, (n, total, squares) in groups.items()}


def _grouped_in_sql(found: probabilistic.OpenGroups) -> dict[tuple[int, ...], tuple[int, int, float]]:
    return {
        tuple(row[2:]): (n, row[1], squares)
        for row, n, squares in zip(
            found.rows.tolist(), found.counts.tolist(), found.squares.tolist(), strict=True
        )
    }


def _scopes(history):  # noqa: F811
    return [
        resolve_scope(history.ada),
        resolve_scope(history.dora),
        resolve_scope(history.ada, unit_id=history.n1.pk),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("days_back", [0, 20, 45])
def test_the_grouped_read_is_the_deals_grouped(history, days_back):  # noqa: F811
    day = timezone.localdate() - timedelta(days=days_back)
    policy = ForecastPolicy.current()
    slips = probabilistic.slip_history(day, policy)
    seen = 0
    for kind in ("month", "quarter", "year"):
        period = period_containing(kind, day)
        for scope in _scopes(history):
            deals = probabilistic._open_deals(scope, period, day, slips)
            groups = probabilistic._open_groups(scope, period, day, slips)
            python, sql = _grouped_in_python(deals), _grouped_in_sql(groups)
            assert python.keys() == sql.keys()
            for key, (n, total, squares) in python.items():
                assert sql[key][:2] == (n, total)
                assert sql[key][2] == pytest.approx(squares, rel=1e-12)
            assert int(groups.counts.sum()) == len(deals)
            seen += len(deals)
    assert seen  # some deals were open


@pytest.mark.django_db
@pytest.mark.parametrize("days_back", [0, 30])
def test_grouped_inputs_keep_every_models_expectation(history, monkeypatch, days_back):  # noqa: F811
    """Over more than PER_DEAL_DEALS deals the inputs are per group: each model's Σ amount × q, the
    time-aware rates' uncertainty and the deals per level are those of the deals one by one."""
    day = timezone.localdate() - timedelta(days=days_back)
    policy = ForecastPolicy.current()
    period = period_containing("quarter", day)
    scope = resolve_scope(history.ada)
    deals = forecast_inputs(scope, period, day, policy, grouped=True)
    assert deals.counts is None and deals.deals == len(deals.ids)  # a few deals: one by one
    monkeypatch.setattr(probabilistic, "PER_DEAL_DEALS", 0)
    groups = forecast_inputs(scope, period, day, policy, grouped=True)
    assert groups.counts is not None and len(groups.ids) == 0
    assert groups.deals == deals.deals > 0
    assert len(groups.cents) <= len(deals.cents)
    for model in MODELS:
        one_by_one = float(np.dot(deals.cents, deals.coming_in(model)))
        grouped = float(np.dot(groups.cents, groups.coming_in(model)))
        assert grouped == pytest.approx(one_by_one, rel=1e-12), model
    assert groups.spread == pytest.approx(deals.spread, rel=1e-9)
    assert [(p.template, p.level, p.deals) for p in groups.probabilities] == [
        (p.template, p.level, p.deals) for p in deals.probabilities
    ]


@pytest.mark.django_db
def test_the_forecast_over_groups_keeps_its_expectation(history, monkeypatch):  # noqa: F811
    day = timezone.localdate()
    one_by_one = probabilistic_forecast(history.ada, as_of=day, trials=2_000)
    monkeypatch.setattr(probabilistic, "PER_DEAL_DEALS", 0)
    grouped = probabilistic_forecast(history.ada, as_of=day, trials=2_000)
    assert grouped.open_deals == one_by_one.open_deals
    for left, right in zip(one_by_one.models, grouped.models, strict=True):
        assert abs(left.forecast.expected - right.forecast.expected) <= Decimal("0.01")  # float rounding
        assert left.forecast.deals == right.forecast.deals
        assert right.forecast.p10 <= right.forecast.p50 <= right.forecast.p90
