"""Milestone slippage (项目里程碑四步分析法, METHODOLOGY §2) with exact expected values. No database."""

from datetime import date

import pytest

from kadence.domain import milestones as ms
from kadence.domain.milestones import MilestoneDates, Slippage, SlippageSummary

AS_OF = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("planned", "actual", "expected"),
    [
        (date(2025, 3, 1), date(2025, 3, 11), (10, False)),  # done 10 days late
        (date(2025, 3, 11), date(2025, 3, 1), (-10, False)),  # done 10 days early
        (date(2025, 6, 20), None, (10, True)),  # open and overdue: still slipping
        (date(2025, 6, 30), None, (None, False)),  # due today: not overdue yet
        (date(2025, 7, 15), None, (None, False)),  # not yet due
        (None, date(2025, 6, 1), (None, False)),  # never planned: nothing to measure against
        (None, None, (None, False)),
    ],
)
def test_slippage_days(planned, actual, expected):
    assert ms.slippage_days(planned, actual, AS_OF) == expected


def test_worked_example_tianlong8_first_five_steps():
    plan = [
        MilestoneDates(1, date(2025, 1, 10), date(2025, 1, 8)),  # need raised 2 days early
        MilestoneDates(2, date(2025, 2, 15), date(2025, 2, 22)),  # budget 7 days late: at the threshold
        MilestoneDates(3, date(2025, 4, 1), date(2025, 4, 21)),  # project approved 20 days late
        MilestoneDates(4, date(2025, 6, 1), None),  # criteria set: open, 29 days overdue
        MilestoneDates(5, date(2025, 8, 1), None),  # tender: not yet due
        MilestoneDates(6, None, None),  # not dated yet
    ]
    slips, summary = ms.analyse(plan, AS_OF, 7)
    assert slips == (
        Slippage(1, ms.DONE, -2, False, False),
        Slippage(2, ms.DONE, 7, False, False),  # 7 is not more than 7
        Slippage(3, ms.DONE, 20, False, True),
        Slippage(4, ms.OVERDUE, 29, True, True),
        Slippage(5, ms.PENDING, None, False, False),
        Slippage(6, ms.UNDATED, None, False, False),
    )
    assert summary == SlippageSummary(measured=4, late=3, flagged=2, total_days_late=56, worst=29, latest=29)
    assert [s.late for s in slips] == [False, True, True, True, False, False]


def test_summary_of_nothing_measured():
    slips, summary = ms.analyse([MilestoneDates(1), MilestoneDates(2, date(2025, 9, 1))], AS_OF, 7)
    assert [s.state for s in slips] == [ms.UNDATED, ms.PENDING]
    assert summary == SlippageSummary(0, 0, 0, 0, None, None)
    assert ms.summarise([]) == SlippageSummary(0, 0, 0, 0, None, None)


def test_all_early_worst_is_negative_and_nothing_late():
    plan = [
        MilestoneDates(1, date(2025, 5, 10), date(2025, 5, 5)),
        MilestoneDates(2, date(2025, 6, 10), date(2025, 6, 8)),
    ]
    _slips, summary = ms.analyse(plan, AS_OF, 0)
    assert summary == SlippageSummary(measured=2, late=0, flagged=0, total_days_late=0, worst=-2, latest=-2)


def test_warn_days_threshold_and_done_without_plan():
    late = MilestoneDates(9, date(2025, 6, 22), None)  # 8 days overdue
    assert ms.measure(late, AS_OF, 7).flagged is True
    assert ms.measure(late, AS_OF, 8).flagged is False
    assert ms.measure(MilestoneDates(1, None, date(2025, 6, 1)), AS_OF, 7) == Slippage(
        1, ms.DONE, None, False, False
    )
