"""三上三下 — the negotiation rounds of a year's targets (METHODOLOGY §10.1, issue 14 §2). Pure rules.

A negotiation is held between the top (who may manage the target grid of a unit) and the units right below
it. Each **round** k has, per unit:

- the top's **proposed** figure P(k) (round 1: the opening proposal; round k > 1: the top's adjustment);
- the unit's **committed** figure C(k), answered by its lead, next to the **bottom-up** figure Kadence
  would support (booked + expected pipeline + new business; shown, never imposed).

The **gap** of a unit in a round is |P − C| ÷ P (0 when both are 0; no gap — never within — when P is 0
and C is not). After every unit has answered round k:

- every gap ≤ the threshold (default 5 %) → **agreed**: each unit's final figure is its **committed**
  figure (the unit owns the number it committed to, and it is within the tolerance of the top's);
- otherwise, at the last round (default 3) → **imposed**: each unit's final figure is the top's proposed
  figure of that round (the top's figure stands);
- otherwise → the top **adjusts**: round k + 1 opens with the top's new proposals.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, TypeVar

DEFAULT_MAX_ROUNDS = 3
DEFAULT_GAP_THRESHOLD = Decimal("0.05")
MAX_ROUNDS_LIMIT = 9

WAITING: Literal["waiting"] = "waiting"  # some units have not answered the round yet
ADJUST: Literal["adjust"] = "adjust"  # gaps remain and rounds are left: the top adjusts
AGREED: Literal["agreed"] = "agreed"  # every gap within the threshold: the committed figures
IMPOSED: Literal["imposed"] = "imposed"  # the last round ended with gaps: the top's figures stand
Outcome = Literal["waiting", "adjust", "agreed", "imposed"]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Policy:
    """How many rounds at most, and the largest relative gap that counts as agreement."""

    max_rounds: int = DEFAULT_MAX_ROUNDS
    gap_threshold: Decimal = DEFAULT_GAP_THRESHOLD

    def __post_init__(self) -> None:
        if not 1 <= self.max_rounds <= MAX_ROUNDS_LIMIT:
            raise ValueError("max_rounds must be between 1 and 9")
        if not Decimal(0) <= self.gap_threshold < Decimal(1):
            raise ValueError("gap_threshold must be at least 0 and below 1")


@dataclass(frozen=True)
class Figures:
    """One unit in one round: the top's proposal and the unit's answer (None until it answers)."""

    proposed: Decimal
    committed: Decimal | None = None


def gap(proposed: Decimal, committed: Decimal) -> Decimal | None:
    """|proposed − committed| ÷ proposed, exact; 0 when both are 0; None (no finite gap) when only the
    proposal is 0."""
    if proposed == 0:
        return Decimal(0) if committed == 0 else None
    return abs(proposed - committed) / abs(proposed)


def gap_pct(proposed: Decimal, committed: Decimal | None) -> Decimal | None:
    """The gap in % to one decimal (half up), for display; None without an answer or a finite gap."""
    if committed is None:
        return None
    found = gap(proposed, committed)
    return None if found is None else (found * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def within(proposed: Decimal, committed: Decimal | None, threshold: Decimal) -> bool:
    """Is the unit's answer within the threshold of the proposal? (No answer: no.)"""
    if committed is None:
        return False
    found = gap(proposed, committed)
    return found is not None and found <= threshold


def outcome(lines: Mapping[K, Figures], round_no: int, policy: Policy) -> Outcome:
    """Where a round stands (see the module docstring). A round with no unit is agreed."""
    if any(f.committed is None for f in lines.values()):
        return WAITING
    if all(within(f.proposed, f.committed, policy.gap_threshold) for f in lines.values()):
        return AGREED
    if round_no >= policy.max_rounds:
        return IMPOSED
    return ADJUST


def final_figures(lines: Mapping[K, Figures], result: Outcome) -> dict[K, Decimal]:
    """Each unit's final figure: committed when agreed, proposed when imposed."""
    if result == AGREED:
        return {key: f.committed for key, f in lines.items() if f.committed is not None}
    if result == IMPOSED:
        return {key: f.proposed for key, f in lines.items()}
    raise ValueError("the round has not ended the negotiation")


def bottom_up(booked: Decimal, pipeline: Decimal, new_business: Decimal) -> Decimal:
    """The figure the unit's own accounts and funnel support: won so far + what the open deals are
    expected to bring in the period + what deals not yet created brought in comparable past periods."""
    return (booked + pipeline + new_business).quantize(Decimal("0.01"), ROUND_HALF_UP)


def mean_cents(samples: tuple[int, ...]) -> Decimal:
    """The mean of amounts in cents, as money (0 with no sample)."""
    if not samples:
        return Decimal(0)
    return (Decimal(sum(samples)) / len(samples) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
