"""The buying-power file import (issue 15 §2, "entered or imported, with history"): a sheet through the
import's check, commit and undo (kadence.keyaccounts.value.importing), on both databases."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kadence.core.audit import AuditEntry
from kadence.core.errors import PermissionDenied, ValidationFailed
from kadence.keyaccounts.value import services as value_services
from kadence.keyaccounts.value.models import BuyingPower, BuyingPowerHistory, RadCell
from kadence.transfer import services
from kadence.transfer.models import ImportedRecord, ImportJob, ImportProblem
from kadence.transfer.selectors import preview
from kadence.transfer.tasks import execute
from tests.transfer.test_import import _configure, _go

pytestmark = pytest.mark.django_db

THIS_YEAR = date.today().year


def _csv(rows: list[list[str]], encoding: str = "gb18030") -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    text = out.getvalue()
    return SimpleUploadedFile("采购潜力.csv", text.encode(encoding), content_type="text/csv")


@pytest.fixture
def book(org):
    from kadence.accounts.services import account_create

    org.other = account_create(
        org.tom, name="南京供电所", industry_id=org.industry.pk, region_id=org.north.pk
    )
    # rita's account has a BP for 2025 already: the file's row for it updates it
    value_services.buying_power_set(org.rita, org.account.pk, year=2025, amount="3000000", note="年报")
    return org


def _sheet(org) -> list[list[str]]:
    return [
        ["客户名称", "年度", "采购潜力", "备注"],
        [org.account.name, "2026年", "800万", "招标公告"],
        [org.account.name, "2025", "¥3,500,000", ""],
        [org.other.name, "FY2026", "1.2亿", ""],
        ["广东移动", "2026", "100万", ""],  # sara's account: not in mona's units
        ["没有这个客户", "2026", "100万", ""],
        [org.other.name, "二〇二六", "-5", ""],
        [org.account.name, "2026", "900万", ""],  # the same account and year again
    ]


def test_a_bp_sheet_is_checked_imported_with_history_and_undone(book):
    org = book
    job = services.import_job_create(org.mona, kind="buying_power", upload=_csv(_sheet(org)))
    assert job.columns == {"account": "客户名称", "year": "年度", "amount": "采购潜力", "note": "备注"}
    shown = preview(job, org.mona)[0].values
    assert shown["account"] == org.account.name and shown["year"] == "2026"

    job = _go(org.mona, job, "check")
    assert job.checked_counts == {"create": 2, "update": 1}
    assert job.bad_rows == 4
    problems = {(p.row, p.column) for p in ImportProblem.objects.filter(job=job)}
    assert problems == {(5, "客户名称"), (6, "客户名称"), (7, "年度"), (7, "采购潜力"), (8, "客户名称")}

    with pytest.raises(ValidationFailed):  # all or nothing by default
        services.import_commit(org.mona, job.pk)
    assert not BuyingPower.objects.filter(source="imported").exists()

    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.status == "done", job.error
    assert job.counts == {"created": 2, "updated": 1, "bad": 4}
    bp = {(b.account_id, b.year): b for b in BuyingPower.objects.all()}
    assert (
        bp[(org.account.pk, 2026)].amount == D("8000000.00") and bp[(org.account.pk, 2026)].note == "招标公告"
    )
    assert bp[(org.account.pk, 2025)].amount == D("3500000.00") and bp[(org.account.pk, 2025)].version == 2
    assert bp[(org.other.pk, 2026)].amount == D("120000000.00")
    assert {b.source for b in bp.values()} == {"imported"}
    history = BuyingPowerHistory.objects.filter(account=org.account, year=2025).order_by("at", "pk")
    assert [(h.old_amount, h.new_amount) for h in history] == [
        (None, D("3000000")),
        (D("3000000"), D("3500000")),
    ]
    # the RAD cells of the years written follow the new BP at once (8M, nothing won: A1)
    rad = {(c.account_id, c.year): c for c in RadCell.objects.all()}
    assert rad[(org.account.pk, 2026)].bp == D("8000000.00") and rad[(org.account.pk, 2026)].cell == "A1"
    assert rad[(org.account.pk, 2025)].bp == D("3500000.00") and rad[(org.other.pk, 2026)].cell == "A1"
    records = ImportedRecord.objects.filter(job=job)
    assert {(r.action, r.entity) for r in records} == {
        ("created", "keyaccounts.buyingpower"),
        ("updated", "keyaccounts.buyingpower"),
    }

    job = _go(org.mona, job, "undo")
    assert job.status == "undone", job.error
    left = {(b.account_id, b.year): (b.amount, b.note) for b in BuyingPower.objects.all()}
    assert left == {(org.account.pk, 2025): (D("3000000.00"), "年报")}
    # the removals and the restore are in the history and the audit trail
    removed = BuyingPowerHistory.objects.filter(account=org.other, year=2026).order_by("at", "pk")
    assert [(h.old_amount, h.new_amount) for h in removed] == [(None, D("120000000")), (D("120000000"), None)]
    assert AuditEntry.objects.filter(entity="keyaccounts.buyingpower").count() >= 6
    # and the RAD cells follow the undo: 2025 back to 3M; 2026 from the account's fallback BP (5M)
    rad = {(c.account_id, c.year): c.bp for c in RadCell.objects.all()}
    assert rad[(org.account.pk, 2025)] == D("3000000.00") and rad[(org.account.pk, 2026)] == D("5000000.00")


def test_without_a_year_column_the_mapping_default_or_this_year(book):
    org = book
    rows = [["客户名称", "年采购额"], [org.account.name, "500万"]]
    job = services.import_job_create(org.mona, kind="buying_power", upload=_csv(rows, "utf-8-sig"))
    job = _go(org.mona, _configure(org.mona, job, defaults={"year": "2027"}), "check")
    assert job.checked_counts == {"create": 1}
    assert _go(org.mona, job, "commit").status == "done"
    job = services.import_job_create(org.mona, kind="buying_power", upload=_csv(rows, "utf-8-sig"))
    _go(org.mona, job, "check")
    assert _go(org.mona, job, "commit").status == "done"
    amounts = dict(BuyingPower.objects.filter(account=org.account).values_list("year", "amount"))
    assert amounts[2027] == amounts[THIS_YEAR] == D("5000000.00")


def test_a_rep_does_not_import_and_the_api_lists_the_kind(book, client):
    org = book
    with pytest.raises(PermissionDenied):
        services.import_job_create(org.rita, kind="buying_power", upload=_csv([["客户名称"], ["x"]]))
    client.force_login(org.mona)
    fields = client.get("/api/imports/fields?kind=buying_power").json()
    assert [f["key"] for f in fields] == ["account", "credit_code", "year", "amount", "note"]


def test_skip_leaves_an_entered_bp_and_an_undo_refuses_when_it_changed_since(book):
    org = book
    rows = [
        ["客户名称", "年度", "采购潜力"],
        [org.account.name, "2025", "400万"],
        [org.other.name, "2026", "50万"],
    ]
    job = services.import_job_create(org.mona, kind="buying_power", upload=_csv(rows))
    job = _configure(org.mona, job, on_duplicate="skip")
    _go(org.mona, job, "check")
    job = _go(org.mona, job, "commit")
    assert job.counts == {"created": 1, "skipped": 1, "bad": 0}
    assert BuyingPower.objects.get(account=org.account, year=2025).amount == D("3000000.00")
    created = BuyingPower.objects.get(account=org.other, year=2026)
    value_services.buying_power_set(
        org.tom, org.other.pk, year=2026, amount="600000", version=created.version
    )
    job = _go(org.mona, job, "undo")
    assert job.status == "done" and f"#{created.pk}" in job.error
    assert BuyingPower.objects.get(account=org.other, year=2026).amount == D("600000.00")


def test_through_the_pages_from_the_rad_matrix_link(book, client):
    org = book
    client.force_login(org.mona)
    rad = client.get("/key-accounts/value/rad/").content.decode()
    assert 'data-testid="bp-import"' in rad and "/imports/?kind=buying_power" in rad
    page = client.get("/imports/?kind=buying_power").content.decode()
    assert 'value="buying_power" selected' in page
    rows = [["客户名称", "年度", "采购潜力"], [org.other.name, "2026", "50万"]]
    response = client.post("/imports/", {"kind": "buying_power", "file": _csv(rows), "encoding": ""})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-mapping"' in detail and "采购潜力" in detail
    assert "500,000.00" in client.get(f"/imports/{job.pk}/preview").content.decode()
    assert client.post(f"/imports/{job.pk}/check").status_code == 302
    execute(job.pk, "check")
    assert client.post(f"/imports/{job.pk}/commit").status_code == 302
    execute(job.pk, "commit")
    assert BuyingPower.objects.get(account=org.other, year=2026).amount == D("500000.00")
    client.force_login(org.rita)  # a rep: no import link
    assert 'data-testid="bp-import"' not in client.get("/key-accounts/value/rad/").content.decode()


def test_from_the_command_line(book, tmp_path):
    from django.core.management import call_command

    org = book
    path = tmp_path / "bp.csv"
    path.write_bytes(_csv([["客户名称", "年度", "采购潜力"], [org.other.name, "2026", "1.5亿"]]).read())
    out = io.StringIO()
    call_command("import", str(path), kind="buying_power", user="mona", stdout=out)
    assert BuyingPower.objects.get(account=org.other, year=2026).amount == D("150000000.00")
