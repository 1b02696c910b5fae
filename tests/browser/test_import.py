"""End to end in Chromium (issue 12, "Done when"): an admin uploads an xlsx with Chinese headers and a few bad
rows, fixes the mapping, sees the dry run's errors, downloads them, imports the valid rows with the progress
shown while the background worker runs, then undoes the import."""

from __future__ import annotations

import io
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from kadence.pipeline.models import Opportunity
from kadence.transfer.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _workbook(org) -> bytes:
    close = (date.today() + timedelta(days=60)).isoformat()
    book = Workbook()
    sheet = book.active
    sheet.append(["商机编号", "商机名称", "客户名称", "负责人", "阶段", "金额", "预计成交日期"])
    sheet.append(["W-1", "智能电表", org.account.name, "rita", "送出初步方案", "120万", close])
    sheet.append(["W-2", "配网改造", org.account.name, "张三", "客户拜访与初步调研", 350000, close])
    sheet.append(["W-3", "调度系统", org.account.name, "tom", "商务谈判", "很多", close])
    sheet.append(["W-4", "储能项目", org.account.name, "rita", "没有这个阶段", "80万", close])
    sheet.append(["W-5", "充电桩", org.account.name, "tom", "项目评估", "2,000,000", close])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def run_worker() -> None:
    """What `kadence worker` does with the queue, once (the test's stand-in for the worker process)."""
    call_command("worker", batch=True, stdout=StringIO())


def test_an_admin_imports_a_chinese_sheet_fixes_it_and_undoes_it(page, live_server, org, monkeypatch):
    import django_tasks_db.management.commands.db_worker as db_worker

    import kadence.core.management.commands.worker as worker

    # the worker runs in this thread, on the connection the live server shares with the test
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)

    login(page, live_server, "ada", "pw-ada")
    page.click("[data-testid=nav-imports]")
    form = page.locator("[data-testid=import-upload]")
    form.locator("select[name=kind]").select_option("opportunities")
    form.locator("input[name=file]").set_input_files(
        files=[
            {
                "name": "商机清单.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _workbook(org),
            }
        ]
    )
    form.locator("button[type=submit]").click()
    page.locator("[data-testid=import-mapping]").wait_for()
    job = ImportJob.objects.get()
    assert job.columns["amount"] == "金额" and job.total_rows == 5

    # the preview shows the rows as they will be stored, and what is wrong
    preview = page.locator("[data-testid=import-preview]")
    preview.wait_for()
    assert "1,200,000.00" in preview.inner_text() and "张三" in preview.inner_text()

    # fix the mapping: 张三 is tom's Chinese name in this file
    page.fill("textarea[name=map_owner]", "张三 = tom")
    page.click("[data-testid=import-save-mapping]")
    page.locator(".msg-success").wait_for()

    # the dry run, in the background
    page.click("[data-testid=import-check]")
    page.locator("[data-testid=import-status][data-status=checking]").wait_for()
    run_worker()
    page.locator("[data-testid=import-problems]").wait_for()  # the page reloads itself when done
    problems = page.locator("[data-testid=import-problems]").inner_text()
    assert "很多" in problems and "没有这个阶段" in problems and "张三" not in problems

    # the bad rows, to fix in Excel
    with page.expect_download() as download:
        page.click("[data-testid=import-bad-rows]")
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as handle:
        bad = load_workbook(handle).active
    assert [row[0] for row in bad.iter_rows(min_row=2, values_only=True)] == ["W-3", "W-4"]

    # import the valid rows, with the progress shown while the worker runs
    page.check("input[name=skip_invalid]")
    page.click("[data-testid=import-save-mapping]")
    page.click("[data-testid=import-check]")
    run_worker()
    page.locator("[data-testid=import-commit]").wait_for()
    page.click("[data-testid=import-commit]")
    status = page.locator("[data-testid=import-status][data-status=importing]")
    status.wait_for()
    assert status.locator("progress").count() == 1  # queued at 0 %, then as the rows go
    run_worker()
    page.locator("[data-testid=import-undo]").wait_for()
    assert "3" in page.locator("[data-testid=import-counts]").inner_text()
    assert set(
        Opportunity.objects.filter(external_id__startswith="W-").values_list("external_id", flat=True)
    ) == {
        "W-1",
        "W-2",
        "W-5",
    }
    assert Opportunity.objects.get(external_id="W-2").owner == org.tom

    # undo
    page.click("[data-testid=import-undo]")
    page.locator("[data-testid=import-status][data-status=undoing]").wait_for()
    run_worker()
    page.locator("[data-testid=import-status][data-status=undone]").wait_for()
    assert not Opportunity.objects.filter(external_id__startswith="W-").exists()
