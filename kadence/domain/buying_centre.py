"""The buying centre of a deal (决策角色, METHODOLOGY §4): role coverage and red flags. Pure: plain
data in, plain data out; the clock is passed in as `as_of`.

Members carry buying-role codes (Miller Heiman's economic / user_buyer / technical / coach and the
six Chinese roles decision_maker / advisor / purchaser / implementer / influencer / user), an
attitude towards us (support / neutral / oppose), an influence (high / medium / low), whether they
are marked key, and the date we last met them (the later of what was typed and the latest done
activity, as the loader computes it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

SUPPORT = "support"
NEUTRAL = "neutral"
OPPOSE = "oppose"
HIGH = "high"

# Who "signs": the economic buyer in Miller Heiman's terms, the decision maker (决策者) in the six-role set.
ECONOMIC_ROLES = frozenset({"economic", "decision_maker"})
COACH = "coach"
# The roles a deal must cover by default (ControlPolicy.required_buying_roles is the configured list).
REQUIRED_ROLES: tuple[str, ...] = ("economic", "technical", "user_buyer", "coach")
# Attitudes that count a role as covered: a supporter or at least not an opponent.
COVERING_ATTITUDES = frozenset({SUPPORT, NEUTRAL})

NO_ECONOMIC_BUYER = "no_economic_buyer"
NO_COACH = "no_coach"
HIGH_INFLUENCE_OPPONENT = "high_influence_opponent"
KEY_CONTACT_STALE = "key_contact_stale"
KEY_CONTACT_NEVER_MET = "key_contact_never_met"


@dataclass(frozen=True)
class Member:
    """One person of the buying centre as the rules see them. `id` is the caller's key (e.g. the
    member row's id), `name` is carried through to the red flags that name a person."""

    id: int
    name: str
    roles: frozenset[str]
    attitude: str = NEUTRAL
    influence: str = "medium"
    is_key: bool = False
    last_contact_on: date | None = None

    @property
    def is_key_contact(self) -> bool:
        """A key contact: marked key, or of high influence."""
        return self.is_key or self.influence == HIGH

    @property
    def covers(self) -> bool:
        """Whether this member's roles count towards coverage (supportive or neutral)."""
        return self.attitude in COVERING_ATTITUDES


@dataclass(frozen=True)
class Coverage:
    """Coverage of the required roles: `required` in the configured order (duplicates dropped),
    `covered` the required roles with at least one supportive or neutral member.

    ratio = |covered| ÷ |required|. With no role required the ratio is 1.0: nothing required is
    missing (a policy that requires nothing cannot be failed)."""

    required: tuple[str, ...]
    covered: frozenset[str]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(r for r in self.required if r not in self.covered)

    @property
    def covered_count(self) -> int:
        return len(self.covered)

    @property
    def required_count(self) -> int:
        return len(self.required)

    @property
    def ratio(self) -> float:
        if not self.required:
            return 1.0
        return len(self.covered) / len(self.required)

    @property
    def percent(self) -> int:
        """The ratio as a whole percentage, rounded half up (1 of 8 → 13); 100 when nothing is required."""
        if not self.required:
            return 100
        n, d = len(self.covered), len(self.required)
        return (n * 200 + d) // (2 * d)


@dataclass(frozen=True)
class RedFlag:
    """A warning about the buying centre. `member_id` and `name` name the person for the flags
    about one member; `days` is how long ago a stale key contact was last met (None when never)."""

    code: str
    member_id: int | None = None
    name: str = ""
    days: int | None = None


@dataclass(frozen=True)
class BuyingCentreAssessment:
    coverage: Coverage
    red_flags: tuple[RedFlag, ...]


def coverage(members: Iterable[Member], required_roles: Sequence[str]) -> Coverage:
    """Which required roles have at least one supportive or neutral member (an opponent holding a
    role does not cover it). Zero required roles: ratio 1.0 (see `Coverage`)."""
    required = tuple(dict.fromkeys(required_roles))
    held: set[str] = set()
    for member in members:
        if member.covers:
            held.update(member.roles)
    return Coverage(required, frozenset(r for r in required if r in held))


def days_since(last: date | None, as_of: date) -> int | None:
    """Whole days from `last` to `as_of` (negative if `last` is later); None when never."""
    return None if last is None else (as_of - last).days


def is_stale(last: date | None, as_of: date, stale_days: int) -> bool:
    """Not met for more than `stale_days` days at `as_of`, or never met. Exactly `stale_days` ago is
    not stale yet; a date after `as_of` is not stale."""
    days = days_since(last, as_of)
    return days is None or days > stale_days


def red_flags(members: Sequence[Member], as_of: date, stale_days: int) -> tuple[RedFlag, ...]:
    """The red flags of METHODOLOGY §4, in this order:

    1. no economic buyer or decision maker identified (whatever their attitude);
    2. no coach: no supportive or neutral member in the coach role (an opposing "coach" guides nobody,
       and this matches what a gate requiring the coach role accepts);
    3. each member of high influence who opposes us;
    4. each key contact (marked key, or of high influence) never met or not met for more than
       `stale_days` days at `as_of`.
    Members keep the caller's order within 3 and 4. An empty buying centre raises 1 and 2.
    """
    flags: list[RedFlag] = []
    if not any(member.roles & ECONOMIC_ROLES for member in members):
        flags.append(RedFlag(NO_ECONOMIC_BUYER))
    if not any(COACH in member.roles and member.covers for member in members):
        flags.append(RedFlag(NO_COACH))
    flags.extend(
        RedFlag(HIGH_INFLUENCE_OPPONENT, m.id, m.name)
        for m in members
        if m.influence == HIGH and m.attitude == OPPOSE
    )
    for member in members:
        if not member.is_key_contact or not is_stale(member.last_contact_on, as_of, stale_days):
            continue
        days = days_since(member.last_contact_on, as_of)
        code = KEY_CONTACT_NEVER_MET if days is None else KEY_CONTACT_STALE
        flags.append(RedFlag(code, member.id, member.name, days))
    return tuple(flags)


def assess(
    members: Sequence[Member], required_roles: Sequence[str], as_of: date, stale_days: int
) -> BuyingCentreAssessment:
    """Coverage and red flags of one buying centre."""
    return BuyingCentreAssessment(coverage(members, required_roles), red_flags(members, as_of, stale_days))
