"""Bench the probabilistic forecast (METHODOLOGY §9.7, issue 4 speed target: 10,000 trials over
100,000 open deals under 1 s): the pure domain, on synthetic deals shaped like a real pipeline
(amounts log-normal around ¥250k, win probabilities from the ladder I/C/Q/D/C90, about 70% of the
deals likely to close in the period).

    .venv/bin/python bench/monte_carlo.py [--deals 100000] [--trials 10000] [--runs 5] [--grouped | --exact]

revenue_forecast draws the deals one by one up to EXACT_DEALS and by class above (simulate_groups,
classes of equal or nearly equal q). --exact: each deal drawn whatever the count (simulate_totals, the
reference). --grouped: the deals grouped by q first and passed as groups (counts, sums, squares); the
grouping is timed apart.

Prints the wall and CPU time of each run and the medians, with the machine's load average (on a
shared machine the CPU time is the fairer figure). Runs are single-threaded numpy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kadence.domain import montecarlo as mc  # noqa: E402
from kadence.domain.montecarlo import revenue_forecast  # noqa: E402


def synthetic(deals: int, seed: int = 2024) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cents = np.rint(rng.lognormal(np.log(250_000), 1.0, deals) * 100).astype(np.int64)
    ladder = np.array([0.10, 0.25, 0.50, 0.75, 0.90])
    p_win = ladder[rng.choice(5, size=deals, p=[0.35, 0.25, 0.2, 0.12, 0.08])]
    p_in = rng.choice([1.0, 0.85, 0.6, 0.3, 0.0], size=deals, p=[0.4, 0.2, 0.15, 0.15, 0.1])
    return cents, p_win, p_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--relative-variance", type=float, default=0.0, help="the common factor's variance (time-aware model)"
    )
    parser.add_argument("--grouped", action="store_true", help="simulate the deals grouped by q")
    parser.add_argument("--exact", action="store_true", help="draw each deal (simulate_totals)")
    args = parser.parse_args()
    if args.exact:
        mc.EXACT_DEALS = args.deals
    cents, p_win, p_in = synthetic(args.deals)
    counts = squares = None
    if args.grouped:
        started = time.process_time()
        values, inverse = np.unique(p_win * p_in, return_inverse=True)
        inverse = inverse.ravel()
        counts = np.bincount(inverse, minlength=values.size)
        squares = np.bincount(inverse, weights=cents.astype(np.float64) ** 2, minlength=values.size)
        grouped_cents = np.bincount(inverse, weights=cents.astype(np.float64), minlength=values.size)
        print(f"grouped into {values.size} groups in {(time.process_time() - started) * 1000:.0f} ms of CPU")
        booked = int(cents.sum() // 20)
        target = int(booked + (cents * p_win * p_in).sum())
        cents, p_win, p_in = np.rint(grouped_cents).astype(np.int64), values, np.ones(values.size)
    if counts is None:
        booked = int(cents.sum() // 20)
        target = int(booked + (cents * p_win * p_in).sum())
    times, cpu = [], []
    result = None
    for run in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = revenue_forecast(
            cents,
            p_win,
            p_in,
            trials=args.trials,
            seed=run + 1,
            booked_cents=booked,
            target_cents=target,
            relative_variance=args.relative_variance,
            counts=counts,
            squares=squares,
        )
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        print(f"run {run + 1}: {times[-1] * 1000:.0f} ms (CPU {cpu[-1] * 1000:.0f} ms)")
    assert result is not None
    print(
        f"{args.trials:,} trials × {args.deals:,} deals ({result.deals:,} with a chance): "
        f"median {statistics.median(times) * 1000:.0f} ms over {args.runs} runs "
        f"(CPU median {statistics.median(cpu) * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f})"
    )
    print(
        f"P10 {result.p10:,}  P50 {result.p50:,}  P90 {result.p90:,}  mean {result.mean:,}  "
        f"expected {result.expected:,}  P(≥ target) {result.p_target}"
    )


if __name__ == "__main__":
    main()
