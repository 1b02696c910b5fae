"""BP, SOW, SOA, remaining opportunity, the RAD matrix and ABC classes (METHODOLOGY §11.2–11.4, seeds 003 /
004). Pure: numbers in, numbers out; the database code (kadence.keyaccounts.value) applies the same rules in
SQL for whole populations and is tested against these.

- **BP** buying power: the account's annual purchase volume in our category. A year's BP is the year's
  entry when there is one, else the account's single `buying_power` field (`bp_for_year`).
- **SOW** share of wallet = our revenue ÷ BP over the period (None when BP is unknown or 0).
- **Remaining opportunity** = BP − our revenue, never below 0 (None when BP is unknown).
- **SOA** share of account = buying units covered ÷ buying units in the group. A buying unit is a node of the
  account tree (the group itself and every subsidiary or branch below it, any depth); a unit is covered in
  the period when we won revenue there in the period or it has an open deal.
- **RAD** cell: R (SOW > 50 %), D (10 % ≤ SOW ≤ 50 %), A (SOW < 10 %) × 1 (BP > 1M), 2 (500K ≤ BP ≤ 1M),
  3 (BP < 500K); thresholds are a `RadThresholds`.
- **ABC**: sorted by value, largest first; A = the accounts whose cumulative share *before* them is below
  80 % (so the account that crosses 80 % is an A), B the same up to 95 %, C the rest; accounts with value 0
  are C.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)

SOW_LETTERS = ("R", "D", "A")
BP_DIGITS = ("1", "2", "3")
RAD_CELLS: tuple[str, ...] = tuple(f"{letter}{digit}" for letter in SOW_LETTERS for digit in BP_DIGITS)
ABC_CLASSES = ("A", "B", "C")


def bp_for_year(entry: Decimal | None, fallback: Decimal | None) -> Decimal | None:
    """The BP of a year: the year's entry, else the account's single `buying_power` (the one fallback rule)."""
    return entry if entry is not None else fallback


def sow(revenue: Decimal, bp: Decimal | None) -> Decimal | None:
    """Share of wallet as a fraction (0.25 = 25 %): revenue ÷ BP; None when BP is unknown or not positive."""
    if bp is None or bp <= 0:
        return None
    return Decimal(revenue) / Decimal(bp)


def remaining(revenue: Decimal, bp: Decimal | None) -> Decimal | None:
    """Remaining opportunity: BP − revenue, not below 0; None when BP is unknown."""
    if bp is None:
        return None
    return max(Decimal(bp) - Decimal(revenue), ZERO)


@dataclass(frozen=True)
class RadThresholds:
    """SOW fractions and BP amounts that split the matrix (defaults: the seed's 50 % / 10 %, 1M / 500K)."""

    sow_high: Decimal = Decimal("0.5")
    sow_low: Decimal = Decimal("0.1")
    bp_high: Decimal = Decimal(1_000_000)
    bp_low: Decimal = Decimal(500_000)

    def __post_init__(self) -> None:
        if not (ZERO <= self.sow_low <= self.sow_high) or not (ZERO <= self.bp_low <= self.bp_high):
            raise ValueError("thresholds must satisfy 0 <= low <= high")


def sow_letter(share: Decimal, t: RadThresholds = RadThresholds()) -> str:
    """R retention (SOW > high), D development (low ≤ SOW ≤ high), A acquisition (SOW < low)."""
    if share > t.sow_high:
        return "R"
    if share >= t.sow_low:
        return "D"
    return "A"


def bp_digit(bp: Decimal, t: RadThresholds = RadThresholds()) -> str:
    """1 (BP > high), 2 (low ≤ BP ≤ high), 3 (BP < low)."""
    if bp > t.bp_high:
        return "1"
    if bp >= t.bp_low:
        return "2"
    return "3"


def rad_cell(revenue: Decimal, bp: Decimal | None, t: RadThresholds = RadThresholds()) -> str | None:
    """The RAD cell ("R1" … "A3") of an account with `revenue` and `bp` in the period; None without a BP."""
    share = sow(revenue, bp)
    if share is None or bp is None:
        return None
    return sow_letter(share, t) + bp_digit(bp, t)


@dataclass(frozen=True)
class AbcThresholds:
    """Cumulative shares closing class A and class B (defaults 80 % and 95 %: A 80, B the next 15, C the rest)."""

    a: Decimal = Decimal("0.8")
    b: Decimal = Decimal("0.95")

    def __post_init__(self) -> None:
        if not (ZERO < self.a <= self.b <= 1):
            raise ValueError("ABC thresholds must satisfy 0 < a <= b <= 1")


@dataclass(frozen=True)
class AbcRow:
    key: int
    value: Decimal
    rank: int
    cumulative_share: Decimal  # share of the total up to and including this row
    klass: str


def abc_classes(
    values: Mapping[int, Decimal] | Iterable[tuple[int, Decimal]], t: AbcThresholds = AbcThresholds()
) -> list[AbcRow]:
    """ABC classes of `values` ({key: value}), largest first (ties by key). A row is A while the cumulative
    share before it is below `t.a`, B while below `t.b`, else C; a value of 0 (or less) is always C."""
    items = list(values.items()) if isinstance(values, Mapping) else list(values)
    items.sort(key=lambda kv: (-kv[1], kv[0]))
    total = sum((max(v, ZERO) for _, v in items), ZERO)
    rows: list[AbcRow] = []
    running = ZERO
    for rank, (key, value) in enumerate(items, start=1):
        before = running / total if total > 0 else Decimal(1)
        running += max(value, ZERO)
        share = running / total if total > 0 else ZERO
        if value <= 0:
            klass = "C"
        elif before < t.a:
            klass = "A"
        elif before < t.b:
            klass = "B"
        else:
            klass = "C"
        rows.append(AbcRow(key, value, rank, share, klass))
    return rows


def profit(revenue: Decimal, margin_pct: Decimal) -> Decimal:
    """Gross profit of revenue at a gross-margin % (Kadence has no cost data: the margin is configuration)."""
    return Decimal(revenue) * Decimal(margin_pct) / 100


# --- the account tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupValue:
    units: int
    covered: int
    soa: Decimal | None  # fraction
    revenue: Decimal
    bp: Decimal | None
    sow: Decimal | None
    remaining: Decimal | None


def group_value(
    units: Sequence[int],
    revenue: Mapping[int, Decimal],
    open_deals: Iterable[int],
    bp: Mapping[int, Decimal | None],
) -> GroupValue:
    """The group's figures over its buying units: SOA = covered ÷ units (covered: revenue > 0 or an open deal),
    revenue and BP summed over the units (BP None when no unit has one), SOW and remaining from those sums."""
    open_set = set(open_deals)
    covered = sum(1 for u in units if revenue.get(u, ZERO) > 0 or u in open_set)
    total_revenue = sum((revenue.get(u, ZERO) for u in units), ZERO)
    known = [b for u in units if (b := bp.get(u)) is not None]
    total_bp = sum(known, ZERO) if known else None
    return GroupValue(
        units=len(units),
        covered=covered,
        soa=Decimal(covered) / len(units) if units else None,
        revenue=total_revenue,
        bp=total_bp,
        sow=sow(total_revenue, total_bp),
        remaining=remaining(total_revenue, total_bp),
    )


def coverage_rate(accounts: int, covered: int) -> Decimal | None:
    """A territory's SOA: accounts with an owner and recent activity ÷ all accounts."""
    return Decimal(covered) / accounts if accounts else None


# --- the focus rule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FocusCheck:
    r_count: int
    d_count: int
    flags: tuple[str, ...]  # "few_r", "many_r", "few_d", "many_d"


def focus_check(r_count: int, d_count: int, low: int = 10, high: int = 15) -> FocusCheck:
    """The seed's focus rule: an AE concentrates on the `low`–`high` largest R accounts and the `low`–`high`
    main D accounts. Fewer than `low` R (or D) accounts means the AE has too few to focus on; more than
    `high` means more than they can concentrate on (the rest should go to inside sales)."""
    flags = []
    if r_count < low:
        flags.append("few_r")
    elif r_count > high:
        flags.append("many_r")
    if d_count < low:
        flags.append("few_d")
    elif d_count > high:
        flags.append("many_d")
    return FocusCheck(r_count, d_count, tuple(flags))
