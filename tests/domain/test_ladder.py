"""The ladder's marked rungs (METHODOLOGY §1d) and the staging flag that reads them (§3)."""

import pytest

from kadence.domain.c139 import C139Score
from kadence.domain.gates import staging
from kadence.domain.ladder import CONTACTED, DEVELOPED, QUALIFIED, Ladder, LadderError, ladder_of

SHIPPED = Ladder(contacted=2, qualified=3, developed=4)  # I 1, C 2, Q 3, D 4, C90 5
RULE = C139Score(8, 1, 0)


def test_the_ladder_is_read_by_its_marks():
    assert ladder_of({CONTACTED: 2, QUALIFIED: 3, DEVELOPED: 4}) == SHIPPED
    assert [SHIPPED.is_qualified(order) for order in (1, 2, 3, 4, 5)] == [False, False, True, True, True]


@pytest.mark.parametrize(
    "marks",
    [
        {CONTACTED: 2, QUALIFIED: 3},
        {},
        {CONTACTED: 3, QUALIFIED: 3, DEVELOPED: 4},
        {CONTACTED: 5, QUALIFIED: 3, DEVELOPED: 4},
    ],
)
def test_a_ladder_without_its_marks_in_order_is_an_error(marks):
    with pytest.raises(LadderError):
        ladder_of(marks)


def test_over_and_under_staged():
    rule_met, weak = C139Score(8, 1, 0), C139Score(5, 0, 0)
    assert staging(False, 4, weak, RULE, SHIPPED) == "over"  # D without the rule
    assert staging(False, 4, None, RULE, SHIPPED) == "over"  # D never assessed
    assert staging(False, 2, rule_met, RULE, SHIPPED) == "under"  # the rule met at C
    assert staging(False, 4, rule_met, RULE, SHIPPED) == ""
    assert staging(False, 2, weak, RULE, SHIPPED) == ""
    assert staging(True, 1, rule_met, RULE, SHIPPED) == "over"  # the stage outruns the stages before it
    assert staging(True, 2, None, RULE, SHIPPED) == "over"
    # Another ladder moves the bounds with it: D is the 5th rung there.
    assert staging(False, 4, weak, RULE, Ladder(contacted=3, qualified=4, developed=5)) == ""
