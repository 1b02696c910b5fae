"""The target grid at scale (issue 14 §1): the company grid for every rep × 12 months, made, read whole,
saved (one year figure per seller, spread over its months), spread down from the top and approved into
planning.Target — each as the admin, with its query count, inside one transaction rolled back at the end
(the database is left as it was).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/grid.py
    SPLIT=product_line ... bench/grid.py   # with a row per product line under every seller (or SPLIT=account)

Each read figure is the median of REPEAT runs (ms); the writes run once each (they change the grid).
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

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kadence.core.models import OrgUnit, User  # noqa: E402
from kadence.performance.grid import services  # noqa: E402
from kadence.performance.grid.models import GridRow  # noqa: E402
from kadence.performance.grid.selectors import grid_level, grid_state  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "5"))
SPLIT = os.environ.get("SPLIT", "")  # "product_line": a row per product line under every seller
YEAR = int(os.environ.get("YEAR", "2031"))


class Rollback(Exception):
    pass


def timed(label: str, fn, repeat: int = 1):
    runs, queries, result = [], 0, None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = fn()
            runs.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    print(f"{label:<58} {statistics.median(runs):9.1f} ms  {queries:4d} queries")
    return result


def main() -> None:
    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk").first()
    company = OrgUnit.objects.get(kind=OrgUnit.Kind.COMPANY)
    sellers = User.objects.filter(role__in=("rep", "inside"), is_active=True).count()
    print(f"sellers {sellers}, units {OrgUnit.objects.count()}, load {os.getloadavg()[0]:.2f}")
    try:
        with transaction.atomic():
            grid = timed(
                "make the company grid",
                lambda: services.grid_create(
                    admin, root_id=company.pk, year=YEAR, measure="revenue", split=SPLIT
                ),
            )
            print(f"rows {GridRow.objects.filter(grid=grid).count()}")
            timed("read the whole grid (grid_state)", lambda: grid_state(admin, grid), REPEAT)
            timed("read the company level (grid_level)", lambda: grid_level(admin, grid), REPEAT)
            seller_rows = list(
                GridRow.objects.filter(
                    grid=grid, user__isnull=False, product_line=None, account=None
                ).values_list("pk", "version")
            )
            edits = [services.CellEdit(pk, "Y", "1200000", version) for pk, version in seller_rows]
            timed(
                f"save {len(edits)} seller years (×12 months)",
                lambda: services.cells_write(admin, grid.pk, edits),
            )
            root = GridRow.objects.get(grid=grid, unit=company)
            services.cells_write(
                admin, grid.pk, [services.CellEdit(root.pk, "Y", str(1200000 * len(edits) + 7), root.version)]
            )
            root.refresh_from_db()
            timed(
                "spread the company row down to every row",
                lambda: services.row_spread(admin, grid.pk, root.pk, version=root.version),
            )
            grid.refresh_from_db()
            timed(
                "approve → planning.Target (17 per row)",
                lambda: services.grid_approve(admin, grid.pk, version=grid.version),
            )
            raise Rollback
    except Rollback:
        pass
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
