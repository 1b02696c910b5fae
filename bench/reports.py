"""Time the funnel-control and forecasting reports as the API serves them, against a large database,
next to the floor: the single hand-written SQL query that computes the same company-wide funnel
from the opportunities and the stage history.

    bench/seed_1m.sh   # once: 1,000,000 opportunities with their stage history in kadence_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/reports.py

Each request runs REPEAT times (default 15) after one warm-up, through Django's test client (no
network: URL routing, auth, the selector, serialisation); the median and the 90th percentile are
printed in milliseconds. Endpoints that do not exist yet in this checkout are reported as missing.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from kadence.core.models import ApiToken, OrgUnit, User  # noqa: E402
from kadence.pipeline.models import ProcessTemplate  # noqa: E402
from kadence.planning.models import ForecastPolicy  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "15"))

# The floor: one statement computing the company-wide funnel of the default template as the report
# does — open deals per stage (count, amount, weighted, average age) and flows out of each stage over
# the history window (advanced, lost), plus wins and losses for the win rate.
FLOOR_SQL = """
WITH open_deals AS (
  SELECT o.stage_id, count(*) AS n, sum(o.amount) AS amount, sum(o.amount * o.probability / 100) AS weighted,
         avg(%(today)s::date - (o.stage_entered_at AT TIME ZONE 'UTC')::date) AS age
  FROM pipeline_opportunity o
  WHERE o.status = 'open' AND o.template_id = %(template)s
  GROUP BY o.stage_id
), flows AS (
  SELECT sc.kind, sc.from_stage_id, sc.to_stage_id, count(*) AS n, sum(sc.amount) AS amount
  FROM pipeline_stagechange sc JOIN pipeline_opportunity o ON o.id = sc.opportunity_id
  WHERE o.template_id = %(template)s AND sc.kind IN ('advanced', 'lost', 'won')
    AND sc.changed_at >= %(start)s
  GROUP BY sc.kind, sc.from_stage_id, sc.to_stage_id
)
SELECT s.id, od.n, od.amount, od.weighted, od.age,
       (SELECT sum(f.n) FROM flows f JOIN pipeline_stage fs ON fs.id = f.from_stage_id
          JOIN pipeline_stage ts ON ts.id = f.to_stage_id
        WHERE f.kind IN ('advanced', 'won') AND fs."order" <= s."order" AND s."order" < ts."order") AS advanced,
       (SELECT sum(f.n) FROM flows f WHERE f.kind = 'lost' AND f.from_stage_id = s.id) AS lost,
       (SELECT sum(f.n) FROM flows f WHERE f.kind = 'won') AS won
FROM pipeline_stage s LEFT JOIN open_deals od ON od.stage_id = s.id
WHERE s.template_id = %(template)s
ORDER BY s."order"
"""


def timed(run: Callable[[], object]) -> tuple[float, float]:
    run()  # warm-up
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))]


def main() -> None:
    client = Client()
    today = timezone.localdate()
    template = ProcessTemplate.objects.get(is_default=True)
    start = (today - timezone.timedelta(days=ForecastPolicy.current().history_days)).replace(day=1)
    admin = User.objects.filter(role="admin").order_by("id").first()
    team = OrgUnit.objects.filter(kind="team").order_by("id").first()
    manager = User.objects.filter(role="manager", managed_units=team).order_by("id").first()
    rep = User.objects.filter(role="rep", org_unit=team).order_by("id").first()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; today {today}; window from {start}"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pipeline_opportunity")
        deals = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pipeline_stagechange")
        history = cursor.fetchone()[0]
    print(f"{deals:,} opportunities, {history:,} stage-history rows\n")

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, {"today": today, "template": template.pk, "start": start})
            cursor.fetchall()

    rows = [("floor: one hand-written SQL query (company funnel)", *timed(floor))]
    personas = [("admin", admin, "company"), ("manager", manager, "team"), ("rep", rep, "own")]
    paths = [
        ("funnel", "/api/reports/funnel"),
        ("forecast", "/api/forecast?period_kind=quarter"),
        ("monte-carlo", "/api/forecast/probabilistic?trials=10000&seed=1"),
    ]
    for label, user, scope in personas:
        if user is None:
            continue
        _row, token = ApiToken.issue(user, "bench")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for name, path in paths:
            probe = client.get(path, **headers)
            if (
                probe.status_code == 404
                and b"Not Found" in probe.content[:200]
                and b"code" not in probe.content[:40]
            ):
                rows.append((f"{name} ({label}, {scope}) {path}", float("nan"), float("nan")))
                continue
            if probe.status_code != 200:
                rows.append(
                    (
                        f"{name} ({label}, {scope}) {path}: HTTP {probe.status_code}",
                        float("nan"),
                        float("nan"),
                    )
                )
                continue
            rows.append(
                (f"{name} ({label}, {scope}) {path}", *timed(lambda p=path, h=headers: client.get(p, **h)))
            )
        ApiToken.objects.filter(user=user, name="bench").delete()
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}} {'median ms':>10} {'p90 ms':>8}")
    for name, median, p90 in rows:
        print(f"{name:<{width}} {median:>10.1f} {p90:>8.1f}")


if __name__ == "__main__":
    main()
