"""The key-account value reads at scale (issue 15, done-when: the RAD matrix and ABC for 50,000 accounts at
1M deals answer in under 300 ms on PostgreSQL), with the hand-written SQL floor beside each, and the
set-based compute that fills the stored tables.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_bench .venv/bin/python bench/keyaccounts.py
    COMPUTE=1 ...   # also time the recompute of a year (RAD + three ABC bases, 50,000 accounts each)

Personas: the admin (the whole company) and the manager and the director with the most accounts in their
units. Each read is the median of REPEAT runs (ms) with its query count; the API rows go through Django's
test client with a bearer token (no network). The compute runs inside a transaction rolled back at the end.
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
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kadence.accounts.models import Account  # noqa: E402
from kadence.core.models import ApiToken, User  # noqa: E402
from kadence.core.visibility import kam_value_scope, scope_unit_ids  # noqa: E402
from kadence.keyaccounts.value import selectors, services  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "7"))
YEAR = int(os.environ.get("YEAR", "2026"))
COMPUTE = os.environ.get("COMPUTE") == "1"


class Rollback(Exception):
    pass


def timed(label: str, fn, repeat: int = REPEAT):
    runs, queries, result = [], 0, None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = fn()
            runs.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    print(f"{label:<64} {statistics.median(runs):8.1f} ms  {queries:3d} q")
    return result


def sql_floor(label: str, sql: str, params: list) -> None:
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    timed(f"  floor: {label}", run)


def lead_with_most_accounts(role: str) -> User:
    """The manager (or director) whose units hold the most accounts."""
    best, best_n = None, -1
    for user in User.objects.filter(role=role, is_active=True).order_by("id")[:400]:
        units = scope_unit_ids(user)
        if not units:
            continue
        n = Account.objects.filter(team_id__in=sorted(units)).count()
        if n > best_n:
            best, best_n = user, n
    assert best is not None
    return best


def main() -> None:
    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk").first()
    manager = lead_with_most_accounts(User.Role.MANAGER)
    director = lead_with_most_accounts(User.Role.DIRECTOR)
    stored = dict(
        selectors.RadCell.objects.filter(year=YEAR)
        .values("year")
        .annotate(n=Count("id"))
        .values_list("year", "n")
    )
    print(
        f"accounts {Account.objects.count()}, RAD cells {stored.get(YEAR, 0)} for {YEAR}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    if COMPUTE:
        try:
            with transaction.atomic():
                timed(
                    f"compute {YEAR}: RAD cells + ABC ×3 (set-based)",
                    lambda: services.value_compute(None, year=YEAR),
                    1,
                )
                timed(
                    f"compute {YEAR}: RAD cells only",
                    lambda: services.value_compute(None, year=YEAR, abc=False),
                    1,
                )
                raise Rollback
        except Rollback:
            pass
    client = Client()
    for user in (admin, director, manager):
        persona(client, user)
    print(f"\nload after {os.getloadavg()[0]:.2f}")


def persona(client: Client, user: User) -> None:
    units = scope_unit_ids(user)
    scope = kam_value_scope(user)
    n = (
        Account.objects.filter(team_id__in=sorted(units)).count()
        if units is not None
        else Account.objects.count()
    )
    print(f"\n== {user.role} {user.username}: {n} accounts in scope")
    team_filter = "" if units is None else "AND team_id = ANY(%s)"
    team_params = [] if units is None else [sorted(units)]
    timed("selector: RAD matrix (9 cells)", lambda: selectors.matrix(scope, YEAR))
    sql_floor(
        "GROUP BY cell on keyaccounts_radcell",
        f"SELECT cell, count(*), sum(bp), sum(revenue), sum(remaining) FROM keyaccounts_radcell "
        f"WHERE year = %s {team_filter} GROUP BY cell",
        [YEAR, *team_params],
    )
    timed("selector: drill into R1 (page 1 of 25)", lambda: selectors.cell_accounts(scope, YEAR, "R1").items)
    timed("selector: movements since last year", lambda: selectors.transitions(scope, YEAR))
    sql_floor(
        "self-join on (year, account)",
        f"SELECT p.cell, c.cell, count(*) FROM keyaccounts_radcell c LEFT JOIN keyaccounts_radcell p "
        f"ON p.account_id = c.account_id AND p.year = %s WHERE c.year = %s "
        f"{team_filter.replace('team_id', 'c.team_id')} GROUP BY 1, 2",
        [YEAR - 1, YEAR, *team_params],
    )
    timed("selector: focus rule per AE", lambda: selectors.focus(scope, YEAR))
    timed("selector: ABC by revenue (classes + Pareto)", lambda: selectors.abc(scope, YEAR, "revenue"))
    sql_floor(
        "stored classes GROUP BY klass",
        f"SELECT klass, count(*), sum(value) FROM keyaccounts_abcclass WHERE year = %s AND basis = 'revenue' "
        f"{team_filter} GROUP BY klass",
        [YEAR, *team_params],
    )
    timed(
        "selector: ABC accounts (page 1 of 25)",
        lambda: selectors.abc_accounts(scope, YEAR, "revenue").items,
    )
    _row, token = ApiToken.issue(user, "bench-keyaccounts")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    try:
        for path in (
            f"/api/keyaccounts/value/rad?year={YEAR}",
            f"/api/keyaccounts/value/rad/accounts?year={YEAR}&cell=R1",
            f"/api/keyaccounts/value/rad/transitions?year={YEAR}",
            f"/api/keyaccounts/value/rad/focus?year={YEAR}",
            f"/api/keyaccounts/value/abc?year={YEAR}&basis=revenue",
            f"/api/keyaccounts/value/abc?year={YEAR}&basis=profit",
            f"/api/keyaccounts/value/abc/accounts?year={YEAR}&basis=revenue&klass=A",
        ):

            def get(path=path, headers=headers):
                response = client.get(path, **headers)
                assert response.status_code == 200, (path, response.status_code, response.content[:300])
                return response

            timed(
                f"API {path.split('?')[0].removeprefix('/api/keyaccounts/value')} ?{path.split('?')[1][:30]}",
                get,
            )
    finally:
        ApiToken.objects.filter(user=user, name="bench-keyaccounts").delete()


if __name__ == "__main__":
    main()
