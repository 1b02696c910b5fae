"""Bid / no-bid (METHODOLOGY §5): score and suggested outcome, exact cases and the boundaries of the
default thresholds (pursue at ≥ 3 with no −1, abandon at ≤ −1, "can we win" −1 or two abandon signs).
No database."""

import pytest

from kadence.domain import bid
from kadence.domain.bid import BidAnswers, BidRules, Outcome


def answers(real=0, compete=0, win=0, worth=0, **flags) -> BidAnswers:
    return BidAnswers(real, compete, win, worth, **flags)


@pytest.mark.parametrize(
    ("values", "expected_score"),
    [((1, 1, 1, 1), 4), ((-1, -1, -1, -1), -4), ((1, 0, -1, 1), 1), ((0, 0, 0, 0), 0), ((1, 1, 1, 0), 3)],
)
def test_score_is_the_sum_of_the_four_answers(values, expected_score):
    assert bid.score(answers(*values)) == expected_score


@pytest.mark.parametrize(
    ("values", "outcome", "reasons"),
    [
        ((1, 1, 1, 1), Outcome.PURSUE, ("score_high",)),
        ((1, 1, 1, 0), Outcome.PURSUE, ("score_high",)),  # 3 = pursue_min: pursue (boundary)
        ((1, 1, 0, 0), Outcome.QUALIFY, ("score_middle",)),  # 2: one short of pursuing
        ((0, 0, 0, 0), Outcome.QUALIFY, ("score_middle",)),  # 0: just above abandon_max
        ((1, 0, -1, 0), Outcome.ABANDON, ("cannot_win",)),  # score 0 but "can we win" is −1
        ((1, 1, -1, 1), Outcome.ABANDON, ("cannot_win",)),  # a 2 does not rescue a "no" to winning
        ((-1, 0, 0, 0), Outcome.ABANDON, ("score_low",)),  # −1 = abandon_max: abandon (boundary)
        ((-1, -1, -1, -1), Outcome.ABANDON, ("score_low", "cannot_win")),
        ((1, 1, 1, -1), Outcome.QUALIFY, ("answer_negative", "score_middle")),  # 2 with a "no"
        ((-1, 1, 1, 1), Outcome.QUALIFY, ("answer_negative", "score_middle")),  # 2, "real" −1
    ],
)
def test_suggested_outcome_default_thresholds(values, outcome, reasons):
    result = bid.suggest(answers(*values))
    assert (result.outcome, result.reasons) == (outcome, reasons)
    assert result.score == sum(values)


def test_a_pursue_score_with_a_negative_answer_qualifies():
    # +1 +1 +1 −1 sums to 2; with the pursue threshold lowered to 2 the −1 still blocks pursuing.
    result = bid.suggest(answers(1, 1, 1, -1), BidRules(pursue_min_score=2))
    assert result.outcome == Outcome.QUALIFY and result.reasons == ("answer_negative",)
    assert bid.suggest(answers(1, 1, 0, 0), BidRules(pursue_min_score=2)).outcome == Outcome.PURSUE


def test_two_abandon_signs_abandon_whatever_the_score():
    one = answers(1, 1, 1, 1, spec_biased=True)
    two = answers(1, 1, 1, 1, spec_biased=True, competitor_advantage=True)
    three = answers(1, 1, 1, 1, spec_biased=True, relationship_vague=True, competitor_advantage=True)
    assert bid.suggest(one).outcome == Outcome.PURSUE
    assert (bid.suggest(two).outcome, bid.suggest(two).reasons) == (Outcome.ABANDON, ("abandon_signs",))
    assert bid.suggest(three).outcome == Outcome.ABANDON
    assert two.abandon_signs == 2 and three.abandon_signs == 3


def test_pursue_conditions_are_recorded_but_do_not_move_the_suggestion():
    plain = answers(1, 1, 0, 0)
    conditions = answers(
        1, 1, 0, 0, meets_minimum_spec=True, close_relationship=True, genuine_competition=True
    )
    assert all(getattr(conditions, name) for name in bid.PURSUE_CONDITIONS)
    assert not any(getattr(plain, name) for name in bid.PURSUE_CONDITIONS)
    assert bid.suggest(plain) == bid.suggest(conditions)


def test_thresholds_are_parameters():
    strict = BidRules(pursue_min_score=4, abandon_max_score=0, abandon_min_signs=1)
    assert bid.suggest(answers(1, 1, 1, 0), strict).outcome == Outcome.QUALIFY
    assert bid.suggest(answers(1, 1, 1, 1), strict).outcome == Outcome.PURSUE
    assert bid.suggest(answers(0, 0, 0, 0), strict).outcome == Outcome.ABANDON  # 0 ≤ abandon_max 0
    assert bid.suggest(answers(1, 1, 1, 1, relationship_vague=True), strict).outcome == Outcome.ABANDON


@pytest.mark.parametrize("bad", [2, -2, 5, True, False, 0.5, "1", None])
def test_answers_outside_minus_one_to_one_are_refused(bad):
    with pytest.raises(ValueError):
        answers(bad, 0, 0, 0)
    with pytest.raises(ValueError):
        answers(0, 0, 0, bad)
