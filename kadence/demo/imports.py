"""The demo company's import history: a manager brought a sheet of contacts in from Excel (as Chinese sales
teams keep them: Chinese headers, mobile numbers, roles in words), two of its rows were refused by the
check and skipped, the rest imported — so the imports page, its problems and its undo have something to
show. Generated from the demo's own accounts, through the import services."""

from __future__ import annotations

import io
import random
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from openpyxl import Workbook

from kadence.accounts.models import Account
from kadence.core.models import User
from kadence.transfer import services
from kadence.transfer.tasks import execute

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
TITLES = ("总工程师", "信息中心主任", "采购经理", "设备部部长", "副总经理", "项目经理")
ROLES = ("技术决策者", "使用者", "采购", "教练", "经济决策者")
ATTITUDES = ("支持", "中立", "反对")


def load_demo_imports(seed: int = 42, rows: int = 8) -> int:
    """Import a generated contact sheet as a manager of the demo; returns the number of contacts created
    (0 when the demo has no manager with accounts)."""
    manager = User.objects.filter(username="manager.north1").first()
    if manager is None or manager.org_unit_id is None:
        return 0
    # one new contact for each of a few accounts that have room (an account keeps 2–6 contacts)
    accounts = list(
        Account.objects.filter(team_id=manager.org_unit_id)
        .annotate(n=Count("contacts"))
        .filter(n__lt=6)
        .order_by("pk")[:rows]
    )
    if not accounts:
        return 0
    rng = random.Random(seed)
    book = Workbook()
    sheet: Any = book.active  # a new workbook's one worksheet
    sheet.append(["客户名称", "联系人", "职务", "手机", "采购角色", "态度", "影响力", "备注"])
    for account in accounts:
        sheet.append(
            [
                account.name,
                rng.choice(SURNAMES) + rng.choice(("工", "总", "经理", "主任")),
                rng.choice(TITLES),
                f"139{rng.randrange(10**8):08d}",
                "、".join(rng.sample(ROLES, 2)),
                rng.choice(ATTITUDES),
                rng.choice(("高", "中", "低")),
                "展会名片",
            ]
        )
    sheet.append(["不存在的客户有限公司", "赵工", "总工", "13900000000", "教练", "支持", "高", ""])
    sheet.append([accounts[0].name, "钱经理", "采购经理", "", "", "很热情", "中", ""])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("展会联系人.xlsx", data.getvalue())
    job = services.import_job_create(manager, kind="contacts", upload=upload)
    job = services.import_job_configure(manager, job.pk, version=job.version, skip_invalid=True)
    services.import_check(manager, job.pk, background=False)
    execute(job.pk, "check")
    services.import_commit(manager, job.pk, background=False)
    job = execute(job.pk, "commit")
    return int(job.counts.get("created", 0))
