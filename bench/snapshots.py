"""Pipeline snapshots at a million deals (issue 11 §3): the back-fill, the size of the snapshot table, and
the reports at a past date read from the nearest snapshot plus the changes since, each beside a
hand-written SQL floor (and the history-only read they replace, once).

Run it on a COPY of the benchmark database (it writes the snapshots):

    createdb -h 127.0.0.1 -U postgres -T kadence_bench kadence_bench_snapshots
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench_snapshots
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/snapshots.py            # BACKFILL=0 to skip the back-fill (already done)
    dropdb -h 127.0.0.1 -U postgres kadence_bench_snapshots

BACKFILL_FROM=YYYY-MM-DD back-fills only the due days from then on (the first one still from the whole
history). REPEAT (default 9) runs per figure after one warm-up; the median and the 90th percentile in ms.
HISTORY_ONLY=0 skips timing the history-only read (about a minute per call at 1M).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from kadence.core.models import OrgUnit, User  # noqa: E402
from kadence.core.visibility import Scope  # noqa: E402
from kadence.insights.selectors.funnel import funnel_report, window_start  # noqa: E402
from kadence.pipeline import snapshots  # noqa: E402
from kadence.pipeline.models import PipelineSnapshot, ProcessTemplate, SnapshotDeal  # noqa: E402
from kadence.planning.models import ForecastPolicy  # noqa: E402
from kadence.planning.selectors.forecast import forecast_report  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "9"))
FORECASTS = os.environ.get("FORECASTS", "1") != "0"  # FORECASTS=0: the funnels only
FORECAST_REPEAT = int(os.environ.get("FORECAST_REPEAT", "3"))

# The floor of the open part of a past funnel: the same two-part read written by hand (the snapshot's
# rows of the deals unchanged since, plus the rows in force of the deals changed since), grouped by
# stage, for the whole company or one team.
FLOOR_SQL = """
WITH recent AS (
  SELECT DISTINCT opportunity_id FROM pipeline_stagechange WHERE changed_at >= %(low)s AND changed_at < %(high)s
), kept AS (
  SELECT sd.stage_id, sd.amount, sd.probability, sd.entered_day FROM pipeline_snapshotdeal sd
  WHERE sd.snapshot_id = %(snap)s AND sd.stage_id = ANY(%(stages)s) {team_kept}
    AND sd.opportunity_id NOT IN (SELECT opportunity_id FROM recent)
), changed AS (
  SELECT DISTINCT ON (sc.opportunity_id) sc.opportunity_id, sc.to_stage_id, sc.amount, sc.probability,
         sc.status, sc.team_id, sc.changed_at
  FROM pipeline_stagechange sc JOIN recent r ON r.opportunity_id = sc.opportunity_id
  WHERE sc.changed_at < %(end)s ORDER BY sc.opportunity_id, sc.id DESC
)
SELECT stage_id, count(*), sum(amount), sum(amount * probability / 100), sum(entered_day) FROM (
  SELECT stage_id, amount, probability, entered_day FROM kept
  UNION ALL
  SELECT to_stage_id, amount, probability, (changed_at::date - DATE '1970-01-01') FROM changed
  WHERE status = 'open' AND to_stage_id = ANY(%(stages)s) {team_changed}
) t GROUP BY stage_id
"""

# The same open part for the whole company from the snapshot's totals (SnapshotTotal): its groups, less
# the snapshot rows of the changed deals, plus those deals' rows in force (what the report reads since
# the totals), and the flows of the history window from the daily flows (DailyFlow), by hand.
TOTALS_FLOOR_SQL = """
WITH recent AS (
  SELECT DISTINCT opportunity_id FROM pipeline_stagechange WHERE changed_at >= %(low)s AND changed_at < %(high)s
), changed AS (
  SELECT DISTINCT ON (sc.opportunity_id) sc.opportunity_id, sc.to_stage_id, sc.amount, sc.probability,
         sc.status, sc.changed_at
  FROM pipeline_stagechange sc JOIN recent r ON r.opportunity_id = sc.opportunity_id
  WHERE sc.changed_at < %(end)s ORDER BY sc.opportunity_id, sc.id DESC
)
SELECT stage_id, sum(n), sum(amount), sum(w), sum(days) FROM (
  SELECT stage_id, sum(count) AS n, sum(amount) AS amount, sum(weighted) AS w, sum(entered_days) AS days
  FROM pipeline_snapshottotal WHERE snapshot_id = %(snap)s AND stage_id = ANY(%(stages)s) GROUP BY stage_id
  UNION ALL
  SELECT sd.stage_id, -count(*), -sum(sd.amount), -sum(sd.amount * sd.probability / 100), -sum(sd.entered_day)
  FROM pipeline_snapshotdeal sd WHERE sd.snapshot_id = %(snap)s AND sd.stage_id = ANY(%(stages)s)
    AND sd.opportunity_id IN (SELECT opportunity_id FROM recent) GROUP BY sd.stage_id
  UNION ALL
  SELECT to_stage_id, count(*), sum(amount), sum(amount * probability / 100),
         sum(changed_at::date - DATE '1970-01-01') FROM changed
  WHERE status = 'open' AND to_stage_id = ANY(%(stages)s) GROUP BY to_stage_id
) t GROUP BY stage_id
"""
FLOWS_FLOOR_SQL = """
SELECT kind, from_stage_id, to_stage_id, sum(count), sum(amount), sum(cycle_days) FROM pipeline_dailyflow
WHERE to_stage_id = ANY(%(all_stages)s) AND kind IN ('advanced', 'lost', 'won') AND day >= %(start)s
  AND day <= %(day)s GROUP BY 1, 2, 3
"""

# The history-only floor (what the read cost without snapshots): each deal's row in force, by hand.
HISTORY_FLOOR_SQL = """
SELECT to_stage_id, count(*), sum(amount) FROM (
  SELECT DISTINCT ON (opportunity_id) opportunity_id, to_stage_id, amount, status
  FROM pipeline_stagechange WHERE changed_at < %(end)s ORDER BY opportunity_id, id DESC
) t WHERE status = 'open' GROUP BY to_stage_id
"""


def timed(run: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float]:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))]


def sql(query: str, params: dict) -> Callable[[], object]:
    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    return run


def main() -> None:
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pipeline_opportunity")
        deals = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pipeline_stagechange")
        history = cursor.fetchone()[0]
    print(f"database {connection.settings_dict['NAME']}; today {today}")
    print(f"{deals:,} opportunities, {history:,} stage-history rows\n")

    if os.environ.get("BACKFILL", "1") != "0":
        missing = snapshots.missing_days()
        if os.environ.get("BACKFILL_FROM"):  # a shorter back-fill: the days from this one on
            since = date.fromisoformat(os.environ["BACKFILL_FROM"])
            missing = [day for day in missing if day >= since]
        print(f"back-fill: {len(missing)} due days from {missing[0] if missing else '-'}")
        start = time.perf_counter()
        per: list[float] = []
        last = [time.perf_counter()]

        def progress(snap: PipelineSnapshot) -> None:
            now = time.perf_counter()
            per.append(now - last[0])
            last[0] = now
            print(f"  {snap.taken_on}: {snap.deals:,} open deals, {per[-1]:.1f} s", flush=True)

        snapshots.build(missing, progress)
        total = time.perf_counter() - start
        print(
            f"back-fill: {total:.0f} s for {len(per)} snapshots "
            f"(first, from the whole history: {per[0] if per else 0:.1f} s; "
            f"then median {statistics.median(per[1:]) if len(per) > 1 else 0:.1f} s each)\n"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) pipeline_snapshotdeal")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('pipeline_snapshotdeal'), pg_relation_size('pipeline_snapshotdeal'),"
            " (SELECT count(*) FROM pipeline_snapshotdeal)"
        )
        total_size, heap, rows = cursor.fetchone()
    snaps = PipelineSnapshot.objects.filter(complete=True).count()
    per_row = total_size / rows if rows else 0
    per_snap = rows / snaps if snaps else 0
    print(
        f"snapshot table: {snaps} snapshots, {rows:,} rows, {total_size / 2**20:,.0f} MiB with indexes "
        f"(heap {heap / 2**20:,.0f} MiB): {per_row:.0f} bytes a row, {per_snap:,.0f} rows a snapshot; "
        f"a year of weekly snapshots ≈ {52 * per_snap * per_row / 2**30:.2f} GiB\n"
    )

    template = ProcessTemplate.objects.get(is_default=True)
    stage_ids = list(template.stages.filter(is_won=False).values_list("pk", flat=True))
    all_stage_ids = list(template.stages.values_list("pk", flat=True))
    admin = User.objects.filter(role="admin").order_by("id").first()
    team = OrgUnit.objects.filter(kind="team").order_by("id").first()
    director = User.objects.filter(role="director").order_by("id").first()
    rep = User.objects.filter(role="rep", org_unit=team).order_by("id").first()
    rows_out: list[tuple[str, float, float]] = []

    class Rows(list):  # print each figure as soon as it is measured
        def append(self, row: tuple[str, float, float]) -> None:
            print(f"{row[0]:<70} {row[1]:>10.1f} {row[2]:>9.1f}", flush=True)
            super().append(row)

    rows_out = Rows()
    company, team_scope = Scope(), Scope(unit=team)
    for label, back in (("6 months back", 182), ("6 months back, mid-week", 185), ("30 days back", 30)):
        day = today - timedelta(days=back)
        snap = snapshots.closest(day)
        assert snap is not None, "no snapshot: run the back-fill"
        low, high = sorted((snapshots.end_of(snap.taken_on), snapshots.end_of(day)))
        params = {
            "low": low,
            "high": high,
            "end": snapshots.end_of(day),
            "snap": snap.pk,
            "stages": stage_ids,
            "team": team.pk,
        }

        def funnel(scope: Scope, d=day) -> object:
            return funnel_report(admin, scope, template=template, as_of=d, today=today)

        rows_out.append((f"funnel at {day} ({label}), company", *timed(lambda: funnel(company))))
        floor = FLOOR_SQL.format(team_kept="", team_changed="")
        rows_out.append(
            (f"  floor: open part by hand, company (snapshot {snap.taken_on})", *timed(sql(floor, params)))
        )
        params |= {
            "all_stages": all_stage_ids,
            "start": window_start(day, ForecastPolicy.current().history_days),
            "day": day,
        }
        rows_out.append(
            ("  floor: open part by hand from the totals, company", *timed(sql(TOTALS_FLOOR_SQL, params)))
        )
        rows_out.append(
            ("  floor: flows by hand from the daily flows, company", *timed(sql(FLOWS_FLOOR_SQL, params)))
        )
        rows_out.append((f"funnel at {day} ({label}), team {team.name}", *timed(lambda: funnel(team_scope))))
        team_floor = FLOOR_SQL.format(
            team_kept="AND sd.team_id = %(team)s", team_changed="AND team_id = %(team)s"
        )
        rows_out.append(("  floor: open part by hand, team", *timed(sql(team_floor, params))))
        for who, user in (("rep", rep), ("director", director), ("admin", admin)):
            if user is None or "mid-week" in label or not FORECASTS:
                continue
            rows_out.append(
                (
                    f"forecast at {day} ({label}), {who}",
                    *timed(
                        lambda u=user, d=day: forecast_report(u, period_kind="quarter", as_of=d),
                        repeat=FORECAST_REPEAT,
                    ),
                )
            )
        if os.environ.get("HISTORY_ONLY", "1") != "0" and back == 182:
            rows_out.append(
                (
                    "  history only, by hand (no snapshot), company",
                    *timed(sql(HISTORY_FLOOR_SQL, {"end": snapshots.end_of(day)}), repeat=1),
                )
            )
            real = snapshots.closest
            snapshots.closest = lambda d: None  # type: ignore[assignment]
            try:
                rows_out.append(
                    (
                        "  funnel from the history only (before snapshots), company",
                        *timed(lambda: funnel(company), repeat=1),
                    )
                )
                rows_out.append(
                    (
                        "  funnel from the history only (before snapshots), team",
                        *timed(lambda: funnel(team_scope), repeat=1),
                    )
                )
            finally:
                snapshots.closest = real  # type: ignore[assignment]
    width = max(len(r[0]) for r in rows_out)
    print(f"{'what':<{width}} {'median ms':>10} {'p90 ms':>9}")
    for name, median, p90 in rows_out:
        print(f"{name:<{width}} {median:>10.1f} {p90:>9.1f}")
    print(f"\nsnapshot rows: {SnapshotDeal.objects.count():,}")


if __name__ == "__main__":
    main()
