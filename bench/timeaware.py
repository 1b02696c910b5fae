"""Bench the time-aware forecast (issue 11 §5) against a database (read-only), e.g. the 1M-deal
`kadence_bench`:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/timeaware.py

Times, company-wide (the first superuser's scope): (1) the aggregated stays query (cold: the grouped
SQL; warm: from the cache), (2) the estimator (kadence.domain.survival: the state model + q for every
open deal), (3) the Monte-Carlo of 10,000 trials over 100,000 open deals with the time-aware q, and
(4) the whole probabilistic forecast (three models) cold and warm. Prints the figures; nothing is
written to the database (the cache is the local-memory one of this process).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.utils import timezone  # noqa: E402

from kadence.core.models import User  # noqa: E402
from kadence.domain import montecarlo as mc  # noqa: E402
from kadence.domain import survival as sv  # noqa: E402
from kadence.insights.selectors import timeaware  # noqa: E402
from kadence.insights.selectors.probabilistic import probabilistic_forecast  # noqa: E402
from kadence.planning.models import ForecastPolicy  # noqa: E402


def timed(label: str, func):  # type: ignore[no-untyped-def]
    started, cpu = time.perf_counter(), time.process_time()
    value = func()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label}: {wall * 1000:,.0f} ms (CPU {used * 1000:,.0f} ms, all threads)")
    return value


def main() -> None:
    today = timezone.localdate()
    policy = ForecastPolicy.current()
    cache.clear()
    known = timed("stays, grouped SQL (cold)", lambda: timeaware.stays(today, policy))
    timed("stays (warm, cache)", lambda: timeaware.stays(today, policy))
    print(f"  {known.entries:,} stays in {len(known.count):,} groups over {len(known.states)} states")
    rng = np.random.default_rng(1)
    deals = 100_000
    pairs = np.asarray(known.states or ((0, 0),), dtype=np.int64)
    chosen = pairs[rng.integers(0, len(pairs), deals)]
    ages = rng.integers(0, 400, deals)
    prior = rng.choice([0.1, 0.25, 0.5, 0.75, 0.9], deals) * rng.random(deals)
    model = timed("state model", known.model)
    q = timed(
        "q for 100,000 deals, a quarter",
        lambda: sv.won_within_states(
            model,
            known.states_of(chosen[:, 0], chosen[:, 1]),
            known.groups_of(chosen[:, 1]),
            ages,
            prior,
            first=1,
            last=91,
        ),
    )
    cents = np.rint(rng.lognormal(np.log(250_000), 1.0, deals) * 100).astype(np.int64)
    for run in range(3):
        timed(
            f"Monte-Carlo 10,000 trials × 100,000 deals, time-aware q (run {run + 1})",
            lambda run=run: mc.revenue_forecast(cents, q, np.ones(deals), trials=10_000, seed=run + 1),
        )
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    report = timed(
        "probabilistic forecast company-wide, three models (cold)",
        lambda: probabilistic_forecast(admin, as_of=today, trials=10_000),
    )
    timed(
        "probabilistic forecast company-wide (warm)",
        lambda: probabilistic_forecast(admin, as_of=today, trials=10_000),
    )
    print(
        f"  {report.open_deals:,} open deals; "
        + "; ".join(
            f"{m.model}: P10 {m.forecast.p10:,} P50 {m.forecast.p50:,} P90 {m.forecast.p90:,}"
            for m in report.models
        )
    )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
