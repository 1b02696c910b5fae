"""Commission plans (薪酬计划, METHODOLOGY §10.7, seed 002): what a seller is paid for a period under one
of the five plan types — salary only (直接工资), straight commission (直接佣金), salary + commission (薪金加佣金),
commission + approved expenses (佣金加批准费用), salary + group commission (工资加团体佣金) — with marginal
tiers (accelerators above quota), a cap on the variable pay, and split credit for deal-team members.

Pure: plain Decimals in, a statement of lines out; every line says what it was computed from.

Rules, each stated once:

- **Credit.** A won deal is credited to its owner and to the deal-team members whose role carries a share
  (`credit_shares`): the members take their shares in the order given, each at most what is left of
  100 %; the owner keeps the rest. Credited revenue = amount × share ÷ 100, half up to the cent.
- **Tiers** are attainment bands with marginal rates: the band starting at `from_pct` % of quota pays its
  `rate` % on the credited revenue that falls inside it. The first band starts at 0. Without a quota
  (no target of record) every cent is paid at the first band's rate. A deal that crosses a band
  boundary gives one line per band.
- **Cap.** The variable pay (commission + group commission) of a period is at most `cap`; the line that
  reaches it is cut, the lines after it pay 0 (and say so).
- **Group commission**: the group's booked revenue × `group_rate` % is the pool; the pool is split evenly
  between the group's members, the cents left over going one each to the first members (`split_evenly`).
- **Expenses**: approved expenses are reimbursed in full, up to `expense_cap` per period.
- **Rounding (documented, exact).** Amounts are computed exactly and rounded half up to the cent on the
  *running total*: a line's amount = round(total after it) − round(total before it). So the lines add
  up exactly to the rounded payout, whatever their number, and no line loses or gains a rounding cent
  against a recomputation. Payout = salary + variable pay + expenses.

Monotone: with rates ≥ 0 (the only rates a plan accepts), more credited revenue never lowers the payout —
tiers are marginal (never retroactive) and the cap clips the running total, it never takes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

PlanKind = Literal["salary", "commission", "salary_commission", "commission_expenses", "salary_group"]
PLAN_KINDS: tuple[PlanKind, ...] = (
    "salary",
    "commission",
    "salary_commission",
    "commission_expenses",
    "salary_group",
)
PAYS_SALARY = frozenset({"salary", "salary_commission", "salary_group"})
PAYS_COMMISSION = frozenset({"commission", "salary_commission", "commission_expenses"})
PAYS_GROUP = frozenset({"salary_group"})
PAYS_EXPENSES = frozenset({"commission_expenses"})

LineKind = Literal["salary", "commission", "group", "expense"]


class PlanError(ValueError):
    """Plan terms that cannot be applied (a tier list that does not start at 0, a negative rate…)."""


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    """An attainment band: from `from_pct` % of quota (inclusive) to the next band's; pays `rate` % of the
    credited revenue inside it."""

    from_pct: Decimal
    rate: Decimal


@dataclass(frozen=True)
class Terms:
    """A plan version's terms: `salary` per period; `tiers` (sorted by from_pct, the first at 0);
    `cap` on the variable pay per period (None: no cap); `group_rate` % of the group's revenue;
    `expense_cap` on reimbursed expenses per period (None: no cap)."""

    kind: PlanKind
    salary: Decimal = ZERO
    tiers: tuple[Tier, ...] = ()
    cap: Decimal | None = None
    group_rate: Decimal = ZERO
    expense_cap: Decimal | None = None


def check_terms(terms: Terms) -> None:
    """Raise PlanError when the terms cannot be applied."""
    if terms.kind not in PLAN_KINDS:
        raise PlanError("kind")
    if terms.salary < 0 or terms.group_rate < 0:
        raise PlanError("negative")
    if terms.cap is not None and terms.cap < 0 or terms.expense_cap is not None and terms.expense_cap < 0:
        raise PlanError("cap")
    if terms.kind in PAYS_COMMISSION:
        if not terms.tiers or terms.tiers[0].from_pct != 0:
            raise PlanError("tiers")
        starts = [t.from_pct for t in terms.tiers]
        if starts != sorted(set(starts)) or any(t.rate < 0 for t in terms.tiers):
            raise PlanError("tiers")


@dataclass(frozen=True)
class Credit:
    """A seller's credit on one won deal: the deal, its amount, the seller's share % and the role it was
    earned in ("owner" or a deal-team role's code)."""

    deal_id: int
    deal_name: str
    amount: Decimal
    share: Decimal
    role: str = "owner"

    @property
    def credited(self) -> Decimal:
        return round2(self.amount * self.share / HUNDRED)


@dataclass(frozen=True)
class Group:
    """The group of a group commission: its booked revenue, its members and where this seller stands
    among them (0-based, in the members' order)."""

    revenue: Decimal
    members: int
    index: int


@dataclass(frozen=True)
class ExpenseItem:
    expense_id: int
    deal_id: int | None
    description: str
    amount: Decimal


@dataclass(frozen=True)
class Line:
    """One line of a statement: its kind, the deal (or expense) it comes from, the base it applies to
    (credited revenue inside the band; the group's revenue share; the expense), the rate, the band's
    start, whether the cap cut it, and the amount paid."""

    kind: LineKind
    base: Decimal
    amount: Decimal
    rate: Decimal | None = None
    tier_from_pct: Decimal | None = None
    deal_id: int | None = None
    deal_name: str = ""
    deal_amount: Decimal | None = None
    share: Decimal | None = None
    role: str = ""
    expense_id: int | None = None
    capped: bool = False


@dataclass(frozen=True)
class Statement:
    lines: tuple[Line, ...]
    credited: Decimal
    attainment: Decimal | None  # credited ÷ quota × 100, 2 decimals; None without a quota
    salary: Decimal
    commission: Decimal
    group: Decimal
    expenses: Decimal
    payout: Decimal = field(default=ZERO)


def credit_shares(member_shares: Sequence[Decimal]) -> tuple[Decimal, list[Decimal]]:
    """(owner's share, each member's share) of a deal in %: members in order, each at most what is left
    of 100; the owner keeps the rest. Exact (no rounding: shares are given to 2 decimals)."""
    left = HUNDRED
    given = []
    for share in member_shares:
        take = min(max(share, ZERO), left)
        given.append(take)
        left -= take
    return left, given


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """`total` (cents) in `parts` shares that add up exactly: each the cent-floor of the even share, the
    cents left over one each to the first shares."""
    if parts <= 0:
        return []
    cents = int((total / CENT).to_integral_value(rounding=ROUND_HALF_UP))
    each, rest = divmod(cents, parts)
    return [(Decimal(each + (1 if i < rest else 0)) * CENT) for i in range(parts)]


def attainment_pct(credited: Decimal, quota: Decimal | None) -> Decimal | None:
    """credited ÷ quota × 100, half up to 0.01; None for no quota or a quota ≤ 0."""
    if quota is None or quota <= 0:
        return None
    return round2(credited / quota * HUNDRED)


def _bands(tiers: Sequence[Tier], quota: Decimal | None) -> list[tuple[Decimal, Decimal | None, Tier]]:
    """(revenue from, revenue to or None, tier) of each band in money for the quota, the boundaries half
    up to the cent (so every line's base is a whole number of cents)."""
    if quota is None or quota <= 0:
        return [(ZERO, None, tiers[0])]
    bands: list[tuple[Decimal, Decimal | None, Tier]] = []
    for i, tier in enumerate(tiers):
        low = round2(quota * tier.from_pct / HUNDRED)
        high = round2(quota * tiers[i + 1].from_pct / HUNDRED) if i + 1 < len(tiers) else None
        bands.append((low, high, tier))
    return bands


class _Running:
    """The running total of the variable pay, clipped at the cap and rounded on the total (module rule)."""

    def __init__(self, cap: Decimal | None) -> None:
        self.cap = cap
        self.exact = ZERO

    def add(self, exact: Decimal) -> tuple[Decimal, bool]:
        before = self._paid(self.exact)
        self.exact += exact
        after = self._paid(self.exact)
        capped = self.cap is not None and self.exact > self.cap
        return after - before, capped

    def _paid(self, exact: Decimal) -> Decimal:
        return round2(exact if self.cap is None else min(exact, self.cap))


def statement(
    terms: Terms,
    *,
    credits: Sequence[Credit] = (),
    quota: Decimal | None = None,
    group: Group | None = None,
    expenses: Sequence[ExpenseItem] = (),
) -> Statement:
    """A seller's statement for one period under `terms` (see the module's rules). `credits` in the
    order they are paid (the caller sorts them by close date and deal); `group` for a group commission;
    `expenses` the approved expenses of the period."""
    check_terms(terms)
    with localcontext() as ctx:
        ctx.prec = 60  # exact for money to 1e16 × rates with many decimals
        lines: list[Line] = []
        salary = round2(terms.salary) if terms.kind in PAYS_SALARY else ZERO
        if salary:
            lines.append(Line("salary", salary, salary))
        credited_total = sum((c.credited for c in credits), ZERO)
        running = _Running(terms.cap)
        commission = ZERO
        if terms.kind in PAYS_COMMISSION:
            bands = _bands(terms.tiers, quota)
            position = ZERO
            for credit in credits:
                left = credit.credited
                for low, high, tier in bands:
                    if left <= 0:
                        break
                    if high is not None and position >= high:
                        continue
                    room = left if high is None else min(left, high - max(position, low))
                    exact = room * tier.rate / HUNDRED
                    amount, capped = running.add(exact)
                    commission += amount
                    lines.append(
                        Line(
                            "commission",
                            room,
                            amount,
                            rate=tier.rate,
                            tier_from_pct=tier.from_pct,
                            deal_id=credit.deal_id,
                            deal_name=credit.deal_name,
                            deal_amount=credit.amount,
                            share=credit.share,
                            role=credit.role,
                            capped=capped,
                        )
                    )
                    position += room
                    left -= room
        group_pay = ZERO
        if terms.kind in PAYS_GROUP and group is not None and group.members > 0:
            pool = round2(group.revenue * terms.group_rate / HUNDRED)
            mine = split_evenly(pool, group.members)[group.index]
            amount, capped = running.add(mine)
            group_pay = amount
            lines.append(Line("group", group.revenue, amount, rate=terms.group_rate, capped=capped))
        paid_expenses = ZERO
        if terms.kind in PAYS_EXPENSES:
            reimbursed = _Running(terms.expense_cap)
            for item in expenses:
                amount, capped = reimbursed.add(item.amount)
                paid_expenses += amount
                lines.append(
                    Line(
                        "expense",
                        item.amount,
                        amount,
                        deal_id=item.deal_id,
                        deal_name=item.description,
                        expense_id=item.expense_id,
                        capped=capped,
                    )
                )
        payout = salary + commission + group_pay + paid_expenses
        return Statement(
            tuple(lines),
            credited_total,
            attainment_pct(credited_total, quota),
            salary,
            commission,
            group_pay,
            paid_expenses,
            payout,
        )
