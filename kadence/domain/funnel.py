"""Funnel mathematics (METHODOLOGY §8): weighted pipeline, win rate, sales velocity, the ideal
funnel by the task and cycle methods, and the stage-by-stage comparison of actual with ideal.
Pure: Decimal in, Decimal out; no clock, no ORM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SHORTFALL_BELOW = Decimal("0.7")  # shipped thresholds of actual ÷ ideal per stage (§8.4)
CONGESTION_ABOVE = Decimal("1.5")


def weighted_amount(amount: Decimal, probability: Decimal) -> Decimal:
    """A deal's weighted amount: amount × p ÷ 100, with p the probability of its level in percent (the
    deal's `probability`); the weighted pipeline WP is the sum over open deals.

    Exact, never rounded: amounts carry two decimals and percentages two, so a weighted amount has at
    most six decimals, which Decimal's 28 digits hold whole (as they hold any sum of them). A figure is
    rounded once, where it is shown. Its SQL twin is kadence.pipeline.expressions.WeightedAmount:
    exact on PostgreSQL; SQLite keeps DECIMAL columns as binary floating point, so there it agrees to
    about 15 significant digits."""
    return amount * probability / HUNDRED


def win_rate(won: int, lost: int) -> Decimal | None:
    """won ÷ (won + lost) over closed opps; None when nothing closed (no denominator)."""
    closed = won + lost
    return None if closed == 0 else Decimal(won) / Decimal(closed)


def stage_conversion(advanced: int, lost: int) -> Decimal | None:
    """c_s = advanced_s ÷ (advanced_s + lost_s); None when no opp left the stage either way."""
    return win_rate(advanced, lost)


def sales_velocity(
    open_qualified: int, rate: Decimal | None, avg_won_amount: Decimal | None, cycle_days: Decimal | None
) -> Decimal | None:
    """SV = N_open_qualified × win rate × average won amount ÷ cycle days (money per day).
    None when the win rate, the average or the cycle is unknown, or the cycle is 0."""
    if rate is None or avg_won_amount is None or not cycle_days:
        return None
    return Decimal(open_qualified) * rate * avg_won_amount / cycle_days


def velocity_from_sums(
    open_qualified: int, won: int, lost: int, won_amount: Decimal, cycle_total_days: int
) -> Decimal | None:
    """Sales velocity from a window's sums with nothing rounded on the way (a figure is rounded once,
    where it is shown): win rate won ÷ (won + lost), average won amount won_amount ÷ won, cycle
    cycle_total_days ÷ won (days from creation to win, summed over the wins). None as sales_velocity."""
    rate = win_rate(won, lost)
    if rate is None or not won or not cycle_total_days:
        return None
    # average ÷ cycle = (won_amount ÷ won) ÷ (cycle_total ÷ won) = won_amount ÷ cycle_total: one division
    return Decimal(open_qualified) * rate * won_amount / Decimal(cycle_total_days)


def average_age(count: int, age_total: Decimal) -> Decimal | None:
    """The average age (days) of `count` deals whose ages sum to `age_total`; None without deals."""
    return age_total / count if count else None


@dataclass(frozen=True)
class StageSpec:
    """A funnel stage for the ideal funnel: its code, win probability p (fraction, > 0) and
    standard duration d (in the period unit, e.g. months)."""

    code: str
    probability: Decimal
    duration: Decimal = ZERO


def wins_needed(target: Decimal, avg_deal: Decimal) -> int:
    """N_win = ceil(T ÷ A). A must be positive."""
    if avg_deal <= 0:
        raise ValueError("average deal size must be positive")
    if target <= 0:
        return 0
    return int((target / avg_deal).to_integral_value(rounding=ROUND_CEILING))


def ideal_funnel_task(target: Decimal, avg_deal: Decimal, stages: Sequence[StageSpec]) -> dict[str, Decimal]:
    """Task method: opps that must pass through stage s, N_s = N_win ÷ p_s.
    Example (§8.3): T 900, A 100 → 9 wins → I 90, C 36, Q 18, D 12, C90 10."""
    n_win = Decimal(wins_needed(target, avg_deal))
    return {s.code: n_win / s.probability for s in stages}


@dataclass(frozen=True)
class CycleFunnel:
    """Cycle method result: wins per period unit λ, entry rate per stage λ_s, ideal WIP per stage,
    and the lead time L = Σ d_s an opp needs from stage I to close."""

    wins_per_unit: Decimal
    entry_rate: dict[str, Decimal]
    wip: dict[str, Decimal]
    lead_time: Decimal


def ideal_funnel_cycle(
    target: Decimal, avg_deal: Decimal, units: Decimal, stages: Sequence[StageSpec]
) -> CycleFunnel:
    """Cycle method (Little's law): λ = N_win ÷ P; λ_s = λ ÷ p_s; WIP_s = λ_s × d_s; L = Σ d_s.
    Example (§8.3): T 1,200/yr, A 100, P 12 months, d = 1.5, 1.5, 1, 1, 0.5 → WIP 15, 6, 2, 1.33, 0.56."""
    if units <= 0:
        raise ValueError("the period must be longer than zero")
    lam = Decimal(wins_needed(target, avg_deal)) / units
    entry = {s.code: lam / s.probability for s in stages}
    wip = {s.code: entry[s.code] * s.duration for s in stages}
    return CycleFunnel(lam, entry, wip, sum((s.duration for s in stages), ZERO))


@dataclass(frozen=True)
class StageComparison:
    code: str
    actual: Decimal
    ideal: Decimal
    ratio: Decimal | None
    status: str  # "shortfall" | "congestion" | "ok" | "no_ideal"


def compare_funnels(
    actual: dict[str, Decimal],
    ideal: dict[str, Decimal],
    order: Sequence[str],
    *,
    shortfall_below: Decimal = SHORTFALL_BELOW,
    congestion_above: Decimal = CONGESTION_ABOVE,
) -> tuple[list[StageComparison], list[str]]:
    """Stage by stage actual ÷ ideal: < 0.7 shortfall, > 1.5 congestion (§8.4). Also the pattern
    findings: "dry_top" when the first half of the stages is short (the gap arrives one cycle later),
    "jammed_middle" when a middle stage is congested while a later one is short."""
    rows: list[StageComparison] = []
    for code in order:
        a, i = actual.get(code, ZERO), ideal.get(code, ZERO)
        if i <= 0:
            rows.append(StageComparison(code, a, i, None, "no_ideal"))
            continue
        ratio = a / i
        status = (
            "shortfall" if ratio < shortfall_below else "congestion" if ratio > congestion_above else "ok"
        )
        rows.append(StageComparison(code, a, i, ratio, status))
    findings: list[str] = []
    half = max(1, len(rows) // 2)
    top = [r for r in rows[:half] if r.ratio is not None]
    if top and all(r.status == "shortfall" for r in top):
        findings.append("dry_top")
    for idx, row in enumerate(rows[1:-1], start=1):
        if row.status == "congestion" and any(r.status == "shortfall" for r in rows[idx + 1 :]):
            findings.append("jammed_middle")
            break
    return rows, findings


DAYS_PER_MONTH = Decimal(30)
"""The cycle method counts in months, as METHODOLOGY §8.3 does; stage durations are configured and
learned in days, and a month counts 30 days (1.5 months = 45 days)."""


def days_to_months(days: Decimal) -> Decimal:
    """A duration in days as months of DAYS_PER_MONTH days."""
    return days / DAYS_PER_MONTH


def littles_law_check(
    cycle: CycleFunnel, target: Decimal, avg_deal: Decimal, units: Decimal, stages: Sequence[StageSpec]
) -> tuple[Decimal, Decimal]:
    """Both sides of the §8.3 check Σ WIP_s × A × p_s = (T ÷ P) × L. They are equal when T is a
    multiple of A; otherwise the left side is higher by the rounding up of N_win = ceil(T ÷ A)
    (it equals (N_win × A ÷ P) × L). A period of length 0 is refused."""
    if units <= 0:
        raise ValueError("the period must be longer than zero")
    left = sum((cycle.wip[s.code] * avg_deal * s.probability for s in stages), ZERO)
    return left, target / units * cycle.lead_time
