"""Bench the time-aware forecast (issue 11 §5) against a database (read-only), e.g. the 1M-deal
`kadence_bench`:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/timeaware.py

    ... bench/timeaware.py --history   # also the stays from the history (the past dates' path)

Times, company-wide (the first superuser's scope), in a fresh process: (1) the whole probabilistic
forecast (three models) with every cache empty (cold: the inputs and four simulations) and again
(warm); (2) its inputs alone (`forecast_inputs`: slip, open deals, stays, calibration) cold and
warm; (3) today's stays, from the summary (kadence.pipeline.stays) and, with `--history`, from the
grouped window pass over the history; (4) the estimator (kadence.domain.survival: the state model + q
for 100,000 deals), (5) the Monte-Carlo of 10,000 trials over 100,000 deals with the time-aware q, each deal drawn
(simulate_totals, once: the reference) and by class (revenue_forecast over the deals grouped by q,
simulate_groups: what the forecast runs over EXACT_DEALS deals).
Prints the figures; nothing is written to the database (the cache is the local-memory one of this
process).
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
from kadence.core.visibility import resolve_scope  # noqa: E402
from kadence.domain import montecarlo as mc  # noqa: E402
from kadence.domain import survival as sv  # noqa: E402
from kadence.insights.selectors import timeaware  # noqa: E402
from kadence.insights.selectors.probabilistic import _period, forecast_inputs, probabilistic_forecast  # noqa: E402
from kadence.planning.models import ForecastPolicy  # noqa: E402
from kadence.planning.selectors.calibration import history_start  # noqa: E402


def timed(label: str, func):  # type: ignore[no-untyped-def]
    started, cpu = time.perf_counter(), time.process_time()
    value = func()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label}: {wall * 1000:,.0f} ms (CPU {used * 1000:,.0f} ms, all threads)")
    return value


def main() -> None:
    today = timezone.localdate()
    policy = ForecastPolicy.current()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    cache.clear()
    report = timed(
        "probabilistic forecast company-wide, three models (cold: caches empty, fresh process)",
        lambda: probabilistic_forecast(admin, as_of=today, trials=10_000),
    )
    timed(
        "probabilistic forecast company-wide (warm)",
        lambda: probabilistic_forecast(admin, as_of=today, trials=10_000),
    )
    print(
        f"  {report.open_deals:,} open deals with a chance in the period; "
        + "; ".join(
            f"{m.model}: P10 {m.forecast.p10:,} P50 {m.forecast.p50:,} P90 {m.forecast.p90:,}"
            for m in report.models
        )
    )
    # the API call itself (issue 11 §5: under 1 s warm), five times after the two above
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(admin)
    walls = []
    for _run in range(5):
        started = time.perf_counter()
        assert client.get("/api/forecast/probabilistic").status_code == 200
        walls.append(time.perf_counter() - started)
    print(
        "GET /api/forecast/probabilistic company-wide (warm), five calls: "
        + ", ".join(f"{w * 1000:,.0f}" for w in walls)
        + f" ms (median {sorted(walls)[2] * 1000:,.0f} ms; load {os.getloadavg()[0]:.1f})"
    )
    scope, period = resolve_scope(admin), _period(None, None, today)
    cache.clear()
    timed("forecast inputs (cold: caches empty)", lambda: forecast_inputs(scope, period, today, policy))
    timed("forecast inputs (warm)", lambda: forecast_inputs(scope, period, today, policy))
    cache.clear()
    known = timed("stays from the summary (cold)", lambda: timeaware.stays(today, policy))
    timed("stays (warm, cache)", lambda: timeaware.stays(today, policy))
    if "--history" in sys.argv:
        since = history_start(today, policy)
        from_history = timed(
            "stays from the history, grouped window pass (the past dates' path)",
            lambda: timeaware._stay_rows(today, since),
        )
        print(f"  same groups as the summary's: {from_history == known}")
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
    one_by_one = timed(
        "Monte-Carlo 10,000 trials × 100,000 deals, time-aware q, each deal drawn (simulate_totals, the reference)",
        lambda: mc.simulate_totals(cents, q, trials=10_000, seed=1),
    )
    values, inverse = np.unique(q, return_inverse=True)
    inverse = inverse.ravel()
    counts = np.bincount(inverse, minlength=values.size)
    sums = np.bincount(inverse, weights=cents.astype(np.float64), minlength=values.size).astype(np.int64)
    squares = np.bincount(inverse, weights=cents.astype(np.float64) ** 2, minlength=values.size)
    for run in range(3):
        result = timed(
            f"Monte-Carlo 10,000 trials × 100,000 deals, time-aware q, grouped ({values.size:,} distinct q;"
            f" run {run + 1})",
            lambda run=run: mc.revenue_forecast(
                sums,
                values,
                np.ones(values.size),
                counts=counts,
                squares=squares,
                trials=10_000,
                seed=run + 1,
            ),
        )
    reference = [mc.percentile_cents(one_by_one, p) / 100 for p in mc.PERCENTILES]
    print(
        f"  each deal drawn: P10 / P50 / P90 {reference[0]:,.2f} / {reference[1]:,.2f} / {reference[2]:,.2f}"
    )
    print(
        f"  grouped: P10 / P50 / P90 {result.p10:,} / {result.p50:,} / {result.p90:,}; expected {result.expected:,}"
    )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
