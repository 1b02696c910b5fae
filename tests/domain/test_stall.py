"""Stalled deals (METHODOLOGY §8.2): exact cases at every boundary, with the default policy
(1.5 × standard days in stage, 30 days without customer activity, close date pushed twice)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kadence.domain.stall import (
    CLOSE_PASSED,
    CLOSE_PUSHED,
    NO_ACTIVITY,
    STAGE_TIME,
    DealFacts,
    StallPolicy,
    days_stalled,
    stage_allowance,
    stage_time_since,
    stall_reasons,
    stalled_in_stage,
)

AS_OF = date(2025, 6, 30)
POLICY = StallPolicy()


def facts(**overrides) -> DealFacts:
    """A healthy deal: 10 days into a 20-day stage, active yesterday, closing next month, never pushed."""
    values = {
        "stage_entered_on": AS_OF - timedelta(days=10),
        "standard_days": 20,
        "created_on": AS_OF - timedelta(days=100),
        "last_activity_on": AS_OF - timedelta(days=1),
        "expected_close_date": AS_OF + timedelta(days=30),
        "close_pushes": 0,
    }
    values.update(overrides)
    return DealFacts(**values)


def codes(found) -> list[str]:
    return [r.code for r in found]


def test_a_healthy_deal_is_not_stalled():
    assert stall_reasons(facts(), POLICY, AS_OF) == ()
    assert days_stalled((), AS_OF) == 0


def test_exactly_one_and_a_half_times_the_standard_is_not_stalled_one_day_more_is():
    at_limit = facts(stage_entered_on=AS_OF - timedelta(days=30))  # 30 = 1.5 × 20
    assert stall_reasons(at_limit, POLICY, AS_OF) == ()
    over = stall_reasons(facts(stage_entered_on=AS_OF - timedelta(days=31)), POLICY, AS_OF)
    assert codes(over) == [STAGE_TIME]
    reason = over[0]
    assert (reason.value, reason.threshold, reason.standard_days) == (31, Decimal(30), 20)
    assert reason.since == AS_OF and days_stalled(over, AS_OF) == 1


def test_a_fractional_allowance_rounds_down_to_whole_days():
    # 1.5 × 21 = 31.5: 31 days is fine, 32 is stalled ("32 days in stage, standard 21").
    assert (
        stall_reasons(facts(standard_days=21, stage_entered_on=AS_OF - timedelta(days=31)), POLICY, AS_OF)
        == ()
    )
    found = stall_reasons(facts(standard_days=21, stage_entered_on=AS_OF - timedelta(days=43)), POLICY, AS_OF)
    assert found[0].value == 43 and found[0].threshold == Decimal("31.5") and found[0].standard_days == 21
    assert found[0].since == AS_OF - timedelta(days=43) + timedelta(days=32)
    assert days_stalled(found, AS_OF) == 12  # days 32..43 in stage
    assert stage_allowance(21, POLICY) == 31


def test_stage_time_starts_the_day_after_the_allowance():
    entered = date(2025, 5, 1)
    assert stage_time_since(entered, 30, POLICY) == date(2025, 6, 16)  # 45 days allowed, the 46th stalls
    assert not stalled_in_stage(entered, 30, POLICY, date(2025, 6, 15))
    assert stalled_in_stage(entered, 30, POLICY, date(2025, 6, 16))
    assert stage_time_since(entered, 0, StallPolicy(factor=Decimal(1))) == date(2025, 5, 2)


def test_the_factor_is_compared_exactly_not_in_floating_point():
    policy = StallPolicy(factor=Decimal("1.15"))  # 1.15 × 20 = 23 exactly (22.999… in binary floating point)
    assert stage_allowance(20, policy) == 23
    assert stall_reasons(facts(stage_entered_on=AS_OF - timedelta(days=23)), policy, AS_OF) == ()
    assert codes(stall_reasons(facts(stage_entered_on=AS_OF - timedelta(days=24)), policy, AS_OF)) == [
        STAGE_TIME
    ]


def test_no_activity_for_exactly_thirty_days_is_not_stalled_thirty_one_is():
    assert stall_reasons(facts(last_activity_on=AS_OF - timedelta(days=30)), POLICY, AS_OF) == ()
    found = stall_reasons(facts(last_activity_on=AS_OF - timedelta(days=45)), POLICY, AS_OF)
    assert codes(found) == [NO_ACTIVITY]
    assert (found[0].value, found[0].threshold, found[0].never) == (45, Decimal(30), False)
    assert found[0].since == AS_OF - timedelta(days=14) and days_stalled(found, AS_OF) == 15


def test_a_deal_without_any_activity_stalls_once_it_is_older_than_the_limit():
    young = facts(last_activity_on=None, created_on=AS_OF - timedelta(days=30))
    assert stall_reasons(young, POLICY, AS_OF) == ()
    found = stall_reasons(facts(last_activity_on=None, created_on=AS_OF - timedelta(days=31)), POLICY, AS_OF)
    assert codes(found) == [NO_ACTIVITY] and found[0].never and found[0].value == 31


def test_a_dated_next_step_holds_off_no_activity_up_to_and_including_its_date():
    quiet = {"last_activity_on": AS_OF - timedelta(days=60)}
    assert stall_reasons(facts(**quiet, next_step_on=AS_OF + timedelta(days=5)), POLICY, AS_OF) == ()
    assert stall_reasons(facts(**quiet, next_step_on=AS_OF), POLICY, AS_OF) == ()
    found = stall_reasons(facts(**quiet, next_step_on=AS_OF - timedelta(days=1)), POLICY, AS_OF)
    assert codes(found) == [NO_ACTIVITY] and found[0].since == AS_OF and days_stalled(found, AS_OF) == 1
    # The next step holds off only "no activity": time in stage still counts.
    late = facts(**quiet, next_step_on=AS_OF + timedelta(days=5), stage_entered_on=AS_OF - timedelta(days=40))
    assert codes(stall_reasons(late, POLICY, AS_OF)) == [STAGE_TIME]


def test_an_activity_after_the_next_step_date_restarts_the_clock():
    found = stall_reasons(
        facts(last_activity_on=AS_OF - timedelta(days=10), next_step_on=AS_OF - timedelta(days=20)),
        POLICY,
        AS_OF,
    )
    assert found == ()


def test_the_close_date_passed_counts_from_the_day_after_it():
    assert stall_reasons(facts(expected_close_date=AS_OF), POLICY, AS_OF) == ()
    found = stall_reasons(facts(expected_close_date=AS_OF - timedelta(days=3)), POLICY, AS_OF)
    assert (
        codes(found) == [CLOSE_PASSED] and found[0].value == 3 and found[0].since == AS_OF - timedelta(days=2)
    )
    assert days_stalled(found, AS_OF) == 3


def test_the_close_date_pushed_twice_is_stalled_once_is_not():
    assert stall_reasons(facts(close_pushes=1), POLICY, AS_OF) == ()
    found = stall_reasons(facts(close_pushes=3, kth_push_on=AS_OF - timedelta(days=4)), POLICY, AS_OF)
    assert codes(found) == [CLOSE_PUSHED] and (found[0].value, found[0].threshold) == (3, Decimal(2))
    assert days_stalled(found, AS_OF) == 5
    assert stall_reasons(facts(close_pushes=9), StallPolicy(close_pushes=0), AS_OF) == ()


def test_every_reason_is_listed_and_days_stalled_count_from_the_earliest():
    found = stall_reasons(
        facts(
            stage_entered_on=AS_OF - timedelta(days=50),
            last_activity_on=None,
            created_on=AS_OF - timedelta(days=50),
            expected_close_date=AS_OF - timedelta(days=1),
            close_pushes=2,
            kth_push_on=AS_OF - timedelta(days=7),
        ),
        POLICY,
        AS_OF,
    )
    assert codes(found) == [STAGE_TIME, NO_ACTIVITY, CLOSE_PASSED, CLOSE_PUSHED]
    # in stage since day -50: stalled from day -19 (31st day); no activity from day -19 as well.
    assert days_stalled(found, AS_OF) == 20
    assert found[0].as_json() == {
        "code": STAGE_TIME,
        "value": 50,
        "threshold": "30",
        "since": "2025-06-11",
        "standard_days": 20,
        "never": False,
    }


def test_a_configured_policy_moves_every_boundary():
    strict = StallPolicy(factor=Decimal("1"), no_activity_days=7, close_pushes=1)
    found = stall_reasons(
        facts(
            stage_entered_on=AS_OF - timedelta(days=21),
            last_activity_on=AS_OF - timedelta(days=8),
            close_pushes=1,
            kth_push_on=AS_OF,
        ),
        strict,
        AS_OF,
    )
    assert codes(found) == [STAGE_TIME, NO_ACTIVITY, CLOSE_PUSHED]


@given(entered=st.integers(0, 400), standard=st.integers(0, 120), hundredths=st.integers(50, 400))
def test_stage_time_holds_exactly_when_days_exceed_factor_times_standard(entered, standard, hundredths):
    policy = StallPolicy(factor=Decimal(hundredths) / 100)
    found = stall_reasons(
        facts(stage_entered_on=AS_OF - timedelta(days=entered), standard_days=standard), policy, AS_OF
    )
    assert (STAGE_TIME in codes(found)) == (Decimal(entered) > policy.factor * standard)
    for reason in found:
        assert reason.since <= AS_OF
