"""Forecast roll-up, forecast of record and accuracy (METHODOLOGY §9.2–§9.5), with exact numbers."""

from datetime import date, datetime
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.forecast import (
    AccuracyPoint,
    Call,
    CategoryTotals,
    Figure,
    OrderEntry,
    accuracy_summary,
    as_pct,
    category_of,
    category_rollup,
    effective_call,
    forecast_error,
    forecast_of_record,
    lead_summaries,
    order_accuracy,
    totals_sum,
)


def test_category_of_deal():
    assert category_of("won", "pipeline") == "booked"
    assert category_of("open", "booked") == "commit"  # not booked until won
    assert category_of("open", "omitted") is None
    assert category_of("lost", "commit") is None
    assert category_of("open", "best_case") == "best_case"


def test_rollup_sums_categories_and_weighted_open_pipeline():
    totals = category_rollup(
        [
            ("booked", 2, D("300"), D("300")),
            ("commit", 1, D("100"), D("90")),
            ("commit", 2, D("200"), D("150")),
            ("best_case", 1, D("400"), D("200")),
            ("next_quarter", 1, D("50"), D("12.5")),
            ("pipeline", 3, D("1000"), D("100")),
            (None, 9, D("999"), D("999")),
        ]
    )
    assert totals.commit == Figure(3, D("300"), D("240"))
    assert totals.open_count == 8 and totals.open_amount == D("1750")
    assert totals.weighted == D("552.5")  # booked is not weighted pipeline
    assert totals.commit_call == D("600") and totals.best_case_call == D("1000")
    assert (totals + totals).booked == Figure(4, D("600"), D("600"))
    assert CategoryTotals().weighted == 0


@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["booked", "commit", "best_case", "next_quarter", "pipeline", None]),
                st.integers(0, 50),
                st.decimals(0, 10**9, places=2),
                st.decimals(0, 10**9, places=6),
            ),
            max_size=6,
        ),
        max_size=8,
    )
)
def test_totals_sum_is_adding_one_by_one(groups):
    items = [category_rollup(rows) for rows in groups]
    one_by_one = CategoryTotals()
    for item in items:
        one_by_one = one_by_one + item
    assert totals_sum(items) == one_by_one
    assert totals_sum(iter(items)) == one_by_one  # a generator, read once


def test_forecast_of_record_latest_adjustment_of_latest_submission():
    t = lambda h: datetime(2025, 7, 1, h)  # noqa: E731
    first = Call(1, D("100"), t(9))
    adjusted = Call(2, D("80"), t(10), adjusts=1)
    assert forecast_of_record([]) is None
    assert forecast_of_record([first]) == first
    assert forecast_of_record([first, adjusted]) == adjusted
    readjusted = Call(4, D("70"), t(12), adjusts=1)
    assert forecast_of_record([first, adjusted, readjusted]) == readjusted
    resubmitted = Call(5, D("120"), t(13))
    assert forecast_of_record([first, adjusted, readjusted, resubmitted]) == resubmitted
    totals = CategoryTotals(booked=Figure(1, D("10")), commit=Figure(1, D("5")))
    assert effective_call(None, totals) == D("15") and effective_call(D("0"), totals) == D("0")


def test_error_is_signed_ratio_to_actual_with_the_zero_actual_rule():
    assert forecast_error(D("110"), D("100")) == D("0.1")
    assert forecast_error(D("75"), D("100")) == D("-0.25")
    assert forecast_error(D("0"), D("0")) == 0  # nothing forecast, nothing won: exact
    assert forecast_error(D("50"), D("0")) is None  # undefined
    assert as_pct(D("0.12345")) == D("12.3") and as_pct(D("-0.25")) == D("-25.0") and as_pct(None) is None


def test_bias_and_mape_skip_undefined_errors():
    points = [
        AccuracyPoint(date(2025, 1, 1), D("110"), D("100")),  # +10 %
        AccuracyPoint(date(2025, 4, 1), D("60"), D("80")),  # −25 %
        AccuracyPoint(date(2025, 7, 1), D("50"), D("0")),  # undefined, difference +50
        AccuracyPoint(date(2025, 10, 1), None, D("70")),  # no forecast recorded
    ]
    summary = accuracy_summary(points)
    assert summary.periods == 4 and summary.scored == 2
    assert summary.bias == D("-0.075")
    assert summary.mape == D("0.175")
    assert summary.bias_amount == D("40") / 3  # (10 − 20 + 50) ÷ 3
    empty = accuracy_summary([AccuracyPoint(date(2025, 1, 1), None, D("5"))])
    assert (empty.bias, empty.mape, empty.bias_amount, empty.scored) == (None, None, None, 0)


def test_rolling_order_forecast_accuracy_by_lead():
    w = [date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20)]
    entries = [
        OrderEntry(date(2024, 12, 30), w[0], D("100")),  # lead 1
        OrderEntry(date(2024, 12, 23), w[0], D("150")),  # lead 2
        OrderEntry(date(2024, 12, 30), w[1], D("40")),  # lead 2
        OrderEntry(date(2025, 1, 6), w[1], D("60")),  # lead 1
        OrderEntry(date(2025, 1, 6), w[1], D("20")),  # another seller, lead 1: sums
        OrderEntry(date(2024, 11, 25), w[0], D("999")),  # lead 6: ignored
    ]
    result = order_accuracy(entries, {w[0]: D("100"), w[1]: D("100")}, w)
    assert [p.forecast for p in result[0].points] == [D("100"), D("150"), None, None]
    assert result[0].points[0].error == 0 and result[0].points[1].error == D("0.5")
    assert [p.forecast for p in result[1].points] == [D("80"), D("40"), None, None]
    assert result[2].actual == 0 and all(p.forecast is None for p in result[2].points)
    by_lead = lead_summaries(result)
    assert by_lead[1].bias == D("-0.1") and by_lead[1].mape == D("0.1")
    assert by_lead[2].bias == D("-0.05") and by_lead[2].mape == D("0.55")
    assert by_lead[4].scored == 0 and by_lead[4].bias is None
