"""Coverage of the pool and the screening platforms at scale (issue 15 §9–10): the territory aggregate
(kadence.keyaccounts.coverage.selectors.coverage_report) for the admin and for one team's manager, the
first page of the neglected list, inside sales' activation for a month, and the monthly platform
computation — over ACCOUNTS accounts (default 50,000) and ACTIVITIES activities (default 2,000,000).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_coverage .venv/bin/python bench/keyaccounts_coverage.py

On a migrated database without accounts it first seeds a synthetic company (SEED=1 forces it): 4 regions ×
5 teams, 10 reps and 2 inside-sales reps per team, a manager per team, accounts spread over the sellers
(5 % held by managers, 3 % by people who left), activities over the last two years, 1 in 40 accounts with an
open deal. Never run it on a shared database. Each figure is the median of REPEAT runs (ms)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from kadence.accounts.models import Account, Industry  # noqa: E402
from kadence.core.models import OrgUnit, User  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "5"))
ACCOUNTS = int(os.environ.get("ACCOUNTS", "50000"))
ACTIVITIES = int(os.environ.get("ACTIVITIES", "2000000"))
AS_OF = date.today()


def median_ms(run) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def seed() -> None:
    if not OrgUnit.objects.filter(code="bench-co").exists():
        seed_org()
    if not Account.objects.filter(name__startswith="Bench account").exists():
        seed_accounts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM activities_activity")
        if cursor.fetchone()[0] < ACTIVITIES // 2:
            seed_activities()
        cursor.execute("ANALYZE accounts_account; ANALYZE activities_activity;")


def seed_org() -> None:
    company = OrgUnit.objects.create(kind="company", code="bench-co", name_zh="公司", name_en="Company")
    company.path = f"/{company.pk}/"
    company.save()
    User.objects.create_user("bench-admin", password="x", role="admin", org_unit=company)
    for r in range(4):
        region = OrgUnit.objects.create(
            kind="region", code=f"bench-r{r}", name_zh=f"区{r}", name_en=f"R{r}", parent=company
        )
        region.path = f"{company.path}{region.pk}/"
        region.save()
        for t in range(5):
            team = OrgUnit.objects.create(
                kind="team", code=f"bench-r{r}t{t}", name_zh=f"队{r}{t}", name_en=f"T{r}{t}", parent=region
            )
            team.path = f"{region.path}{team.pk}/"
            team.save()
            manager = User.objects.create_user(f"bench-m{r}{t}", password="x", role="manager", org_unit=team)
            manager.managed_units.set([team])
            for s in range(12):
                User.objects.create_user(
                    f"bench-s{r}{t}{s}",
                    password="x",
                    role="inside" if s >= 10 else "rep",
                    org_unit=team,
                    is_active=not (s == 9),
                )


def seed_accounts() -> None:
    industry = Industry.objects.order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH people AS (SELECT u.id, u.org_unit_id, row_number() OVER (ORDER BY u.id) - 1 AS n
                            FROM core_user u WHERE u.username LIKE 'bench-s%%' OR u.username LIKE 'bench-m%%'),
                 total AS (SELECT count(*) AS c FROM people)
            INSERT INTO accounts_account (name, industry_id, region_id, credit_code, address, size, status,
                 buying_power, currency, owner_id, team_id, notes, version, created_at, updated_at)
            SELECT 'Bench account ' || g, %s, t.parent_id, '', '',
                   (ARRAY['small','medium','large','huge'])[1 + g %% 4], 'prospect', (g %% 200) * 10000, 'CNY',
                   p.id, p.org_unit_id, '', 1, now(), now()
            FROM generate_series(1, %s) g, total
            JOIN LATERAL (SELECT * FROM people WHERE people.n = (g::bigint * 7919) %% total.c) p ON true
            JOIN core_orgunit t ON t.id = p.org_unit_id
            """,
            [industry.pk, ACCOUNTS],
        )


def seed_activities() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO activities_activity (kind, subject, date, done, account_id, owner_id, team_id, result,
                 is_effective, outcome, next_step, version, created_at, updated_at)
            SELECT 'call_out', 'call', current_date - ((g * 37) %% 730)::int, (g %% 20) <> 0, a.id, a.owner_id, a.team_id,
                   '', false, '', '', 1, now(), now()
            FROM generate_series(1::bigint, %s::bigint) g
            JOIN accounts_account a ON a.id = (SELECT min(id) FROM accounts_account) + (g * 104729) %% %s
            """,
            [ACTIVITIES, ACCOUNTS],
        )


def main() -> None:
    from kadence.keyaccounts.coverage import selectors as coverage
    from kadence.keyaccounts.platforms import services as platforms

    if True:
        started = time.perf_counter()
        seed()
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM activities_activity")
        activities = cursor.fetchone()[0]
    print(f"accounts {Account.objects.count():,}; activities {activities:,}")
    admin = User.objects.get(username="bench-admin")
    manager = User.objects.filter(username__startswith="bench-m").order_by("pk").first()
    inside = User.objects.filter(username__startswith="bench-s", role="inside").order_by("pk").first()
    for label, user in (("admin", admin), ("manager", manager)):
        ms = median_ms(lambda u=user: coverage.coverage_report(u, as_of=AS_OF))
        print(f"coverage report, {label}: {ms:.0f} ms")
        ms = median_ms(lambda u=user: list(coverage.account_rows(u, kind="neglected", as_of=AS_OF)[:25]))
        print(f"neglected list, first page, {label}: {ms:.0f} ms")
    ms = median_ms(lambda: coverage.activation_report(admin, period="month", day=AS_OF))
    print(f"activation, month, admin: {ms:.0f} ms")
    ms = median_ms(lambda: coverage.activation_report(inside, period="month", day=AS_OF))
    print(f"activation, month, an inside rep: {ms:.0f} ms")
    started = time.perf_counter()
    run = platforms.platforms_compute(None, day=AS_OF)
    print(
        f"platforms computed for {run.accounts:,} accounts in {(time.perf_counter() - started) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
