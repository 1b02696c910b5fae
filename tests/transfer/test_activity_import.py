"""Importing activities (issue 12 §1, kadence.transfer.activity_kind): visits, calls and meetings from a
sheet with Chinese headers, written through the activity service so that the deal's last customer
activity and the activity's deal team stay exact; duplicates updated; a manager only into their units;
an undo removes or restores and the summaries follow."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kadence.accounts.services import contact_create
from kadence.activities.models import Activity
from kadence.core.errors import PermissionDenied
from kadence.pipeline.models import Opportunity
from kadence.transfer import services
from kadence.transfer.models import ImportedRecord, ImportJob, ImportProblem
from kadence.transfer.selectors import preview
from kadence.transfer.tasks import execute

pytestmark = pytest.mark.django_db

TODAY = date.today()
HEADERS = [
    "客户名称",
    "商机编号",
    "负责人",
    "类型",
    "日期",
    "主题",
    "拜访纪要",
    "联系人",
    "下一步",
    "下一步日期",
]


def d(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def _csv(rows: list[list[str]]) -> SimpleUploadedFile:
    text = "\r\n".join(",".join(row) for row in rows) + "\r\n"
    return SimpleUploadedFile("活动.csv", text.encode("gb18030"), content_type="text/csv")


def _go(user, job: ImportJob, action: str) -> ImportJob:
    start = {"check": services.import_check, "commit": services.import_commit, "undo": services.import_undo}
    start[action](user, job.pk)
    return execute(job.pk, action)


def _configure(user, job: ImportJob, **changes) -> ImportJob:
    job.refresh_from_db()
    return services.import_job_configure(user, job.pk, version=job.version, **changes)


@pytest.fixture
def book(org):
    Opportunity.objects.filter(pk=org.opp.pk).update(external_id="D-1")
    contact_create(org.rita, account_id=org.account.pk, name="王工")
    contact_create(org.rita, account_id=org.account.pk, name="李总")
    return org


def _sheet(org, outcome: str = "谈了方案") -> list[list[str]]:
    name = org.account.name
    return [
        HEADERS,
        [name, "D-1", "rita", "拜访", d(-3), "方案交流", outcome, "王工、李总", "发报价", d(4)],
        [name, "", "tom", "电话", d(-1), "", "", "", "", ""],
        ["", "D-1", "rita", "会议", d(5), "技术澄清会", "", "", "", ""],  # account from the deal; planned
        [name, "", "nobody", "吃饭", d(-2), "坏行", "", "张三", "", ""],
    ]


def test_activities_import_through_the_service_with_the_deal_summary_and_undo(book):
    org = book
    job = services.import_job_create(org.mona, kind="activities", upload=_csv(_sheet(org)))
    assert job.columns == {
        "account": "客户名称",
        "deal": "商机编号",
        "owner": "负责人",
        "kind": "类型",
        "date": "日期",
        "subject": "主题",
        "outcome": "拜访纪要",
        "contacts": "联系人",
        "next_step": "下一步",
        "next_step_date": "下一步日期",
    }
    shown = preview(job, org.mona)[0].values  # as the mapping page shows the first rows
    assert shown["kind"] in ("Visit", "拜访") and shown["done"] in ("Yes", "是")
    assert shown["contacts"] == "王工、李总" and shown["owner"] == str(org.rita)
    job = _go(org.mona, job, "check")
    assert job.bad_rows == 1 and job.checked_counts == {"create": 3}
    problems = {(p.row, p.column, p.value) for p in ImportProblem.objects.filter(job=job)}
    assert problems == {(5, "负责人", "nobody"), (5, "类型", "吃饭"), (5, "联系人", "张三")}
    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    assert job.counts == {"created": 3, "bad": 1}

    visit = Activity.objects.get(subject="方案交流")
    assert visit.kind == "visit" and visit.owner == org.rita and visit.team_id == org.n1.pk
    assert visit.opportunity_id == org.opp.pk and visit.deal_team_id == org.opp.team_id
    assert visit.done and visit.outcome == "谈了方案" and visit.next_step_date == TODAY + timedelta(days=4)
    assert set(visit.contacts.values_list("name", flat=True)) == {"王工", "李总"}
    call = Activity.objects.get(owner=org.tom)
    assert call.kind == "call_out" and call.subject.endswith(f" · {org.account.name}")  # named for its kind
    meeting = Activity.objects.get(subject="技术澄清会")
    assert meeting.account_id == org.account.pk and not meeting.done  # dated after today: planned
    deal = Opportunity.objects.get(pk=org.opp.pk)
    assert deal.stall_last_activity_on == TODAY - timedelta(days=3)  # the planned meeting does not count

    job = _go(org.mona, job, "undo")
    assert job.status == "undone", job.error
    assert not Activity.objects.filter(account=org.account).exists()
    deal.refresh_from_db()
    assert deal.stall_last_activity_on is None


def test_the_same_activity_again_is_updated_and_the_undo_restores_it(book):
    org = book
    first = services.import_job_create(org.mona, kind="activities", upload=_csv(_sheet(org)[:3]))
    _go(org.mona, first, "check")
    _go(org.mona, first, "commit")
    again = services.import_job_create(org.mona, kind="activities", upload=_csv(_sheet(org, "签了意向")[:3]))
    again = _go(org.mona, again, "check")
    assert again.checked_counts == {"update": 2}, list(ImportProblem.objects.filter(job=again).values())
    again = _go(org.mona, again, "commit")
    assert again.status == "done", again.error
    visit = Activity.objects.get(subject="方案交流")
    assert visit.outcome == "签了意向" and Activity.objects.filter(account=org.account).count() == 2
    assert ImportedRecord.objects.get(job=again, object_id=visit.pk).before["outcome"] == "谈了方案"
    again = _go(org.mona, again, "undo")
    assert again.status == "undone", again.error
    visit.refresh_from_db()
    assert visit.outcome == "谈了方案"
    # skip: nothing changes
    skip = services.import_job_create(org.mona, kind="activities", upload=_csv(_sheet(org, "x")[:3]))
    _configure(org.mona, skip, on_duplicate="skip")
    skip = _go(org.mona, skip, "check")
    assert skip.checked_counts == {"skip": 2}


def test_the_same_activity_twice_in_the_file_and_a_deal_of_another_account(book):
    org = book
    Opportunity.objects.filter(pk=org.sara_opp.pk).update(external_id="S-1")
    name = org.account.name
    rows = [
        HEADERS,
        [name, "", "rita", "visit", d(-2), "同一件事", "", "", "", ""],
        [name, "", "rita", "Visit", d(-2), "同一件事", "", "", "", ""],
        [name, "D-9", "rita", "meeting", d(-2), "", "", "", "", ""],
        [name, "", "rita", "demo", d(-2), "下一步太早", "", "", "", d(-5)],
    ]
    job = services.import_job_create(org.ada, kind="activities", upload=_csv(rows))
    job = _go(org.ada, job, "check")
    problems = {(p.row, p.column) for p in ImportProblem.objects.filter(job=job)}
    assert problems == {(3, "主题"), (4, "商机编号"), (5, "下一步日期")}


def test_a_manager_imports_only_into_their_units(book):
    org = book
    with pytest.raises(PermissionDenied):
        services.import_job_create(org.rita, kind="activities", upload=_csv(_sheet(org)))
    # sam manages south-1: rita and tom are not his people, north's account and deal are not his
    job = services.import_job_create(org.sam, kind="activities", upload=_csv(_sheet(org)))
    job = _go(org.sam, job, "check")
    assert job.bad_rows == 4
    columns = {(p.row, p.column) for p in ImportProblem.objects.filter(job=job)}
    assert {(2, "负责人"), (2, "客户名称"), (4, "商机编号")} <= columns
    # his own account and person are fine
    rows = [HEADERS, [org.sara_account.name, "", "sara", "拜访", d(-1), "", "", "", "", ""]]
    job = services.import_job_create(org.sam, kind="activities", upload=_csv(rows))
    job = _go(org.sam, job, "check")
    assert job.bad_rows == 0 and job.checked_counts == {"create": 1}
    job = _go(org.sam, job, "commit")
    made = Activity.objects.get(account=org.sara_account)
    assert made.owner == org.sara and made.team_id == org.s1.pk


def test_an_undo_refuses_when_an_imported_activity_changed_since(book):
    from kadence.activities.services import activity_update

    org = book
    job = services.import_job_create(org.mona, kind="activities", upload=_csv(_sheet(org)[:2]))
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    visit = Activity.objects.get(subject="方案交流")
    activity_update(org.rita, visit.pk, version=visit.version, outcome="改过")
    job = _go(org.mona, job, "undo")
    assert job.status == "done" and f"#{visit.pk}" in job.error
    assert Activity.objects.filter(pk=visit.pk).exists()


def test_the_result_column_sets_the_result_and_the_rule_the_effective_flag(book):
    """Issue 13: the result is imported (Chinese or English words); the effective-visit rule decides
    is_effective (a visit that advanced a deal is effective, a call that found one is not)."""
    org = book
    name = org.account.name
    rows = [
        ["客户名称", "负责人", "类型", "日期", "主题", "拜访成果"],
        [name, "rita", "拜访", d(-3), "方案交流", "推进商机"],
        [name, "rita", "电话", d(-2), "电话回访", "found"],
        [name, "rita", "拜访", d(-1), "礼节拜访", ""],
    ]
    job = services.import_job_create(org.mona, kind="activities", upload=_csv(rows))
    assert job.columns["result"] == "拜访成果"
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    got = {a.subject: (a.result, a.is_effective) for a in Activity.objects.filter(account=org.account)}
    assert got == {"方案交流": ("advanced", True), "电话回访": ("found", False), "礼节拜访": ("", False)}
