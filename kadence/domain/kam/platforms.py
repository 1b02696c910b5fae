"""Customer screening platforms (客户筛选平台, issue 15 §10, METHODOLOGY §11.9, seed 003): potential market →
market platform (prospects that pass the "wall criteria", 围墙准则) → sales platform (accounts we are actively
selling to) → buying platform (accounts that have bought). Pure: an account's facts in, its platform out.

An account stands on the highest platform whose rule it meets:

1. **buying** — our won revenue from it over the revenue window is above 0 (kadence.keyaccounts.revenue);
2. **sales** — it has an open opportunity, or a done activity in the last `active_days` days;
3. **market** — it passes the wall: its industry is in the list (empty list: any), its size is at least the
   minimum (none: any), its buying power is at least the minimum, its region is in the list (empty: any);
4. **potential** — every other account of the pool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

POTENTIAL = "potential"
MARKET = "market"
SALES = "sales"
BUYING = "buying"
PLATFORMS: tuple[str, ...] = (POTENTIAL, MARKET, SALES, BUYING)
NEW = "new"  # the "from" of an account with no platform in the previous period
MOVEMENTS: tuple[str, ...] = ("up", "down", "same", NEW)  # what movement() answers

SIZES: tuple[str, ...] = ("small", "medium", "large", "huge")  # Account.Size, smallest first


@dataclass(frozen=True)
class WallCriteria:
    industries: frozenset[str] = frozenset()  # industry codes; empty: any industry
    min_size: str = ""  # one of SIZES; empty: any size
    min_buying_power: Decimal = Decimal(0)
    regions: frozenset[int] = frozenset()  # region ids; empty: any region


@dataclass(frozen=True)
class AccountFacts:
    industry: str
    size: str
    buying_power: Decimal
    region_id: int
    open_opportunity: bool = False
    last_activity: date | None = None
    won: Decimal = field(default=Decimal(0))


def passes_wall(facts: AccountFacts, wall: WallCriteria) -> bool:
    if wall.industries and facts.industry not in wall.industries:
        return False
    if wall.min_size and wall.min_size in SIZES:
        if facts.size not in SIZES or SIZES.index(facts.size) < SIZES.index(wall.min_size):
            return False
    if facts.buying_power < wall.min_buying_power:
        return False
    return not (wall.regions and facts.region_id not in wall.regions)


def is_active(last_activity: date | None, as_of: date, active_days: int) -> bool:
    return last_activity is not None and as_of - timedelta(days=active_days) <= last_activity <= as_of


def platform_of(facts: AccountFacts, wall: WallCriteria, as_of: date, active_days: int) -> str:
    if facts.won > 0:
        return BUYING
    if facts.open_opportunity or is_active(facts.last_activity, as_of, active_days):
        return SALES
    if passes_wall(facts, wall):
        return MARKET
    return POTENTIAL


def funnel(platforms: Iterable[str]) -> dict[str, int]:
    """Accounts per platform, every platform present (0 when none)."""
    counts = Counter(platforms)
    return {p: counts.get(p, 0) for p in PLATFORMS}


def transitions(before: Mapping[int, str], after: Mapping[int, str]) -> dict[tuple[str, str], int]:
    """{(from, to): accounts} between two periods, for the accounts of `after`; from = NEW for an account
    with no platform before."""
    return dict(Counter((before.get(account, NEW), to) for account, to in after.items()))


def rank(platform: str) -> int:
    """Position in the funnel (potential 0 … buying 3); NEW is -1."""
    return PLATFORMS.index(platform) if platform in PLATFORMS else -1


def movement(from_platform: str, to_platform: str) -> str:
    """ "up", "down", "same" or "new" for a transition."""
    if from_platform == NEW:
        return "new"
    diff = rank(to_platform) - rank(from_platform)
    return "up" if diff > 0 else "down" if diff < 0 else "same"
