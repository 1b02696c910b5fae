"""Calibration of win probabilities against closed history (METHODOLOGY §9.6). Pure: counts in,
rates and scores out; no clock, no ORM.

A *bucket* is one level of the ladder, one stage of a process, or one C139 band. Its *outcomes* are
the closed deals (won or lost) that were in the bucket at some point before closing; its *won*
count how many of them were won. The *observed* win rate is won ÷ outcomes; the *configured*
probability is what the methodology says for the bucket (the level's probability, the stage's
default level's probability, the band's lower bound). Probabilities are percentages (0–100) in and
out; the Brier score works on fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

HUNDRED = Decimal(100)
PERCENT = Decimal("0.01")
BRIER_PLACES = Decimal("0.0001")


class Source(StrEnum):
    """Where a probability a report uses comes from."""

    CONFIGURED = "configured"
    CALIBRATED = "calibrated"


@dataclass(frozen=True)
class BucketOutcomes:
    """Closed deals of one bucket: `outcomes` closed (won + lost), `won` of them won, and the
    `configured` probability in percent (None when the bucket has none, e.g. an unknown band)."""

    key: str
    outcomes: int
    won: int
    configured: Decimal | None

    def __post_init__(self) -> None:
        if self.outcomes < 0 or self.won < 0 or self.won > self.outcomes:
            raise ValueError(f"bucket {self.key}: need 0 ≤ won ≤ outcomes, got {self.won}/{self.outcomes}")


@dataclass(frozen=True)
class BucketRate:
    """A bucket's row in the calibration table: counts, configured and observed probability (%),
    the Brier score of the configured probability over the bucket's outcomes, and whether the
    bucket has enough outcomes for its observed rate to be used."""

    key: str
    outcomes: int
    won: int
    configured: Decimal | None
    observed: Decimal | None
    brier: Decimal | None
    enough: bool


def observed_rate(outcomes: int, won: int) -> Decimal | None:
    """won ÷ outcomes in percent, rounded half-up to 0.01; None with no outcomes (no denominator)."""
    if outcomes == 0:
        return None
    return (Decimal(won) * HUNDRED / Decimal(outcomes)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def brier_score(forecasts: Iterable[tuple[Decimal, bool]]) -> Decimal | None:
    """Brier = mean over forecasts of (p − outcome)², p a fraction in [0, 1], outcome 1 if won else 0.
    0 is perfect; always saying 50% scores 0.25. Rounded half-up to 4 places; None when empty.
    Example: p = 0.25 for four deals, one won → (0.75² + 3 × 0.25²) ÷ 4 = 0.1875."""
    total = Decimal(0)
    count = 0
    for p, won in forecasts:
        if not Decimal(0) <= p <= 1:
            raise ValueError(f"probability must be a fraction in [0, 1], got {p}")
        total += (p - (1 if won else 0)) ** 2
        count += 1
    if count == 0:
        return None
    return (total / count).quantize(BRIER_PLACES, rounding=ROUND_HALF_UP)


def _bucket_sum(configured: Decimal, outcomes: int, won: int) -> Decimal:
    """Σ (p − outcome)² over a bucket where every deal had the same p: won × (1 − p)² + lost × p²."""
    p = configured / HUNDRED
    return won * (1 - p) ** 2 + (outcomes - won) * p**2


def bucket_brier(configured: Decimal | None, outcomes: int, won: int) -> Decimal | None:
    """The Brier score of one bucket: every closed deal of the bucket forecast at the configured
    probability (percent) and scored against its outcome. Equal to brier_score over those deals.
    None with no outcomes or no configured probability."""
    if configured is None or outcomes == 0:
        return None
    return (_bucket_sum(configured, outcomes, won) / outcomes).quantize(BRIER_PLACES, rounding=ROUND_HALF_UP)


def pooled_brier(buckets: Iterable[BucketOutcomes]) -> Decimal | None:
    """The Brier score of a whole dimension (all levels, all stages or all bands): the mean over every
    (deal, bucket) pair with a configured probability. A deal that passed through three levels counts
    three times, once at each level's probability, so early rungs weigh in as much as late ones.
    None when no bucket has outcomes and a configured probability."""
    total = Decimal(0)
    count = 0
    for bucket in buckets:
        if bucket.configured is None or bucket.outcomes == 0:
            continue
        total += _bucket_sum(bucket.configured, bucket.outcomes, bucket.won)
        count += bucket.outcomes
    if count == 0:
        return None
    return (total / count).quantize(BRIER_PLACES, rounding=ROUND_HALF_UP)


def calibration_table(buckets: Sequence[BucketOutcomes], min_outcomes: int) -> tuple[BucketRate, ...]:
    """One row per bucket, in the given order: observed rate, Brier of the configured probability,
    and `enough` (outcomes ≥ min_outcomes)."""
    return tuple(
        BucketRate(
            key=b.key,
            outcomes=b.outcomes,
            won=b.won,
            configured=b.configured,
            observed=observed_rate(b.outcomes, b.won),
            brier=bucket_brier(b.configured, b.outcomes, b.won),
            enough=b.outcomes >= min_outcomes,
        )
        for b in buckets
    )


def effective_probability(
    configured: Decimal, outcomes: int, won: int, *, min_outcomes: int, use_calibrated: bool
) -> tuple[Decimal, Source]:
    """The probability (percent) a report should use for one level: the observed rate when the process
    uses calibration and the bucket has at least `min_outcomes` outcomes (and at least one), else the
    configured one."""
    observed = observed_rate(outcomes, won)
    if use_calibrated and observed is not None and outcomes >= max(min_outcomes, 1):
        return observed, Source.CALIBRATED
    return configured, Source.CONFIGURED
