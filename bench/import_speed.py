"""Importing opportunities at scale (issue 12, "Speed"): a generated CSV of N deals (open and closed, with
accounts and owners to resolve by name and login, stages, amounts in 万, dates), checked (dry run) and
imported through the import's own code (kadence.transfer), each phase timed with the process's peak
memory, beside the floor: PostgreSQL's `COPY` of the same file into an unlogged staging table of text
columns (no parsing, no validation, no indexes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_importbench .venv/bin/python bench/import_speed.py \
        --rows 1000000 [--setup]

`--setup` (once) migrates the database and loads the demo company (its org and accounts are what the
rows name). Without DATABASE_URL it runs on the SQLite file of the settings. Each phase is a fresh process
(peak memory is the process's maximum resident size); the import is undone at the end so the run can be
repeated.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare() -> None:
    _setup()
    from django.core.management import call_command

    from kadence.demo.loader import load_demo_company

    call_command("migrate", verbosity=0)
    load_demo_company(seed=11, accounts=3000, opportunities=2000)
    print("database ready")


def generate(path: Path, rows: int) -> None:
    """A CSV as a team's CRM export looks: Chinese headers, 万 amounts, slashed dates, 3 in 10 closed."""
    _setup()
    from kadence.accounts.models import Account
    from kadence.core.models import User
    from kadence.pipeline.models import ProcessTemplate

    accounts = list(Account.objects.values_list("name", flat=True)[:3000])
    owners = list(
        User.objects.filter(role__in=("rep", "inside"), org_unit__isnull=False).values_list(
            "username", flat=True
        )
    )
    template = ProcessTemplate.objects.get(is_default=True)
    stages = [s.name_zh for s in template.stages.filter(is_won=False).order_by("order")]
    rng = random.Random(5)
    today = date.today()
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "商机编号",
                "商机名称",
                "客户名称",
                "负责人",
                "阶段",
                "状态",
                "金额",
                "预计成交日期",
                "成交日期",
                "创建日期",
            ]
        )
        for i in range(rows):
            created = today - timedelta(days=rng.randrange(20, 700))
            roll = rng.random()
            status = "赢单" if roll < 0.15 else "丢单" if roll < 0.3 else "进行中"
            closed = created + timedelta(days=rng.randrange(10, 200)) if status != "进行中" else None
            closed = min(closed, today) if closed else None
            expected = today + timedelta(days=rng.randrange(1, 270))
            out.writerow(
                [
                    f"B-{i:07d}",
                    f"项目{i}",
                    rng.choice(accounts),
                    rng.choice(owners),
                    rng.choice(stages),
                    status,
                    f"{rng.randrange(5, 500)}万",
                    expected.strftime("%Y/%m/%d"),
                    closed.strftime("%Y/%m/%d") if closed else "",
                    created.isoformat(),
                ]
            )


def copy_floor(path: Path) -> float:
    _setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_staging")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_import_staging (" + ", ".join(f"c{i} text" for i in range(10)) + ")"
        )
        started = time.perf_counter()
        with (
            path.open("rb") as handle,
            cursor.copy("COPY bench_import_staging FROM STDIN WITH (FORMAT csv, HEADER)") as copy,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_staging")
    return seconds


def phase(path: Path, action: str, job_id: int | None) -> None:
    """One phase in this process; prints "<action> <seconds> <peak MB> <job id> <counts>"."""
    _setup()
    from django.core.files import File

    from kadence.core.models import User
    from kadence.transfer import services
    from kadence.transfer.tasks import execute

    admin = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    started = time.perf_counter()
    if action == "check":
        with path.open("rb") as handle:
            job = services.import_job_create(admin, kind="opportunities", upload=File(handle, name=path.name))
        created = time.perf_counter() - started
        services.import_job_configure(admin, job.pk, version=job.version, skip_invalid=True)
        services.import_check(admin, job.pk, background=False)
        job = execute(job.pk, "check")
        print(f"upload {created:.1f}")
    else:
        {"commit": services.import_commit, "undo": services.import_undo}[action](
            admin, job_id, background=False
        )
        job = execute(job_id, action)
    seconds = time.perf_counter() - started
    print(
        f"{action} {seconds:.1f} {_peak_mb():.0f} {job.pk} {job.status} {job.checked_counts if action == 'check' else job.counts} {job.error[:200]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--file", default="")
    parser.add_argument("--phase", default="")
    parser.add_argument("--job", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="do not undo the import at the end")
    args = parser.parse_args()
    path = Path(args.file or f"/tmp/kadence-import-{args.rows}.csv")
    if args.phase:
        phase(path, args.phase, args.job or None)
        return
    if args.setup:
        prepare()
        return
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s"
        )
    postgres = "postgres" in os.environ.get("DATABASE_URL", "")
    floor = copy_floor(path) if postgres else None
    if floor is not None:
        print(f"COPY floor: {floor:.1f} s")

    def run(action: str, job: int | None = None) -> tuple[float, str]:
        out = subprocess.run(
            [sys.executable, __file__, "--phase", action, "--file", str(path), "--job", str(job or 0)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(out.strip())
        line = [entry for entry in out.splitlines() if entry.startswith(action)][0].split()
        return float(line[1]), line[3]

    check, job = run("check")
    commit, _job = run("commit", int(job))
    if floor:
        print(f"check = {check / floor:.1f}× COPY; import = {commit / floor:.1f}× COPY")
    if not args.keep:
        run("undo", int(job))


if __name__ == "__main__":
    main()
