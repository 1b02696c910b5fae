"""Account groups at scale: duplicate detection over 50,000 accounts and a group tree of ~2,000 accounts,
on a scratch database (everything is written inside a transaction that is rolled back).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kadence_groups .venv/bin/python bench/groups.py

Prints the median of REPEAT runs (ms) of find_duplicates for a few names and of group_tree for the admin.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from kadence.accounts.duplicates import find_duplicates  # noqa: E402
from kadence.accounts.models import Account, Industry  # noqa: E402
from kadence.core.models import OrgUnit, User  # noqa: E402
from kadence.keyaccounts.groups.selectors import group_tree  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "5"))
N = int(os.environ.get("ACCOUNTS", "50000"))
PLACES = "北京 上海 广州 深圳 南京 杭州 成都 武汉 西安 天津 重庆 苏州 长沙 郑州 济南 青岛".split()
WORDS = (
    "华 能 电 力 通 信 科 技 机 械 化 工 医 药 银 行 汽 车 钢 铁 建 设 物 流 软 件 网 络 能 源 环 保".split()
)
FORMS = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司", ""]


def median_ms(fn) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


class Rollback(Exception):
    pass


def main() -> None:
    rng = random.Random(15)
    try:
        with transaction.atomic():
            unit = OrgUnit.objects.create(kind="region", code="bench-groups", name_zh="基准", name_en="bench")
            unit.path = f"/{unit.pk}/"
            unit.save()
            admin = User.objects.create(
                username="bench-groups-admin", role="admin", org_unit=unit, is_superuser=True
            )
            industry = Industry.objects.first()
            rows = []
            for i in range(N):
                name = (
                    rng.choice(PLACES)
                    + "".join(rng.choices(WORDS, k=rng.randint(2, 5)))
                    + f"{i}"
                    + rng.choice(FORMS)
                )
                a = Account(name=name, industry=industry, region=unit, owner=admin, team=unit)
                a.set_name_key()
                rows.append(a)
            Account.objects.bulk_create(rows, batch_size=5000)
            ids = list(Account.objects.filter(team=unit).order_by("pk").values_list("pk", flat=True))
            root, level1 = ids[0], ids[1:41]
            Account.objects.filter(pk__in=level1).update(parent_id=root)
            for n, parent in enumerate(level1):
                Account.objects.filter(pk__in=ids[41 + n * 50 : 41 + (n + 1) * 50]).update(parent_id=parent)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE accounts_account")
            print(f"{connection.vendor}, {Account.objects.count()} accounts")
            for probe in ("北京华能电力有限公司", "上海科技", rows[1234].name, "完全无关的名字"):
                found = find_duplicates(probe)
                print(
                    f"find_duplicates({probe!r}): {median_ms(lambda p=probe: find_duplicates(p)):.1f} ms, {len(found)} found"
                )
            tree = group_tree(admin, root)
            print(
                f"group_tree (admin, {len(tree.nodes)} accounts): {median_ms(lambda: group_tree(admin, root)):.1f} ms"
            )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
