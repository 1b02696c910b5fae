"""The lists' exports at scale (issue 12 §9): every opportunity an admin sees (a million on the 1M database)
as CSV and as xlsx, through the export's own code (kadence.transfer.exports + kadence.core.export), with
time and peak memory, beside the floor: PostgreSQL's `COPY (the same SELECT) TO STDOUT WITH CSV` read by
psycopg (the database's own work and the transfer, no Python per row).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/export.py \
        [--list opportunities] [--formats csv,xlsx] [--limit N]

Each run is a fresh process (peak memory is the process's maximum resident size, so one run per process):
the script re-runs itself per format. `--limit` exports the first N rows (a quicker look).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(name: str, fmt: str, limit: int | None) -> None:
    """Export as the first admin; print rows, bytes, seconds and peak MB on one line."""
    _setup()
    from itertools import islice

    from django.http import QueryDict
    from django.utils import translation

    from kadence.core.export import csv_lines, xlsx_chunks
    from kadence.core.models import User
    from kadence.transfer.exports import EXPORTS

    translation.activate("zh-hans")
    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk").first()
    export = EXPORTS[name]
    filters, sort = export.from_page(admin, QueryDict())
    counted = 0

    def rows():
        nonlocal counted
        for row in islice(export.rows(admin, filters, sort), limit):
            counted += 1
            yield row

    started = time.perf_counter()
    size = 0
    chunks = (
        csv_lines(export.columns(), rows())
        if fmt == "csv"
        else xlsx_chunks(export.title(), export.columns(), rows())
    )
    for chunk in chunks:
        size += len(chunk)
    elapsed = time.perf_counter() - started
    print(f"{name}\t{fmt}\t{counted}\t{size}\t{elapsed:.1f}\t{_peak_mb():.0f}")


FLOOR_SQL = """
COPY (
  SELECT o.name, a.name, COALESCE(NULLIF(u.display_name, ''), u.username), t.name_zh, pt.name_zh, s.name_zh,
         o.level_id, o.probability, o.amount, o.currency, o.expected_close_date, o.status, o.closed_on,
         o.forecast_category, o.next_step, o.created_at, o.updated_at, o.id, o.account_id
  FROM pipeline_opportunity o
  JOIN accounts_account a ON a.id = o.account_id
  JOIN core_user u ON u.id = o.owner_id
  JOIN core_orgunit t ON t.id = o.team_id
  JOIN pipeline_processtemplate pt ON pt.id = o.template_id
  JOIN pipeline_stage s ON s.id = o.stage_id
  ORDER BY o.updated_at DESC, o.id DESC {limit}
) TO STDOUT WITH CSV HEADER
"""


def run_floor(limit: int | None) -> None:
    _setup()
    from django.db import connection

    started = time.perf_counter()
    size = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(FLOOR_SQL.format(limit=f"LIMIT {int(limit)}" if limit else "")) as copy:
            for data in copy:
                size += len(data)
    elapsed = time.perf_counter() - started
    print(f"floor\tCOPY csv\t-\t{size}\t{elapsed:.1f}\t{_peak_mb():.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--list", default="opportunities")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one format in this process
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.list, args.one, args.limit)
        return
    if args.floor:
        run_floor(args.limit)
        return
    print("list\tformat\trows\tbytes\tseconds\tpeak MB")
    extra = ["--limit", str(args.limit)] if args.limit else []
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        subprocess.run([sys.executable, __file__, "--floor", *extra], check=True)
    for fmt in args.formats.split(","):
        subprocess.run([sys.executable, __file__, "--list", args.list, "--one", fmt, *extra], check=True)


if __name__ == "__main__":
    main()
