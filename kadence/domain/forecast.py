"""Forecast mathematics (METHODOLOGY §9.2–§9.5): the roll-up of deals into forecast categories, the
forecast of record behind submissions and adjustments, and forecast accuracy (error %, bias, MAPE) for
periods and for the rolling 4-week order forecast. Pure: Decimal in, Decimal out; no clock, no ORM.

Categories (seed 003): booked (won in the period), commit, best case, best case next quarter,
pipeline. `omitted` deals are left out of every figure; lost deals too. An open deal whose seller
marked it "booked" is not booked until it is won: it counts as commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PCT_STEP = Decimal("0.1")

BOOKED = "booked"
COMMIT = "commit"
BEST_CASE = "best_case"
NEXT_QUARTER = "next_quarter"
PIPELINE = "pipeline"
OMITTED = "omitted"
WON = "won"  # deal statuses, as kadence.pipeline.models.Opportunity.Status stores them
OPEN = "open"
CATEGORIES: tuple[str, ...] = (BOOKED, COMMIT, BEST_CASE, NEXT_QUARTER, PIPELINE)
OPEN_CATEGORIES: tuple[str, ...] = (COMMIT, BEST_CASE, NEXT_QUARTER, PIPELINE)


def category_of(status: str, category: str) -> str | None:
    """The forecast category a deal counts in: won → booked; open → its category (booked → commit,
    omitted → None, a value that is no open category → pipeline); lost → None. Its SQL twin is
    kadence.pipeline.expressions.forecast_category."""
    if status == WON:
        return BOOKED
    if status != OPEN or category == OMITTED:
        return None
    if category == BOOKED:
        return COMMIT
    return category if category in OPEN_CATEGORIES else PIPELINE


@dataclass(frozen=True)
class Figure:
    """Deals counted together: how many, their amount and their weighted amount (Σ amount × p)."""

    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.count + other.count, self.amount + other.amount, self.weighted + other.weighted)


@dataclass(frozen=True)
class CategoryTotals:
    """A forecast roll-up: one Figure per category. The weighted pipeline counts open deals only
    (a booked deal is no longer a probability)."""

    booked: Figure = field(default_factory=Figure)
    commit: Figure = field(default_factory=Figure)
    best_case: Figure = field(default_factory=Figure)
    next_quarter: Figure = field(default_factory=Figure)
    pipeline: Figure = field(default_factory=Figure)

    def __add__(self, other: CategoryTotals) -> CategoryTotals:
        return CategoryTotals(**{c: self.figure(c) + other.figure(c) for c in CATEGORIES})

    def figure(self, category: str) -> Figure:
        if category not in CATEGORIES:
            raise KeyError(category)
        value: Figure = getattr(self, category)
        return value

    @property
    def open_count(self) -> int:
        return sum(self.figure(c).count for c in OPEN_CATEGORIES)

    @property
    def open_amount(self) -> Decimal:
        return sum((self.figure(c).amount for c in OPEN_CATEGORIES), ZERO)

    @property
    def weighted(self) -> Decimal:
        """Weighted pipeline WP = Σ amount × p over the open deals (omitted excluded)."""
        return sum((self.figure(c).weighted for c in OPEN_CATEGORIES), ZERO)

    @property
    def commit_call(self) -> Decimal:
        """Booked + commit: what the seller says will land; the default of a submission."""
        return self.booked.amount + self.commit.amount

    @property
    def best_case_call(self) -> Decimal:
        """Booked + commit + best case: the upside this period."""
        return self.commit_call + self.best_case.amount


def totals_sum(items: Iterable[CategoryTotals]) -> CategoryTotals:
    """The sum of roll-ups, in one pass: what adding them one by one with `+` gives (the empty sum is
    all zeros), without building the intermediate totals (a company's thousands of seller groups)."""
    counts = dict.fromkeys(CATEGORIES, 0)
    amounts = dict.fromkeys(CATEGORIES, ZERO)
    weighted = dict.fromkeys(CATEGORIES, ZERO)
    for item in items:
        for category in CATEGORIES:
            figure: Figure = getattr(item, category)
            counts[category] += figure.count
            amounts[category] += figure.amount
            weighted[category] += figure.weighted
    return CategoryTotals(**{c: Figure(counts[c], amounts[c], weighted[c]) for c in CATEGORIES})


def category_rollup(rows: Iterable[tuple[str | None, int, Decimal, Decimal]]) -> CategoryTotals:
    """Add grouped rows (category, count, amount, weighted) into totals; rows without a category
    (omitted, lost) are skipped. Several rows of one category add up."""
    sums: dict[str, Figure] = {c: Figure() for c in CATEGORIES}
    for category, count, amount, weighted in rows:
        if category is None or category not in sums:
            continue
        sums[category] = sums[category] + Figure(int(count), amount or ZERO, weighted or ZERO)
    return CategoryTotals(**sums)


# --- submissions and the forecast of record ----------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A forecast submission (`adjusts` None) or a manager's adjustment of submission `adjusts`."""

    id: int
    forecast: Decimal
    submitted_at: datetime
    adjusts: int | None = None


def forecast_of_record(calls: Sequence[Call]) -> Call | None:
    """A seller's forecast of record for a period: their latest submission or, when a manager
    adjusted that submission, the latest adjustment of it. A newer submission replaces an older one
    and the adjustments made to it (the manager adjusts again if they disagree). None: no submission."""
    submissions = [c for c in calls if c.adjusts is None]
    if not submissions:
        return None
    latest = max(submissions, key=lambda c: (c.submitted_at, c.id))
    adjustments = [c for c in calls if c.adjusts == latest.id]
    return max(adjustments, key=lambda c: (c.submitted_at, c.id)) if adjustments else latest


def effective_call(record: Decimal | None, totals: CategoryTotals) -> Decimal:
    """The seller's forecast as counted in a roll-up: the forecast of record, or, without one,
    booked + commit (what the deals say)."""
    return record if record is not None else totals.commit_call


# --- accuracy -----------------------------------------------------------------------------------


def forecast_error(forecast: Decimal, actual: Decimal) -> Decimal | None:
    """Error = (forecast − actual) ÷ actual, a signed fraction (+ = over-forecast).

    Zero actual: when nothing was forecast either the error is 0 (exact); otherwise it is undefined
    (None): a ratio to nothing means nothing. Such periods show their amount difference and are left
    out of bias and MAPE."""
    if actual == 0:
        return ZERO if forecast == 0 else None
    return (forecast - actual) / actual


def as_pct(fraction: Decimal | None) -> Decimal | None:
    """A fraction as a percentage rounded half-up to 0.1 (0.12345 → 12.3)."""
    return None if fraction is None else (fraction * HUNDRED).quantize(PCT_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AccuracyPoint:
    """One period (or week) of one scope: the forecast made for it (None: none was recorded) and
    the actual orders (won amount closed in it)."""

    key: date
    forecast: Decimal | None
    actual: Decimal

    @property
    def error(self) -> Decimal | None:
        return None if self.forecast is None else forecast_error(self.forecast, self.actual)

    @property
    def difference(self) -> Decimal | None:
        return None if self.forecast is None else self.forecast - self.actual


@dataclass(frozen=True)
class AccuracySummary:
    """The track record over several periods.

    - `scored`: periods with a defined error (a forecast, and an actual > 0 or both 0);
    - `bias`: mean signed error (+ = the forecasts run high), None when nothing is scored;
    - `mape`: mean absolute error, None when nothing is scored;
    - `bias_amount`: mean of forecast − actual over the periods with a forecast (defined even when
      the actual is 0), None when there is no forecast at all."""

    periods: int
    scored: int
    bias: Decimal | None
    mape: Decimal | None
    bias_amount: Decimal | None


def accuracy_summary(points: Sequence[AccuracyPoint]) -> AccuracySummary:
    errors = [p.error for p in points if p.error is not None]
    differences = [p.difference for p in points if p.difference is not None]
    scored = len(errors)
    return AccuracySummary(
        periods=len(points),
        scored=scored,
        bias=sum((e for e in errors), ZERO) / scored if scored else None,
        mape=sum((abs(e) for e in errors), ZERO) / scored if scored else None,
        bias_amount=sum((d for d in differences), ZERO) / len(differences) if differences else None,
    )


# --- rolling 4-week order forecast (§9.3) -------------------------------------------------------

LEADS: tuple[int, ...] = (1, 2, 3, 4)


@dataclass(frozen=True)
class OrderEntry:
    """An order forecast made in the week starting `made_on` for the week starting `week_start`."""

    made_on: date
    week_start: date
    amount: Decimal

    @property
    def lead(self) -> int:
        """Weeks ahead: 1 for the week right after the one it was made in."""
        return (self.week_start - self.made_on).days // 7


@dataclass(frozen=True)
class WeekAccuracy:
    """One week's actual orders and the forecasts made 1, 2, 3 and 4 weeks before it (None where
    none was made), summed over the sellers of the scope."""

    week_start: date
    actual: Decimal
    points: tuple[AccuracyPoint, ...]


def order_accuracy(
    entries: Iterable[OrderEntry], actuals: Mapping[date, Decimal], weeks: Sequence[date]
) -> list[WeekAccuracy]:
    """For each week in `weeks` (Mondays): the forecast made N weeks before it (N = 1…4) against the
    won orders of that week. Entries with another lead are ignored."""
    sums: dict[tuple[date, int], Decimal] = {}
    for entry in entries:
        if entry.lead in LEADS:
            key = (entry.week_start, entry.lead)
            sums[key] = sums.get(key, ZERO) + entry.amount
    result = []
    for week in weeks:
        actual = actuals.get(week, ZERO)
        result.append(
            WeekAccuracy(
                week, actual, tuple(AccuracyPoint(week, sums.get((week, lead)), actual) for lead in LEADS)
            )
        )
    return result


def lead_summaries(weeks: Sequence[WeekAccuracy]) -> dict[int, AccuracySummary]:
    """The track record of the order forecast per lead (1…4 weeks ahead), over `weeks`."""
    return {lead: accuracy_summary([w.points[index] for w in weeks]) for index, lead in enumerate(LEADS)}
