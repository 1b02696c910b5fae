"""Bid / no-bid (争取型 vs 放弃型项目, METHODOLOGY §5). Pure: plain data in, plain data out.

Four questions are each answered +1 (yes), 0 (not sure) or −1 (no): is there a real opportunity
(scope, funding, urgency)? can we compete? can we win? is it worth winning (revenue, margin, strategic
value)? Their sum is the score (−4…+4). Beside them the assessment records three pursue-type
conditions (our product meets the minimum technical requirements; we have a close relationship with
the buyer; the purchase seeks genuine best-value competition) and three abandon-type signs (technical
parameters written for a competitor; the relationship with the buyer is vague; a competitor's
advantage is obvious).

The suggested outcome, first match wins:

1. **abandon** when the score ≤ `abandon_max_score`, or "can we win" is −1, or at least
   `abandon_min_signs` abandon-type signs are present;
2. **pursue** when the score ≥ `pursue_min_score` and no question is answered −1;
3. **qualify** further (with a deadline) otherwise.

The pursue-type conditions are recorded for the decision-maker but do not move the suggestion: the
methodology lists them as what a pursuable deal looks like, not as a score. The thresholds are the
ControlPolicy's (defaults: pursue at ≥ 3, abandon at ≤ −1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

QUESTIONS = ("real_opportunity", "can_compete", "can_win", "worth_winning")
PURSUE_CONDITIONS = ("meets_minimum_spec", "close_relationship", "genuine_competition")
ABANDON_SIGNS = ("spec_biased", "relationship_vague", "competitor_advantage")
ANSWERS = (-1, 0, 1)


class Outcome(StrEnum):
    PURSUE = "pursue"
    QUALIFY = "qualify"
    ABANDON = "abandon"


@dataclass(frozen=True)
class BidAnswers:
    """The four answers (each −1, 0 or +1) and the six yes/no conditions and signs.
    Constructing it with an answer outside −1/0/+1 (or a bool) raises ValueError."""

    real_opportunity: int
    can_compete: int
    can_win: int
    worth_winning: int
    meets_minimum_spec: bool = False
    close_relationship: bool = False
    genuine_competition: bool = False
    spec_biased: bool = False
    relationship_vague: bool = False
    competitor_advantage: bool = False

    def __post_init__(self) -> None:
        for name in QUESTIONS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value not in ANSWERS:
                raise ValueError(f"{name} must be -1, 0 or +1, not {value!r}")

    @property
    def answers(self) -> tuple[int, int, int, int]:
        return (self.real_opportunity, self.can_compete, self.can_win, self.worth_winning)

    @property
    def abandon_signs(self) -> int:
        """How many abandon-type signs are present (0–3)."""
        return sum(1 for name in ABANDON_SIGNS if getattr(self, name))


@dataclass(frozen=True)
class BidRules:
    """The thresholds (ControlPolicy): pursue at a score ≥ `pursue_min_score`, abandon at a score ≤
    `abandon_max_score` or with ≥ `abandon_min_signs` abandon-type signs; "qualify further" gets a
    deadline `qualify_days` ahead. The defaults are the shipped policy's."""

    pursue_min_score: int = 3
    abandon_max_score: int = -1
    abandon_min_signs: int = 2
    qualify_days: int = 14


@dataclass(frozen=True)
class Suggestion:
    """The score, the suggested outcome and why (reason codes, in the order the rule checks them):
    "score_low", "cannot_win", "abandon_signs" (abandon); "score_high" (pursue); "answer_negative",
    "score_middle" (qualify)."""

    score: int
    outcome: Outcome
    reasons: tuple[str, ...]


def score(answers: BidAnswers) -> int:
    """The sum of the four answers, −4…+4."""
    return sum(answers.answers)


def suggest(answers: BidAnswers, rules: BidRules = BidRules()) -> Suggestion:
    """The suggested outcome (see the module docstring for the rule)."""
    total = score(answers)
    abandon = []
    if total <= rules.abandon_max_score:
        abandon.append("score_low")
    if answers.can_win == -1:
        abandon.append("cannot_win")
    if answers.abandon_signs >= rules.abandon_min_signs:
        abandon.append("abandon_signs")
    if abandon:
        return Suggestion(total, Outcome.ABANDON, tuple(abandon))
    negative = -1 in answers.answers
    if total >= rules.pursue_min_score and not negative:
        return Suggestion(total, Outcome.PURSUE, ("score_high",))
    reasons = []
    if negative:
        reasons.append("answer_negative")
    if total < rules.pursue_min_score:
        reasons.append("score_middle")
    return Suggestion(total, Outcome.QUALIFY, tuple(reasons))
