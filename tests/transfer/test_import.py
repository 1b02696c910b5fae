"""Imports (issue 12 §1–§8): a file is uploaded, its columns matched from Chinese and English headers, checked
row by row (every problem with its row, column and value), imported all-or-nothing or skipping bad rows,
and undone. Deals imported without a history get a consistent one (kadence.domain.imports)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from kadence.accounts.models import Account, Contact
from kadence.core.errors import Conflict, PermissionDenied, ValidationFailed
from kadence.pipeline import summary
from kadence.pipeline.models import Opportunity, StageChange
from kadence.pipeline.services import opportunity_update
from kadence.transfer import services
from kadence.transfer.models import ImportedRecord, ImportJob, ImportProblem
from kadence.transfer.tasks import execute

pytestmark = pytest.mark.django_db

TODAY = date.today()


def _csv(rows: list[list[str]], encoding: str = "gb18030", name: str = "商机.csv") -> SimpleUploadedFile:
    quote = lambda cell: f'"{cell}"' if "," in cell else cell  # noqa: E731
    text = "\r\n".join(",".join(quote(cell) for cell in row) for row in rows) + "\r\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _xlsx(rows: list[list], name: str = "客户.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile(name, data.getvalue())


def _go(user, job: ImportJob, action: str) -> ImportJob:
    start = {"check": services.import_check, "commit": services.import_commit, "undo": services.import_undo}
    start[action](user, job.pk)
    return execute(job.pk, action)


def _configure(user, job: ImportJob, **changes) -> ImportJob:
    job.refresh_from_db()
    return services.import_job_configure(user, job.pk, version=job.version, **changes)


def _deals_file(org) -> SimpleUploadedFile:
    d = lambda days: (TODAY + timedelta(days=days)).strftime("%Y/%m/%d")  # noqa: E731
    return _csv(
        [
            [
                "商机编号",
                "商机名称",
                "客户名称",
                "负责人",
                "阶段",
                "金额",
                "预计成交日期",
                "成交日期",
                "创建日期",
            ],
            ["X-1", "智能电表一期", org.account.name, "rita", "送出初步方案", "¥120万", d(60), "", d(-90)],
            ["X-2", "配网自动化", org.account.name, "tom", "赢单", "350,000", "", d(-10), d(-200)],
            ["X-3", "调度系统", org.account.name, "rita", "丢单", "80000", "", d(-5), d(-40)],
            ["X-4", "坏行", org.account.name, "nobody", "商务谈判", "很多", d(30), "", ""],
        ]
    )


def test_a_gb18030_csv_with_chinese_headers_is_matched_checked_and_imported_with_a_history(org):
    job = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    assert job.detected_encoding == "gb18030" and job.total_rows == 4
    assert job.columns == {
        "external_id": "商机编号",
        "name": "商机名称",
        "account": "客户名称",
        "owner": "负责人",
        "stage": "阶段",
        "amount": "金额",
        "expected_close_date": "预计成交日期",
        "closed_on": "成交日期",
        "created": "创建日期",
    }
    job = _go(org.mona, job, "check")
    assert job.status == "checked" and job.bad_rows == 1
    assert job.checked_counts == {"create": 3}
    problems = {(p.row, p.column, p.value) for p in ImportProblem.objects.filter(job=job)}
    assert problems == {(5, "负责人", "nobody"), (5, "金额", "很多")}
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()

    # all or nothing by default: a file with a bad row is not imported
    with pytest.raises(ValidationFailed):
        services.import_commit(org.mona, job.pk)
    _configure(org.mona, job, skip_invalid=True)
    job = _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    assert job.counts["created"] == 3 and job.counts["bad"] == 1

    deals = {o.external_id: o for o in Opportunity.objects.filter(external_id__startswith="X-")}
    assert set(deals) == {"X-1", "X-2", "X-3"}
    open_deal, won, lost = deals["X-1"], deals["X-2"], deals["X-3"]
    assert open_deal.amount == Decimal("1200000.00") and open_deal.stage.code == "proposal_sent"
    assert open_deal.owner == org.rita and open_deal.team_id == org.n1.pk
    assert won.status == "won" and won.closed_on == TODAY - timedelta(days=10) and won.stage.is_won
    assert lost.status == "lost" and lost.closed_on == TODAY - timedelta(days=5)
    # the history: created at stage 1, through the stages, into its stage; the won deal through every stage
    kinds = list(
        StageChange.objects.filter(opportunity=open_deal).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["created", "advanced", "advanced"]
    # the open deal has the tasks of its stage, as a deal created there has; the lost one none
    from kadence.deals.models import OpportunityTask
    from kadence.pipeline.models import StageTask

    codes = set(
        StageTask.objects.filter(stage=open_deal.stage, is_active=True).values_list("code", flat=True)
    )
    assert (
        codes
        and set(OpportunityTask.objects.filter(opportunity=open_deal).values_list("code", flat=True)) == codes
    )
    assert not OpportunityTask.objects.filter(opportunity=lost).exists()
    first = StageChange.objects.filter(opportunity=won).order_by("id").first()
    assert first.changed_at.date() == TODAY - timedelta(days=200)
    assert StageChange.objects.filter(opportunity=won).last().kind == "won"
    # the summaries agree with the rows (nothing drifted)
    assert summary.drift() == []

    # undo: everything it created is gone, and the summaries follow
    job = _go(org.mona, job, "undo")
    assert job.status == "undone", job.error
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()
    assert summary.drift() == []


def test_a_second_import_updates_by_external_id_and_its_undo_restores(org):
    job = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    _go(org.mona, job, "commit")
    again = _csv(
        [
            ["外部编号", "金额", "预计成交日期", "负责人", "客户"],
            ["X-1", "150万", (TODAY + timedelta(days=45)).isoformat(), "rita", org.account.name],
        ],
        encoding="utf-8-sig",
    )
    second = services.import_job_create(org.mona, kind="opportunities", upload=again)
    assert second.detected_encoding == "utf-8-sig"
    second = _go(org.mona, second, "check")
    assert second.checked_counts == {"update": 1}, list(ImportProblem.objects.filter(job=second).values())
    second = _go(org.mona, second, "commit")
    deal = Opportunity.objects.get(external_id="X-1")
    assert deal.amount == Decimal("1500000.00") and deal.expected_close_date == TODAY + timedelta(days=45)
    assert ImportedRecord.objects.get(job=second).before["amount"] == "1200000.00"
    second = _go(org.mona, second, "undo")
    deal.refresh_from_db()
    assert second.status == "undone" and deal.amount == Decimal("1200000.00")
    assert deal.expected_close_date == TODAY + timedelta(days=60)


def test_an_undo_refuses_when_an_imported_record_changed_since(org):
    job = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    _go(org.mona, job, "commit")
    deal = Opportunity.objects.get(external_id="X-1")
    opportunity_update(org.rita, deal.pk, version=deal.version, amount="1")
    job = _go(org.mona, job, "undo")
    assert job.status == "done" and f"#{deal.pk}" in job.error  # the changed deal is named
    assert Opportunity.objects.filter(external_id__startswith="X-").count() == 3


def test_an_xlsx_of_accounts_with_wan_amounts_and_chinese_values(org):
    upload = _xlsx(
        [
            ["客户名称", "统一社会信用代码", "行业", "区域", "采购潜力", "负责人", "客户状态"],
            ["江苏华电", "91320000MA1XXXXX1A", "电力", "华北", "1.2亿", "tom", "活跃客户"],
            [org.account.name, "", "电力", "华北", "600万", "", ""],
            ["无名", "", "没有这个行业", "华北", "", "", ""],
        ]
    )
    job = services.import_job_create(org.mona, kind="accounts", upload=upload)
    assert job.file_type == "xlsx" and job.total_rows == 3
    job = _go(org.mona, job, "check")
    assert job.bad_rows == 1 and job.checked_counts == {"create": 1, "update": 1}
    problem = ImportProblem.objects.get(job=job)
    assert (problem.row, problem.column, problem.value) == (4, "行业", "没有这个行业")
    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    made = Account.objects.get(name="江苏华电")
    assert made.buying_power == Decimal("120000000.00") and made.owner == org.tom
    assert made.credit_code == "91320000MA1XXXXX1A" and made.status == "active"
    org.account.refresh_from_db()
    assert org.account.buying_power == Decimal("6000000.00")


def test_contacts_match_by_mobile_and_read_roles(org):
    upload = _csv(
        [
            ["客户名称", "联系人", "职务", "手机", "采购角色", "态度", "影响力"],
            [org.account.name, "王工", "总工", "13800000001", "技术决策者、教练", "支持", "高"],
        ],
        encoding="utf-8",
    )
    job = services.import_job_create(org.mona, kind="contacts", upload=upload)
    job = _go(org.mona, job, "check")
    assert job.bad_rows == 0, list(ImportProblem.objects.filter(job=job).values_list("message", flat=True))
    _go(org.mona, job, "commit")
    contact = Contact.objects.get(phone="13800000001")
    assert contact.attitude == "support" and contact.influence == "high"
    assert set(contact.buying_roles) == {"technical", "coach"}


def test_who_may_import_and_into_which_units(org):
    with pytest.raises(PermissionDenied):
        services.import_job_create(org.rita, kind="opportunities", upload=_deals_file(org))
    # sam manages south-1: rita's and tom's deals are not his to import
    job = services.import_job_create(org.sam, kind="opportunities", upload=_deals_file(org))
    job = _go(org.sam, job, "check")
    assert job.bad_rows == 4
    # mona cannot run sam's import
    with pytest.raises(Exception):  # noqa: B017 - NotFound: she does not see it
        services.import_check(org.mona, job.pk)


def test_a_cancelled_import_writes_nothing(org):
    from kadence.transfer import progress

    job = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    services.import_commit(org.mona, job.pk)
    progress.request_cancel(job.pk)
    job = execute(job.pk, "commit")
    assert job.status == "cancelled"
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()


def test_a_stale_configuration_is_refused(org):
    job = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    services.import_job_configure(org.mona, job.pk, version=job.version, skip_invalid=True)
    with pytest.raises(Conflict):
        services.import_job_configure(org.mona, job.pk, version=job.version, skip_invalid=False)


def test_the_command_line_checks_then_imports_and_undoes(org, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "deals.csv"
    path.write_bytes(_deals_file(org).read())
    out = io.StringIO()
    call_command("import", str(path), kind="opportunities", user="mona", dry_run=True, stdout=out)
    assert "1 bad row(s)" in out.getvalue() and "row 5" in out.getvalue()
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()
    with pytest.raises(CommandError, match="--skip-invalid"):
        call_command("import", str(path), kind="opportunities", user="mona", stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "import",
        str(path),
        kind="opportunities",
        user="mona",
        skip_invalid=True,
        save_mapping="CRM 导出",
        stdout=out,
    )
    assert Opportunity.objects.filter(external_id__startswith="X-").count() == 3
    job = ImportJob.objects.get(status="done")
    call_command("import", undo=job.pk, user="mona", stdout=io.StringIO())
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()
    # the saved mapping is reused by name
    call_command(
        "import",
        str(path),
        kind="opportunities",
        user="mona",
        mapping="CRM 导出",
        dry_run=True,
        stdout=io.StringIO(),
    )
    assert ImportJob.objects.order_by("-pk").first().mapping_name == "CRM 导出"


def test_unknown_accounts_are_created_when_chosen_and_removed_by_the_undo(org, monkeypatch):
    from kadence.transfer import importer

    monkeypatch.setattr(importer, "CHUNK", 2)  # duplicates are found across chunks too
    close = (TODAY + timedelta(days=30)).isoformat()
    upload = _csv(
        [
            ["外部编号", "客户", "负责人", "金额", "预计成交日期"],
            ["N-1", "新客户甲", "rita", "1000", close],
            ["N-2", "新客户甲", "tom", "2000", close],
            ["N-3", org.account.name, "rita", "3000", close],
            ["N-1", org.account.name, "rita", "4000", close],
        ],
        encoding="utf-8",
    )
    job = services.import_job_create(org.mona, kind="opportunities", upload=upload)
    job = _go(org.mona, job, "check")
    assert job.bad_rows == 2  # two rows name an unknown account
    _configure(org.mona, job, create_accounts=True, skip_invalid=True)
    job = _go(org.mona, job, "check")
    assert job.bad_rows == 1 and job.checked_counts == {"create": 3}
    problems = {(p.row, p.column) for p in ImportProblem.objects.filter(job=job)}
    assert problems == {(5, "外部编号")}  # N-1 again, in another chunk
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    made = Account.objects.get(name="新客户甲")
    assert made.owner == org.rita and made.region_id == org.north.pk
    assert Opportunity.objects.filter(account=made).count() == 2
    assert ImportedRecord.objects.filter(job=job).count() == 4
    job = _go(org.mona, job, "undo")
    assert job.status == "undone", job.error
    assert not Account.objects.filter(name="新客户甲").exists()
    assert summary.drift() == []


def test_a_job_whose_worker_died_is_marked_failed_and_wrote_nothing(org, monkeypatch):
    from kadence.transfer import progress

    job = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    services.import_check(org.mona, job.pk, background=False)
    job.refresh_from_db()
    assert services.import_job_refresh(job).status == "checking"  # started, no report yet: still running
    progress.report(job.pk, "checking", 2, 4)
    assert services.import_job_refresh(job).status == "checking"  # a fresh heartbeat
    monkeypatch.setattr(progress, "STALE", -1)  # the last heartbeat is now too old: the worker is gone
    job = services.import_job_refresh(job)
    assert job.status == "failed" and job.error
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()
    # it can be run again
    services.import_check(org.mona, job.pk, background=False)
    assert execute(job.pk, "check").status == "checked"


def _summaries() -> dict:
    """Every maintained summary's rows (zero rows left out), as comparable values."""
    from kadence.pipeline.models import (
        DailyFlow,
        MonthEndBuilt,
        MonthEndPipeline,
        PipelineSnapshot,
        PipelineTotal,
        SnapshotDeal,
        SnapshotTotal,
        StageFlow,
        WonTotal,
    )

    def norm(v):
        return Decimal(str(v)).normalize() if isinstance(v, float | Decimal) else v

    def rows(model, *skip):
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", *skip)]
        found = [tuple(norm(v) for v in r) for r in model.objects.values_list(*names)]
        if "count" in names:
            found = [r for r in found if r[names.index("count")]]
        return sorted(found, key=str)

    snaps = dict(PipelineSnapshot.objects.values_list("pk", "taken_on"))

    def per_snap(model):
        return sorted((snaps[r[0]], *r[1:]) for r in rows(model) if r[0] in snaps)

    return {
        "PipelineTotal": rows(PipelineTotal),
        "WonTotal": rows(WonTotal),
        "StageFlow": rows(StageFlow),
        "MonthEndPipeline": rows(MonthEndPipeline),
        "MonthEndBuilt": rows(MonthEndBuilt, "built_at"),
        "snapshots": sorted(PipelineSnapshot.objects.values_list("taken_on", "deals", "complete")),
        "SnapshotDeal": per_snap(SnapshotDeal),
        "SnapshotTotal": per_snap(SnapshotTotal),
        "DailyFlow": rows(DailyFlow),
    }


@pytest.mark.parametrize("engine", ["python", "auto"])
def test_an_import_adds_its_deals_to_the_summaries_as_a_rebuild_would(org, settings, engine):
    """The summaries, month-ends, snapshots and daily flows after an import (its new deals added alone,
    set-based) and after its undo (its deals taken out alone) are what rebuilding them all gives, and
    the snapshot check finds nothing."""
    from django.core.management import call_command

    from kadence.pipeline import month_ends, snapshots, stays
    from kadence.transfer.importer import refresh_summaries

    settings.KADENCE_IMPORT_ENGINE = engine
    first = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    _configure(org.mona, first, skip_invalid=True)
    assert _go(org.mona, _go(org.mona, first, "check"), "commit").status == "done"
    # the snapshots, flows and month-ends of the history so far are built
    snapshots.build(snapshots.missing_days(backfill=True))
    month_ends.rebuild()
    assert snapshots.PipelineSnapshot.objects.exists() and snapshots.flows_through() is not None

    d = lambda days: (TODAY + timedelta(days=days)).strftime("%Y/%m/%d")  # noqa: E731
    header = [
        "商机编号",
        "商机名称",
        "客户名称",
        "负责人",
        "阶段",
        "金额",
        "预计成交日期",
        "成交日期",
        "创建日期",
    ]
    rows = [
        ["Y-1", "老项目", org.account.name, "rita", "送出初步方案", "¥12万", d(20), "", d(-400)],
        ["Y-2", "老赢单", org.account.name, "tom", "赢单", "90,000", "", d(-150), d(-500)],
        ["Y-3", "新丢单", org.account.name, "rita", "丢单", "7000", "", d(-2), d(-60)],
        ["Y-4", "同组", org.account.name, "rita", "送出初步方案", "¥3万", d(61), "", d(-91)],
        ["Y-5", "今天", org.account.name, "tom", "商务谈判", "5000", d(5), "", ""],
    ]
    second = services.import_job_create(org.mona, kind="opportunities", upload=_csv([header, *rows]))
    second = _go(org.mona, _go(org.mona, second, "check"), "commit")
    assert second.status == "done" and second.counts["created"] == 5, second.error

    added = _summaries()
    assert summary.drift() == []  # the stay summary included
    assert stays.drift() == [] and stays.began_drift() == 0
    assert snapshots.drift() == {}
    out = io.StringIO()
    call_command("pipeline_snapshot", "--check", stdout=out)
    assert "match the history" in out.getvalue()
    # the same as rebuilding everything from the first imported day on
    refresh_summaries(TODAY - timedelta(days=500))
    rebuilt = _summaries()
    for name in rebuilt:
        assert added[name] == rebuilt[name], name
    assert any(r for r in rebuilt["SnapshotDeal"]), "the snapshots hold deals"

    # the undo takes the deals out again, set-based (imported_deals_removed): the same as rebuilding
    # everything once they are gone; the earliest deal (Y-2, 500 days back) takes the snapshots and
    # month-ends before the first import's history with it
    assert _go(org.mona, second, "undo").status == "undone"
    assert not Opportunity.objects.filter(external_id__startswith="Y-").exists()
    subtracted = _summaries()
    assert summary.drift() == []
    assert stays.drift() == [] and stays.began_drift() == 0
    assert snapshots.drift() == {}
    refresh_summaries(TODAY - timedelta(days=500))
    rebuilt = _summaries()
    for name in rebuilt:
        assert subtracted[name] == rebuilt[name], name
    assert rebuilt["MonthEndBuilt"] != added["MonthEndBuilt"], "the undo dropped the earlier month-ends"


def test_an_undo_reads_its_records_a_batch_at_a_time(org, monkeypatch):
    """The undo holds one batch of records (kadence.transfer.undo._record_batches), never the import's
    million: with batches of 2, three updates are restored, a refusal counts every changed deal, and three
    created deals are removed."""
    from kadence.transfer import undo

    monkeypatch.setattr(undo, "BATCH", 2)
    headers = ["外部编号", "商机名称", "客户名称", "负责人", "阶段", "金额", "预计成交日期"]
    close = (TODAY + timedelta(days=45)).isoformat()

    def sheet(amount: str, prefix: str = "B") -> SimpleUploadedFile:
        rows = [
            [f"{prefix}-{i}", f"批次{i}", org.account.name, "rita", "送出初步方案", amount, close]
            for i in (1, 2, 3)
        ]
        return _csv([headers, *rows], encoding="utf-8-sig")

    job = services.import_job_create(org.mona, kind="opportunities", upload=sheet("100万"))
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.counts["created"] == 3
    second = services.import_job_create(org.mona, kind="opportunities", upload=sheet("150万"))
    second = _go(org.mona, second, "check")
    assert second.checked_counts == {"update": 3}
    second = _go(org.mona, second, "commit")
    refused = _go(org.mona, job, "undo")  # the second import changed all three since
    assert refused.status == "done" and refused.error.count("#") == 3
    second = _go(org.mona, second, "undo")
    assert second.status == "undone", second.error
    amounts = Opportunity.objects.filter(external_id__startswith="B-").values_list("amount", flat=True)
    assert list(amounts) == [Decimal("1000000.00")] * 3
    third = services.import_job_create(org.mona, kind="opportunities", upload=sheet("80万", "C"))
    _go(org.mona, third, "check")
    third = _go(org.mona, third, "commit")
    third = _go(org.mona, third, "undo")
    assert third.status == "undone" and third.counts["undo"] == {"removed": 3, "restored": 0}, third.error
    assert not Opportunity.objects.filter(external_id__startswith="C-").exists()
    assert summary.drift() == []
