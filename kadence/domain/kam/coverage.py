"""Coverage of the account pool (issue 15 §9, METHODOLOGY §11.2–11.3, seed 004): who owns each account,
whether anyone works it, how many accounts each seller carries against their limit, and how inside sales
activate new customers. Pure: facts in, figures out; no clock, no database.

Definitions (documented in docs/keyaccounts-coverage.md):

- **owned** — the account's owner (Account.owner, never empty) is an active seller (a rep or an inside-sales
  rep). An account whose owner has left (inactive) or is not a seller (a manager, director or admin holding a
  pool of accounts as a placeholder) is **unowned**: nobody sells to it.
- **neglected** — no done activity on the account in the `neglect_days` days up to the day of the report:
  the last activity is missing or older than `as_of − neglect_days`.
- **covered** — owned and not neglected (SOA per territory, §11.2: accounts with an owner and recent activity
  ÷ all accounts). Coverage rate = covered ÷ all, in % to one decimal; None for no accounts.
- **load** — the accounts a seller owns, against the limit of their kind: outside sales (reps) 20 (TOP 20
  per AE), inside sales 200. Over the limit = more than the limit.
- **activation** (inside sales) — accounts whose first activity ever falls in the period; converted when the
  account's first opportunity was created on or after that day; days = first opportunity − first activity.
  Accounts that had an opportunity before their first activity are not new customers and are left out.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

OUTSIDE = "outside"
INSIDE = "inside"
DEFAULT_OUTSIDE_LIMIT = 20
DEFAULT_INSIDE_LIMIT = 200
DEFAULT_NEGLECT_DAYS = 90


@dataclass(frozen=True)
class Limits:
    outside: int = DEFAULT_OUTSIDE_LIMIT
    inside: int = DEFAULT_INSIDE_LIMIT

    def of(self, kind: str) -> int:
        return self.inside if kind == INSIDE else self.outside


def pct(part: int, whole: int) -> Decimal | None:
    """part ÷ whole in %, one decimal, half up; None when whole is 0."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def is_owned(owner_active: bool, owner_is_seller: bool) -> bool:
    return owner_active and owner_is_seller


def neglect_cutoff(as_of: date, neglect_days: int) -> date:
    """The first day that still counts as recent: an activity on or after it keeps the account worked."""
    return as_of - timedelta(days=neglect_days)


def is_neglected(last_activity: date | None, as_of: date, neglect_days: int) -> bool:
    return last_activity is None or last_activity < neglect_cutoff(as_of, neglect_days)


@dataclass(frozen=True)
class CoverageCounts:
    total: int
    unowned: int
    neglected: int
    covered: int

    @property
    def rate(self) -> Decimal | None:
        return pct(self.covered, self.total)

    def __add__(self, other: CoverageCounts) -> CoverageCounts:
        return CoverageCounts(
            self.total + other.total,
            self.unowned + other.unowned,
            self.neglected + other.neglected,
            self.covered + other.covered,
        )


ZERO = CoverageCounts(0, 0, 0, 0)


def count_coverage(
    accounts: Iterable[tuple[bool, date | None]], as_of: date, neglect_days: int
) -> CoverageCounts:
    """The counts of (owned, last activity) pairs — the reference the SQL aggregate must agree with."""
    total = unowned = neglected = covered = 0
    for owned, last in accounts:
        total += 1
        lazy = is_neglected(last, as_of, neglect_days)
        unowned += not owned
        neglected += lazy
        covered += owned and not lazy
    return CoverageCounts(total, unowned, neglected, covered)


@dataclass(frozen=True)
class Load:
    accounts: int
    limit: int

    @property
    def over(self) -> bool:
        return self.accounts > self.limit

    @property
    def excess(self) -> int:
        return max(0, self.accounts - self.limit)

    @property
    def used_pct(self) -> Decimal | None:
        return pct(self.accounts, self.limit)


def load_after(current: int, adding: int, limit: int) -> Load:
    """A seller's load once `adding` more accounts are theirs."""
    return Load(current + adding, limit)


@dataclass(frozen=True)
class Activation:
    accounts: int
    converted: int
    median_days: Decimal | None

    @property
    def rate(self) -> Decimal | None:
        return pct(self.converted, self.accounts)


def activation(rows: Iterable[tuple[date, date | None]]) -> Activation:
    """From (first activity, first opportunity or None) per account: how many were activated, how many
    got a first opportunity on or after their first activity, and the median days between the two (one
    decimal). Rows whose first opportunity came before the first activity are not new customers: left out."""
    days: list[int] = []
    accounts = 0
    for first_activity, first_opportunity in rows:
        if first_opportunity is not None and first_opportunity < first_activity:
            continue
        accounts += 1
        if first_opportunity is not None:
            days.append((first_opportunity - first_activity).days)
    median = None
    if days:
        median = Decimal(str(statistics.median(days))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Activation(accounts, len(days), median)
