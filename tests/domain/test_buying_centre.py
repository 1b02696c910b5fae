"""Buying centre (METHODOLOGY §4): coverage and red flags with exact expected values. No database."""

from datetime import date, timedelta

import pytest

from kadence.domain import buying_centre as bc
from kadence.domain.buying_centre import Member, RedFlag

AS_OF = date(2025, 6, 30)
REQUIRED = ("economic", "technical", "user_buyer", "coach")


def member(id_, name, roles, attitude="neutral", influence="medium", is_key=False, last=None):
    return Member(id_, name, frozenset(roles), attitude, influence, is_key, last)


# A worked example: four people, three of the four required roles held by supporters or neutrals.
WANG = member(1, "王总", ["economic", "decision_maker"], "support", "high", last=AS_OF - timedelta(days=3))
LI = member(2, "李工", ["technical"], "neutral", "medium", last=AS_OF - timedelta(days=45))
ZHAO = member(3, "赵处", ["user_buyer"], "oppose", "high", last=AS_OF - timedelta(days=10))
CHEN = member(
    4, "陈经理", ["coach", "influencer"], "support", "low", is_key=True, last=AS_OF - timedelta(days=31)
)
TEAM = [WANG, LI, ZHAO, CHEN]


def test_worked_example_coverage_three_of_four():
    cov = bc.coverage(TEAM, REQUIRED)
    # user_buyer is held only by an opponent: not covered.
    assert cov.covered == frozenset({"economic", "technical", "coach"})
    assert cov.missing == ("user_buyer",)
    assert (cov.covered_count, cov.required_count, cov.ratio, cov.percent) == (3, 4, 0.75, 75)


def test_worked_example_red_flags_in_order():
    flags = bc.red_flags(TEAM, AS_OF, 30)
    assert flags == (
        RedFlag(bc.HIGH_INFLUENCE_OPPONENT, 3, "赵处"),
        # 陈经理 is marked key and was met 31 days ago (> 30); 王总 (high, 3 days) is fine;
        # 李工 (45 days) is not a key contact; 赵处 (high, 10 days) is recent.
        RedFlag(bc.KEY_CONTACT_STALE, 4, "陈经理", 31),
    )


def test_empty_buying_centre_has_no_coverage_and_both_identity_flags():
    cov = bc.coverage([], REQUIRED)
    assert (cov.ratio, cov.percent, cov.missing) == (0.0, 0, REQUIRED)
    assert bc.red_flags([], AS_OF, 30) == (RedFlag(bc.NO_ECONOMIC_BUYER), RedFlag(bc.NO_COACH))


def test_zero_required_roles_is_full_coverage():
    cov = bc.coverage([LI], [])
    assert (cov.ratio, cov.percent, cov.required, cov.missing) == (1.0, 100, (), ())


def test_required_roles_deduplicated_in_order_and_rounding_half_up():
    cov = bc.coverage([member(1, "a", ["coach"])], ["coach", "economic", "coach", "technical"])
    assert cov.required == ("coach", "economic", "technical")
    assert (cov.covered_count, cov.percent) == (1, 33)
    eight = [f"r{i}" for i in range(8)]
    assert bc.coverage([member(1, "a", ["r0"])], eight).percent == 13  # 12.5 rounds up
    assert bc.coverage([member(1, "a", ["r0", "r1"])], ["r0", "r1", "r2"]).percent == 67


def test_economic_buyer_identified_whatever_the_attitude_decision_maker_counts_too():
    opponent_eb = member(1, "a", ["economic"], "oppose", "low", last=AS_OF)
    assert bc.NO_ECONOMIC_BUYER not in [f.code for f in bc.red_flags([opponent_eb], AS_OF, 30)]
    dm = member(2, "b", ["decision_maker"], "neutral", "low", last=AS_OF)
    assert bc.NO_ECONOMIC_BUYER not in [f.code for f in bc.red_flags([dm], AS_OF, 30)]
    # but an opposing economic buyer does not cover the role
    assert bc.coverage([opponent_eb], ["economic"]).ratio == 0.0


def test_an_opposing_coach_is_no_coach():
    assert RedFlag(bc.NO_COACH) in bc.red_flags(
        [member(1, "a", ["coach"], "oppose", "low", last=AS_OF)], AS_OF, 30
    )
    assert RedFlag(bc.NO_COACH) not in bc.red_flags(
        [member(1, "a", ["coach"], "neutral", "low", last=AS_OF)], AS_OF, 30
    )


def test_each_high_influence_opponent_is_named():
    a = member(1, "甲", ["influencer"], "oppose", "high", last=AS_OF)
    b = member(2, "乙", ["user"], "oppose", "medium", last=AS_OF)
    c = member(3, "丙", ["advisor"], "oppose", "high", last=AS_OF)
    opponents = [f for f in bc.red_flags([a, b, c], AS_OF, 30) if f.code == bc.HIGH_INFLUENCE_OPPONENT]
    assert [(f.member_id, f.name) for f in opponents] == [(1, "甲"), (3, "丙")]


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (AS_OF - timedelta(days=30), []),  # exactly the threshold: not yet stale
        (AS_OF - timedelta(days=31), [(bc.KEY_CONTACT_STALE, 31)]),
        (None, [(bc.KEY_CONTACT_NEVER_MET, None)]),
        (AS_OF + timedelta(days=2), []),  # a later date is never stale
    ],
)
def test_key_contact_staleness_threshold(last, expected):
    key = member(7, "钱", ["economic", "coach"], "support", "medium", is_key=True, last=last)
    flags = [(f.code, f.days) for f in bc.red_flags([key], AS_OF, 30) if f.member_id == 7]
    assert flags == expected


def test_only_key_contacts_raise_staleness_high_influence_counts_as_key():
    plain = member(1, "孙", ["economic", "coach"], "support", "medium", last=None)
    high = member(2, "周", ["user"], "support", "high", last=None)
    flags = bc.red_flags([plain, high], AS_OF, 30)
    assert flags == (RedFlag(bc.KEY_CONTACT_NEVER_MET, 2, "周", None),)


def test_stale_days_is_a_parameter():
    key = member(1, "吴", ["economic", "coach"], "support", "high", last=AS_OF - timedelta(days=8))
    assert bc.red_flags([key], AS_OF, 7) == (RedFlag(bc.KEY_CONTACT_STALE, 1, "吴", 8),)
    assert bc.red_flags([key], AS_OF, 8) == ()


def test_helpers_and_assess():
    assert bc.days_since(None, AS_OF) is None and bc.days_since(date(2025, 6, 1), AS_OF) == 29
    assert bc.is_stale(None, AS_OF, 30) and not bc.is_stale(AS_OF, AS_OF, 0)
    result = bc.assess(TEAM, REQUIRED, AS_OF, 30)
    assert result.coverage.percent == 75 and len(result.red_flags) == 2
