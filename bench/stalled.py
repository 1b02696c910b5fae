"""The stalled deals report at scale: its main statement (counts per reason over the scope and the
first page, kadence.insights.selectors.stalled._stalled_ids) read from the deals' stall summary beside
the same statement probing the raw rows of every deal (the way before the summary), for the admin
and the manager of the team with the most open deals; then the whole report (both statements and the
page's rows) through the summary.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/stalled.py

Each figure is the median of REPEAT runs (ms). EXPLAIN=1 also prints EXPLAIN (ANALYZE, BUFFERS) of
each statement. On a database without the summary columns (migration pipeline 0015 not applied) only
the probe path runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from kadence.core.models import User  # noqa: E402
from kadence.core.visibility import resolve_scope  # noqa: E402
from kadence.insights.selectors import stalled  # noqa: E402
from kadence.pipeline.models import Opportunity  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "5"))
EXPLAIN = os.environ.get("EXPLAIN") == "1"


def has_summary() -> bool:
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "pipeline_opportunity")
    return any(c.name == "stall_last_activity_on" for c in columns)


def median_ms(run) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def explain(user: User, summary: bool) -> None:
    scope = resolve_scope(user)
    policy = stalled.stall_policy()
    inner, params = stalled._per_deal(scope, policy, timezone.localdate(), summary=summary)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {inner}", params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    busiest = (
        Opportunity.objects.filter(status="open")
        .values("team_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    manager = (
        User.objects.filter(role="manager", org_unit_id=busiest["team_id"]).order_by("pk").first()
        if busiest
        else None
    )
    summary = has_summary()
    today = timezone.localdate()
    policy = stalled.stall_policy()
    print(f"open deals: {Opportunity.objects.filter(status='open').count():,}; repeat {REPEAT}")
    print(
        f"{'who':<28} {'open in scope':>13} {'stalled':>8} {'probe ms':>9} {'summary ms':>10} {'report ms':>9}"
    )
    for user in (admin, manager):
        if user is None:
            continue
        scope = resolve_scope(user)
        n_open = stalled.open_in_scope(scope).count()

        def ids(with_summary: bool, scope=scope) -> tuple:
            return stalled._stalled_ids(
                scope, policy, today, reason=None, sort=stalled.DEFAULT_SORT, limit=25, summary=with_summary
            )

        counts, _page = ids(False)
        probe = median_ms(lambda: ids(False))
        if summary:
            assert ids(True) == ids(False), "the summary and the probes disagree"
            fast = f"{median_ms(lambda: ids(True)):10.0f}"
            report = f"{median_ms(lambda u=user: stalled.stalled_report(u)):9.0f}"
        else:
            fast, report = f"{'—':>10}", f"{'—':>9}"
        label = f"{user.role} {user.username}"[:28]
        print(f"{label:<28} {n_open:>13,} {counts['total']:>8,} {probe:9.0f} {fast} {report}")
        if EXPLAIN:
            print(f"--- {label}: probes")
            explain(user, False)
            if summary:
                print(f"--- {label}: summary")
                explain(user, True)


if __name__ == "__main__":
    main()
