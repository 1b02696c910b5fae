"""The rungs of the win-probability ladder that rules name (METHODOLOGY §1d, §3): C "contacted" (a deal
at or below it that meets the C139 rule is under-staged), Q "qualified" (a deal at or above it counts
as qualified, in sales velocity) and D "developed" (a deal at or above it needs the C139 rule, else it
is over-staged). The ladder is configuration: each of these rungs carries its mark, so the rules find
it by what it means, never by its code or its place, and a ladder without them is an error to fix,
not a default to guess. Pure: plain data in, plain data out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CONTACTED = "contacted"
QUALIFIED = "qualified"
DEVELOPED = "developed"
MARKS: tuple[str, ...] = (CONTACTED, QUALIFIED, DEVELOPED)


class LadderError(ValueError):
    """The ladder lacks a marked rung, or its marked rungs are out of order."""


@dataclass(frozen=True)
class Ladder:
    """The orders (places on the ladder, I 1 … C90 5 by default) of the marked rungs."""

    contacted: int
    qualified: int
    developed: int

    def is_qualified(self, order: int) -> bool:
        """A deal at the rung of `order` counts as qualified: at Q or above. Its SQL twin is
        kadence.pipeline.expressions.qualified."""
        return order >= self.qualified


def ladder_of(marks: Mapping[str, int]) -> Ladder:
    """The ladder from {mark: order of the rung carrying it}. LadderError when a mark is missing, or
    when the marked rungs are not in the order contacted < qualified < developed."""
    missing = [mark for mark in MARKS if mark not in marks]
    if missing:
        raise LadderError(f"no rung is marked {', '.join(missing)}")
    if not marks[CONTACTED] < marks[QUALIFIED] < marks[DEVELOPED]:
        raise LadderError("the marked rungs must be in the order contacted < qualified < developed")
    return Ladder(marks[CONTACTED], marks[QUALIFIED], marks[DEVELOPED])
