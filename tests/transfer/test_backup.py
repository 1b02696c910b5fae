"""Backup and restore (issue 12 §10): `kadence backup` writes every table and the uploaded files with a
manifest of row counts and checksums; `kadence restore` loads it into an empty, migrated database of either
engine, exactly (every column of every row, datetimes to the microsecond, decimals, JSON, unicode, the org
tree's self-references), and refuses a database that is not empty, a damaged archive or another migration
state without writing anything.

The cross-engine tests run `manage.py` in a subprocess on a fresh SQLite file: with DATABASE_URL set they
prove PostgreSQL → SQLite and SQLite → PostgreSQL; without it, a fresh SQLite database on each side."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import JSONField, Value
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from kadence.accounts.models import Account, Industry
from kadence.core.models import AuditEntry, OrgUnit, User
from kadence.deals.models import ControlPolicy, Evidence
from kadence.deals.services import gates
from kadence.demo.loader import load_demo_company
from kadence.pipeline.models import LossReason, Opportunity
from kadence.pipeline.services import opportunity_create
from kadence.transfer.backup import (
    EXCLUDED,
    MANIFEST,
    SEEDED_BY_MIGRATE,
    BackupError,
    backup,
    backup_models,
    restore,
)

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
ROOT = Path(__file__).resolve().parents[2]
ODD_TEXT = "华工 «quotes» \"double\" 'single' \\ back\nnew line\ttab \u2028 emoji 🚀 \x01 end"
PDF = b"%PDF-1.4\n\x00\xff\xfe evidence \xe8\xaf\x81\xe6\x8d\xae\n" * 200


@pytest.fixture(autouse=True)
def _english(_default_language):
    """The messages below are matched in English (they are translated: tests/test_translations.py)."""
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def company(media):
    """A small demo company, an uploaded evidence file, and values at the edges of each column kind."""
    load_demo_company(7, TODAY, accounts=12, opportunities=40)
    opp = Opportunity.objects.filter(status="open").order_by("pk").first()
    upload = SimpleUploadedFile("合同 扫描件.pdf", PDF, content_type="application/pdf")
    gates.evidence_add(opp.owner, opp.pk, title="签字合同", note="甲方盖章", upload=upload)
    Opportunity.objects.filter(pk=opp.pk).update(
        description=ODD_TEXT,
        amount=Decimal("1234567890123.45"),
        stage_entered_at=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        updated_at=datetime(1999, 12, 31, 16, 0, 0, 1, tzinfo=UTC),
    )
    AuditEntry.objects.create(
        entity="pipeline.opportunity", entity_id=opp.pk, field="note", new_value=ODD_TEXT, actor=opp.owner
    )
    task = {
        "args_kwargs": {"args": [1, "二"], "kwargs": {"z": None, "a": [1.5, True]}},
        "task_path": "kadence.core.jobs.nothing",
        "backend_name": "default",
        "run_after": datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        "exception_class_path": "",
        "traceback": "",
    }
    DBTaskResult.objects.create(**task, return_value={"b": 1, "a": "完成"})
    DBTaskResult.objects.create(**task)  # return_value SQL NULL
    third = DBTaskResult.objects.create(**task)
    DBTaskResult.objects.filter(pk=third.pk).update(return_value=Value(None, JSONField()))  # JSON null
    return opp


def _tables() -> list[str]:
    return [m._meta.db_table for m in backup_models()]


def _raw(table: str) -> list[tuple]:
    """Every column of every row as the database driver returns it, in primary-key order."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
        return cursor.fetchall()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in Path(root).rglob("*") if p.is_file()}


def _empty_database() -> None:
    """What a freshly migrated database holds: nothing but the tables `migrate` fills. Those keep their
    rows here, changed so that the restore must replace them."""
    with connection.cursor() as cursor:
        for table in [*reversed(_tables()), *EXCLUDED]:
            if table not in SEEDED_BY_MIGRATE:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    Industry.objects.filter(pk=Industry.objects.order_by("pk").last().pk).delete()
    Industry.objects.create(code="fresh", name_zh="新行业", name_en="Fresh")
    LossReason.objects.update(name_zh="改过")
    ControlPolicy.objects.update(evidence_max_bytes=1, required_buying_roles=["改"])


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(MANIFEST))


def _decoded(path: Path) -> dict[str, list[list]]:
    """The rows of every table in an archive, JSON columns parsed (PostgreSQL's jsonb keeps the keys of
    an object in an order of its own, so two engines agree on the values, not on that order)."""
    tables = {}
    with zipfile.ZipFile(path) as archive:
        for entry in json.loads(archive.read(MANIFEST))["tables"]:
            json_at = [i for i, (_name, kind) in enumerate(entry["columns"]) if kind == "json"]
            rows = []
            for line in archive.read(entry["member"]).splitlines():
                row = json.loads(line)
                for i in json_at:
                    row[i] = None if row[i] is None else ("json", json.loads(row[i]))
                rows.append(row)
            tables[entry["table"]] = rows
    return tables


def _archived_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {e["path"]: archive.read(e["member"]) for e in json.loads(archive.read(MANIFEST))["files"]}


def _rewrite(source: Path, target: Path, change) -> None:
    """A copy of an archive with `change(name, data) -> data` applied to each member."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))


def _manage(tmp_path: Path, *args: str, database: Path, media: Path) -> str:
    """Run manage.py in a subprocess on the SQLite file `database`."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "KADENCE_DATA_DIR": str(tmp_path / "data"),
        "MEDIA_ROOT": str(media),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- the round trip ---------------------------------------------------------------------------------------


def test_a_fresh_database_has_rows_only_in_the_tables_migrate_fills():
    filled = {table for table in _tables() if _raw(table)}
    assert filled == SEEDED_BY_MIGRATE


def test_backup_then_restore_gives_back_every_column_of_every_row_and_every_file(company, media, tmp_path):
    tables = _tables()
    assert "django_session" not in tables and {"django_tasks_database_dbtaskresult", "core_orgunit"} <= set(
        tables
    )
    assert OrgUnit.objects.filter(parent__isnull=False).exists()  # the self-referencing org tree
    before = {table: _raw(table) for table in tables}
    files = _files(media)
    evidence = Evidence.objects.get(kind="file")
    assert files[evidence.file.name] == PDF

    path = tmp_path / "kadence.zip"
    manifest = backup(path)
    assert manifest["source"]["vendor"] == connection.vendor
    assert manifest["migrations"]["pipeline"] and manifest["kadence_version"]
    counts = {t["table"]: t["rows"] for t in manifest["tables"]}
    assert counts == {table: len(rows) for table, rows in before.items()}
    assert sorted(f["path"] for f in manifest["files"]) == sorted(files)  # the evidence, the demo's import
    assert evidence.file.name in files

    _empty_database()
    for path_ in Path(media).rglob("*"):
        if path_.is_file():
            path_.unlink()
    restore(path)

    for table in tables:
        assert _raw(table) == before[table], table
    assert _files(media) == files
    opp = Opportunity.objects.get(pk=company.pk)
    assert opp.description == ODD_TEXT and opp.amount == Decimal("1234567890123.45")
    assert opp.stage_entered_at == datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert opp.updated_at == datetime(1999, 12, 31, 16, 0, 0, 1, tzinfo=UTC)
    assert DBTaskResult.objects.filter(return_value__isnull=True).count() == 1  # SQL NULL stays SQL NULL
    assert DBTaskResult.objects.filter(return_value=None).count() == 1  # and JSON null stays JSON null
    # The id sequences continue after the restored ids: the services create rows again.
    new = opportunity_create(
        opp.owner, account_id=opp.account_id, name="新商机", amount="1000", expected_close_date=TODAY
    )
    assert new.pk > max(row[0] for row in before["pipeline_opportunity"])
    assert Account.objects.count() == 12


def test_restore_into_a_fresh_sqlite_database_in_another_process(company, media, tmp_path):
    """This database (PostgreSQL when DATABASE_URL is set) → a new SQLite file, migrated there; its own
    backup then holds the same rows and files."""
    path, again = tmp_path / "kadence.zip", tmp_path / "again.zip"
    backup(path)
    database, media2 = tmp_path / "fresh.sqlite3", tmp_path / "media2"
    _manage(tmp_path, "migrate", "-v0", database=database, media=media2)
    out = _manage(tmp_path, "restore", str(path), database=database, media=media2)
    assert "Restored" in out and "core_orgunit" in out
    _manage(tmp_path, "backup", str(again), "-v0", database=database, media=media2)
    assert _decoded(again) == _decoded(path)
    assert _archived_files(again) == _archived_files(path) == _files(media) == _files(media2)
    if connection.vendor == "sqlite":  # same engine: the very same bytes
        assert [t["sha256"] for t in _manifest(again)["tables"]] == [
            t["sha256"] for t in _manifest(path)["tables"]
        ]


def test_restore_a_sqlite_backup_made_in_another_process(media, tmp_path):
    """A SQLite database → this one (PostgreSQL when DATABASE_URL is set), freshly migrated; a backup of
    this one then holds the same rows."""
    database, media2, path = tmp_path / "source.sqlite3", tmp_path / "media2", tmp_path / "sqlite.zip"
    _manage(tmp_path, "migrate", "-v0", database=database, media=media2)
    _manage(
        tmp_path,
        "shell",
        "-c",
        "from datetime import date; from kadence.demo.loader import load_demo_company; "
        "load_demo_company(3, date(2025, 6, 30), accounts=8, opportunities=25)",
        database=database,
        media=media2,
    )
    (media2 / "evidence").mkdir(parents=True)
    (media2 / "evidence" / "报告.bin").write_bytes(bytes(range(256)) * 50)
    _manage(tmp_path, "backup", str(path), database=database, media=media2)
    assert _manifest(path)["source"]["vendor"] == "sqlite"

    restore(path)
    assert User.objects.filter(username="admin").exists()
    again = tmp_path / "again.zip"
    backup(again)
    assert _decoded(again) == _decoded(path)
    assert _files(media) == _files(media2)


# --- refusals: nothing is written ---------------------------------------------------------------------------


def test_restore_refuses_a_database_that_is_not_empty(company, tmp_path):
    path = tmp_path / "kadence.zip"
    backup(path)
    counts = {table: len(_raw(table)) for table in _tables()}
    with pytest.raises(BackupError, match="not empty") as caught:
        restore(path)
    assert caught.value.code == "not_empty" and "core_user" in caught.value.detail
    assert {table: len(_raw(table)) for table in _tables()} == counts
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path), stdout=StringIO())
    with translation.override("zh-hans"), pytest.raises(BackupError, match="数据库不是空的"):
        restore(path)


def test_a_session_is_enough_to_refuse(company, tmp_path):
    path = tmp_path / "kadence.zip"
    backup(path)
    _empty_database()
    from django.contrib.sessions.backends.db import SessionStore

    SessionStore().create()
    with pytest.raises(BackupError, match="django_session"):
        restore(path)


@pytest.mark.parametrize("damage", ["table", "file", "rows"])
def test_a_damaged_archive_is_refused_before_anything_is_written(company, media, tmp_path, damage):
    path, broken = tmp_path / "kadence.zip", tmp_path / "broken.zip"
    backup(path)
    _empty_database()
    for file in Path(media).rglob("*"):
        if file.is_file():
            file.unlink()
    seeded = {table: _raw(table) for table in SEEDED_BY_MIGRATE}

    def change(name: str, data: bytes) -> bytes:
        if damage == "table" and name == "tables/accounts_account.jsonl":
            return data.replace(b"\xe5", b"\xe6", 1)  # one byte of one Chinese character
        if damage == "file" and name.startswith("media/"):
            return data[:-1] + b"!"
        if damage == "rows" and name == "tables/pipeline_opportunity.jsonl":
            return data.split(b"\n", 1)[1]  # a row gone
        return data

    _rewrite(path, broken, change)
    with pytest.raises(BackupError, match="damaged") as caught:
        restore(broken)
    assert caught.value.code == "checksum_mismatch"
    assert not Account.objects.exists() and not User.objects.exists()
    assert {table: _raw(table) for table in SEEDED_BY_MIGRATE} == seeded
    assert _files(media) == {}


def test_rows_that_break_a_foreign_key_are_refused_even_with_good_checksums(company, media, tmp_path):
    """An archive whose checksums were recomputed after an account was given an owner that does not
    exist: the foreign keys are checked (PostgreSQL re-adds them; SQLite's check before the commit)."""
    path, forged = tmp_path / "kadence.zip", tmp_path / "forged.zip"
    backup(path)
    _empty_database()
    for file in Path(media).rglob("*"):
        if file.is_file():
            file.unlink()
    manifest = _manifest(path)
    entry = next(t for t in manifest["tables"] if t["table"] == "accounts_account")
    owner_at = [name for name, _kind in entry["columns"]].index("owner_id")
    with zipfile.ZipFile(path) as archive:
        lines = archive.read(entry["member"]).splitlines(keepends=True)
    first = json.loads(lines[0])
    first[owner_at] = 987654321
    lines[0] = json.dumps(first, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    data = b"".join(lines)
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    _rewrite(
        path,
        forged,
        lambda name, old: (
            json.dumps(manifest).encode() if name == MANIFEST else data if name == entry["member"] else old
        ),
    )
    with pytest.raises(BackupError, match="do not load") as caught:
        restore(forged)
    assert caught.value.code == "rows_refused"
    assert not Account.objects.exists() and not User.objects.exists() and _files(media) == {}


def test_another_migration_state_is_refused(company, tmp_path):
    path, other = tmp_path / "kadence.zip", tmp_path / "other.zip"
    backup(path)
    _empty_database()

    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["migrations"]["pipeline"] = "9999_from_the_future"
        return json.dumps(manifest).encode()

    _rewrite(path, other, change)
    with pytest.raises(BackupError, match="9999_from_the_future"):
        restore(other)
    assert not Account.objects.exists()


def test_not_an_archive_and_a_path_outside_media_are_refused(company, media, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(BackupError):
        restore(junk)
    path, evil = tmp_path / "kadence.zip", tmp_path / "evil.zip"
    backup(path)
    _empty_database()

    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["files"][0]["path"] = "../outside.pdf"
        return json.dumps(manifest).encode()

    _rewrite(path, evil, change)
    with pytest.raises(BackupError, match="outside"):
        restore(evil)
    assert not (Path(media).parent / "outside.pdf").exists() and not Account.objects.exists()


def test_the_commands_show_progress_and_keep_an_existing_file(company, tmp_path):
    path = tmp_path / "kadence.zip"
    out = StringIO()
    call_command("backup", str(path), stdout=out)
    text = out.getvalue()
    assert "pipeline_opportunity" in text and "Backed up" in text and path.exists()
    with pytest.raises(CommandError, match="--force"):
        call_command("backup", str(path), stdout=StringIO())
    call_command("backup", str(path), "--force", stdout=StringIO())
    assert django_settings.MEDIA_ROOT  # the fixture's folder, not the real one


def test_exports_written_in_the_background_are_left_out(company, media, tmp_path):
    """They are copies of data the archive holds, kept a week: neither their rows nor their files."""
    from django.core.files.base import ContentFile

    from kadence.transfer.models import ExportJob

    job = ExportJob.objects.create(
        created_by=company.owner, list_name="opportunities", format="csv", filters={}, status="done"
    )
    job.file.save("opportunities.csv", ContentFile(b"\xef\xbb\xbfname\n"), save=True)
    assert job.file.name.startswith("exports/")
    manifest = backup(tmp_path / "kadence.zip")
    assert "transfer_exportjob" not in {t["table"] for t in manifest["tables"]}
    assert not [f for f in manifest["files"] if f["path"].startswith("exports/")]
    assert any(f["path"].startswith("evidence/") for f in manifest["files"])
