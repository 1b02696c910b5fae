"""The weekly 1x1 pack at scale (issue 13: under 200 ms for a rep with about 500 open deals at 1M deals
on PostgreSQL): the whole pack — every registered section, the note and the actions — for the rep
whose open-deal count is nearest TARGET_OPEN (default 500), read by the rep's manager (the reader a
pack is for), for the current week; then each section on its own, and the inbox of that manager.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/pack.py

Each figure is the median of REPEAT runs (ms) after one warm-up run, with the number of queries. It
only reads (the pack writes nothing); `ForecastPolicy.current()` creates its row once if missing.
Exit status 1 when the whole pack's median is over LIMIT_MS (default 200).
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
from django.db.models import Count, F, Func, IntegerField  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from kadence.core.models import User  # noqa: E402
from kadence.core.visibility import pack_reps  # noqa: E402
from kadence.pipeline.models import Opportunity  # noqa: E402
from kadence.rhythm.inbox.selectors import inbox  # noqa: E402
from kadence.rhythm.pack.sections import sections  # noqa: E402
from kadence.rhythm.pack.selectors import pack, parse_week  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "5"))
TARGET_OPEN = int(os.environ.get("TARGET_OPEN", "500"))
LIMIT_MS = float(os.environ.get("LIMIT_MS", "200"))


def timed(run) -> tuple[float, int]:
    """Median ms of REPEAT runs after a warm-up, and the queries of one run."""
    run()
    with CaptureQueriesContext(connection) as queries:
        run()
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries.captured_queries)


def pick_rep() -> User | None:
    """The seller whose open-deal count is nearest TARGET_OPEN (one grouped query)."""
    row = (
        Opportunity.objects.filter(status="open", owner__role__in=("rep", "inside"))
        .values("owner_id")
        .annotate(n=Count("id"))
        .annotate(
            gap=Func(F("n") - TARGET_OPEN, function="ABS", output_field=IntegerField()),
        )
        .order_by("gap", "owner_id")
        .first()
    )
    if row is None:
        return None
    rep = User.objects.select_related("org_unit").get(pk=row["owner_id"])
    rep.bench_open = row["n"]  # type: ignore[attr-defined]
    return rep


def reader_of(rep: User) -> User:
    """The rep's manager (a manager who may read their pack), else an admin."""
    managers = User.objects.filter(role="manager", is_active=True, managed_units=rep.org_unit_id).order_by(
        "pk"
    )
    for manager in managers:
        if pack_reps(manager).filter(pk=rep.pk).exists():
            return manager
    admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    return admin or rep


def main() -> int:
    rep = pick_rep()
    if rep is None:
        print("no seller with open deals")
        return 0
    viewer = reader_of(rep)
    week = parse_week(timezone.localdate())
    print(
        f"rep {rep.username} (id {rep.pk}, {rep.bench_open} open deals), "  # type: ignore[attr-defined]
        f"read by {viewer.username} ({viewer.role}), week of {week}; "
        f"{Opportunity.objects.count()} deals in the database ({connection.vendor})"
    )
    whole, queries = timed(lambda: pack(viewer, rep.pk, week))
    print(f"{'whole pack':<28} {whole:8.1f} ms  {queries:3d} queries")
    for section in sections():
        ms, n = timed(lambda s=section: s.context(rep, week, viewer))
        print(f"  {section.key:<26} {ms:8.1f} ms  {n:3d} queries")
    if viewer.role != "rep":
        ms, n = timed(lambda: inbox(viewer))
        print(f"{'inbox of ' + viewer.username:<28} {ms:8.1f} ms  {n:3d} queries")
    verdict = "OK" if whole < LIMIT_MS else "OVER"
    print(f"goal < {LIMIT_MS:.0f} ms: {verdict}")
    return 0 if whole < LIMIT_MS else 1


if __name__ == "__main__":
    sys.exit(main())
