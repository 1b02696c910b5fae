"""The level a stage grants is earned by leaving it (METHODOLOGY §1a, §1d; issue 11 §1b)."""

from __future__ import annotations

import pytest

from kadence.domain.gates import Criterion, DealFacts, StageGate, earned, entry_levels, to_next_level

I, C, Q, D, C90 = 1, 2, 3, 4, 5  # noqa: E741 (the ladder's own names)


def gate(stage_id: int, level: int, *criteria: int) -> StageGate:
    """A stage whose exit criteria are approvals with the given ids (met when approved)."""
    return StageGate(stage_id, level, tuple(Criterion(c, stage_id, f"c{c}", "approval") for c in criteria))


# 天龙八部's ladder: leaving stage 1 verifies I, 3 C, 5 Q, 6 D, 7 C90.
TIANLONG = [
    gate(1, I, 11),
    gate(2, I, 21),
    gate(3, C, 31),
    gate(4, C, 41),
    gate(5, Q, 51),
    gate(6, D, 61, 62),
    gate(7, C90, 71),
]


def met(*criteria: int) -> DealFacts:
    return DealFacts(approved_criteria=frozenset(criteria))


def test_entering_a_stage_keeps_the_level_of_the_stage_left():
    facts = met(11, 21, 31, 41, 51)
    standing = earned(TIANLONG, 6, facts, I)
    assert (standing.level_order, standing.exit_met, standing.outruns) == (Q, False, False)
    assert standing.completed == TIANLONG[4]


def test_meeting_the_current_stages_exit_earns_its_default_level():
    assert earned(TIANLONG, 6, met(11, 21, 31, 41, 51, 61), I).level_order == Q  # one of two
    standing = earned(TIANLONG, 6, met(11, 21, 31, 41, 51, 61, 62), I)
    assert (standing.level_order, standing.exit_met, standing.outruns) == (D, True, False)


def test_before_any_stage_is_completed_the_deal_holds_the_lowest_level():
    standing = earned(TIANLONG, 1, met(), I)
    assert (standing.completed, standing.level_order, standing.outruns) == (None, I, False)
    assert earned(TIANLONG, 1, met(11), I).level_order == I


def test_a_stage_past_an_unmet_one_outruns_the_evidence():
    # Stage 2 skipped by an override: completed stops at stage 1 whatever comes after.
    standing = earned(TIANLONG, 5, met(11, 31, 41, 51), I)
    assert (standing.completed, standing.level_order, standing.outruns) == (TIANLONG[0], I, True)
    # Stage 1 never proven: nothing completed.
    assert earned(TIANLONG, 2, met(21), I) == earned(TIANLONG, 2, met(), I)
    assert earned(TIANLONG, 2, met(), I).outruns
    # The current stage's own exit is its work, never a reason to flag it.
    assert not earned(TIANLONG, 3, met(11, 21), I).outruns


def test_the_floor_is_the_ladders_lowest_open_rung():
    ladder = [gate(1, C, 11), gate(2, Q, 21)]  # a template whose first stage grants C
    assert earned(ladder, 1, met(), I).level_order == I
    assert earned(ladder, 1, met(11), I).level_order == C
    assert earned(ladder, 2, met(11), I).level_order == C


def test_a_stage_without_criteria_is_completed_by_being_reached():
    ladder = [gate(1, I), gate(2, C), gate(3, Q, 31)]
    assert earned(ladder, 2, met(), I).level_order == C
    assert earned(ladder, 3, met(), I).level_order == C


def test_an_unknown_stage_is_an_error():
    with pytest.raises(ValueError):
        earned(TIANLONG, 99, met(), I)


def test_entry_levels_are_the_levels_of_the_stages_before():
    assert entry_levels([g.level_order for g in TIANLONG], I) == [I, I, I, C, C, Q, D]
    assert entry_levels(["I", "C"], "floor") == ["floor", "I"]
    assert entry_levels([], I) == []


def test_what_the_next_level_needs():
    target, needs = to_next_level(TIANLONG, 6, met(11, 21, 31, 41, 51, 62))
    assert target == TIANLONG[5] and [r.criterion.id for r in needs] == [61]
    target, needs = to_next_level(TIANLONG, 6, met(11, 31, 41, 51))  # stage 2 skipped, too
    assert target == TIANLONG[5] and [r.criterion.id for r in needs] == [21, 61, 62]
    assert to_next_level(TIANLONG, 6, met(11, 21, 31, 41, 51, 61, 62)) == (None, [])
