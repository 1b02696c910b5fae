"""Backup and restore of a whole Kadence (issue 12 §10): one portable zip archive that a database of
either engine (SQLite, PostgreSQL) writes and either engine reads back exactly.

The archive holds

* `manifest.json`: the format, the Kadence and Django versions, the source engine, the migration state
  (the latest applied migration per app), and per table its columns with their kinds, its row count and
  the SHA-256 of its data; per uploaded file its path, size and SHA-256;
* `tables/<table>.jsonl`: one JSON array per row, the columns in the manifest's order, rows in primary
  key order, each value in the one form of its kind (`encode` / `decode`): datetimes as ISO 8601 in UTC
  with microseconds, dates and times ISO, decimals as strings, JSON as its compact text (keys in their
  stored order: PostgreSQL's jsonb keeps its own), durations as microseconds, binary as base64; the
  same data gives the same bytes on either engine (but for the key order of JSON objects);
* `media/<path>`: every file under MEDIA_ROOT (the evidence uploads).

Every table Django manages is in it (Kadence's, auth, content types, the admin log, the task queue of
django_tasks_db), except the sessions (EXCLUDED): they are sign-ins bound to the source server's
SECRET_KEY, and a copy of them would be a copy of live credentials.

Tables are read through the ORM (`values_list`, chunked; PostgreSQL in one REPEATABLE READ snapshot) and
written back with COPY on PostgreSQL (its foreign keys and plain indexes dropped while loading and rebuilt
after, which re-validates every row) or executemany elsewhere (SQLite checks its deferred foreign keys
before the commit). Nothing holds a whole table in memory. `restore` verifies every checksum before it
writes anything, loads everything in one transaction, and puts the files in place only with it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path, PurePosixPath
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Field, Model, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from kadence.core.bulk import drop_constraints, restore_constraints
from kadence.core.errors import DomainError

FORMAT = "kadence-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 2000  # rows read from the database at a time
BATCH = 5000  # rows written at a time (executemany); also how often progress is reported
FILE_CHUNK = 1 << 20

# Tables left out of the archive, and why (written into the manifest as well).
EXCLUDED = {
    "django_session": "sign-ins bound to the source's SECRET_KEY; a copy would be a copy of live credentials",
    "transfer_exportjob": "list exports written in the background: copies of data the archive holds, kept 7 days",
}
# Folders of MEDIA_ROOT left out with them (the export files).
EXCLUDED_MEDIA = ("exports/",)

# The tables `migrate` itself fills (content types, permissions, and the configuration Kadence's data
# migrations seed). A freshly migrated database has rows in these and in no other; `restore` replaces
# them with the archive's. tests/transfer/test_backup.py checks the list against a fresh database.
SEEDED_BY_MIGRATE = frozenset(
    {
        "django_content_type",
        "auth_permission",
        "accounts_industry",
        "pipeline_probabilitylevel",
        "pipeline_processtemplate",
        "pipeline_stage",
        "pipeline_stage_required_roles",
        "pipeline_exitcriterion",
        "pipeline_stagetask",
        "pipeline_lossreason",
        "pipeline_dealrole",
        "deals_controlpolicy",
        "deals_c139question",
        "deals_expensecategory",
        "activities_effectivevisitrule",
        "rhythm_activityquota",  # rhythm: quotas (issue 13)
        "rhythm_quotasettings",
        "rhythm_cadencepolicy",  # rhythm: the 1-15-30 intervals
        "performance_gradeband",  # performance: the five grades, the default KPIs and their first versions
        "performance_kpidefinition",
        "performance_kpidefinitionversion",
        "performance_sizingassumption",  # the company's default sizing inputs
        "keyaccounts_importancecriterion",  # key accounts: the nine criteria and their weights, the type
        "keyaccounts_importanceconfig",  # rules, the KAM stages and checklists, the CSI questions, the
        "keyaccounts_kamstage",  # coverage limits and the screening platforms' wall criteria
        "keyaccounts_kamchecklistitem",
        "keyaccounts_csiquestion",
        "keyaccounts_coveragepolicy",
        "keyaccounts_platformcriteria",
    }
)


class BackupError(DomainError):
    """An archive that cannot be restored here (damaged, from another migration state, or a database
    that is not empty), or a backup that cannot be written; nothing has been changed."""

    code = "backup_invalid"


Progress = Callable[[str, int, int], Any]  # (table, rows done, rows in the table)


# --- the kinds of columns and their one serialised form ---------------------------------------------------

KINDS = {
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
        ),
        "integer",
    ),
    **dict.fromkeys(
        (
            "CharField",
            "TextField",
            "SlugField",
            "EmailField",
            "URLField",
            "FileField",
            "ImageField",
            "FilePathField",
            "GenericIPAddressField",
            "IPAddressField",
        ),
        "text",
    ),
    "BooleanField": "boolean",
    "FloatField": "float",
    "DecimalField": "decimal",
    "DateTimeField": "datetime",
    "DateField": "date",
    "TimeField": "time",
    "DurationField": "duration",
    "UUIDField": "uuid",
    "BinaryField": "binary",
    "JSONField": "json",
}


def column_kind(field: Field) -> str:
    """The serialised kind of a concrete field (a foreign key has its target's)."""
    target = field
    while target.remote_field is not None and getattr(target, "target_field", None) is not None:
        target = target.target_field  # type: ignore[attr-defined]
    kind = KINDS.get(target.get_internal_type())
    if kind is None:
        raise BackupError(
            _("Column %(column)s of %(table)s has a type the backup does not know (%(type)s).")
            % {
                "column": field.column,
                "table": field.model._meta.db_table,
                "type": target.get_internal_type(),
            }
        )
    return kind


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def _canonical_json(text: str | None) -> str | None:
    if text is None:
        return None
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))


def _micros(value: timedelta) -> int:
    return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds


ENCODERS: dict[str, Callable[[Any], Any] | None] = {
    "integer": None,
    "text": None,
    "float": None,
    "boolean": bool,
    "decimal": str,
    "datetime": _utc_iso,
    "date": date.isoformat,
    "time": lambda v: v.isoformat(timespec="microseconds"),
    "duration": _micros,
    "uuid": str,
    "binary": lambda v: base64.b64encode(bytes(v)).decode("ascii"),
    "json": _canonical_json,  # read as text (see _read_rows)
}
DECODERS: dict[str, Callable[[Any], Any] | None] = {
    "integer": None,
    "text": None,
    "float": None,
    "boolean": None,
    "decimal": Decimal,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "duration": lambda v: timedelta(microseconds=v),
    "uuid": uuid.UUID,
    "binary": base64.b64decode,
    "json": None,  # stays text: PostgreSQL parses it; other engines get the field's own dump (_adapter)
}


# --- which tables, in which order --------------------------------------------------------------------------


def backup_models() -> list[type[Model]]:
    """Every table Django manages (auto-created many-to-many tables included) but the EXCLUDED ones, in
    an order where a table comes after the tables its foreign keys point to (cycles and self-references
    are left to the deferred checks)."""
    seen: dict[str, type[Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped and meta.db_table not in EXCLUDED:
            seen.setdefault(meta.db_table, model)
    depends = {
        table: {
            f.related_model._meta.db_table
            for f in model._meta.concrete_fields
            if f.remote_field is not None and isinstance(f.related_model, type)
        }
        - {table}
        for table, model in seen.items()
    }
    ordered: list[str] = []
    placed: set[str] = set()
    pending = sorted(seen)
    while pending:
        ready = [t for t in pending if depends[t] <= placed or not depends[t] & set(pending)]
        if not ready:  # a cycle: take the first and let the deferred checks settle it
            ready = pending[:1]
        for table in ready:
            ordered.append(table)
            placed.add(table)
        pending = [t for t in pending if t not in placed]
    return [seen[t] for t in ordered]


def _fields(model: type[Model]) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def migration_state() -> dict[str, str]:
    """The latest applied migration of each app in this database (by name: they are numbered)."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def kadence_version() -> str:
    try:
        return package_version("kadence")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "unknown"


def _engine() -> dict[str, str]:
    connection.ensure_connection()
    info = {"vendor": connection.vendor}
    server = getattr(connection, "pg_version", None) if connection.vendor == "postgresql" else None
    if server:
        info["version"] = f"{server // 10000}.{server % 10000}"
    elif connection.vendor == "sqlite":
        import sqlite3

        info["version"] = sqlite3.sqlite_version
    return info


# --- backup -------------------------------------------------------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[None]:
    """Read every table from one consistent state while the application keeps writing: PostgreSQL in a
    REPEATABLE READ, read-only transaction; SQLite in a deferred (read) transaction, which in WAL mode
    blocks no writer. Inside a caller's transaction, that transaction is the snapshot."""
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic():
            yield


def _read_rows(model: type[Model], fields: list[Field]) -> Iterator[tuple]:
    """The rows of a table in primary-key order as the ORM converts them (JSON as its stored text, so
    that SQL NULL and JSON null stay apart)."""
    qs = model._base_manager.order_by(model._meta.pk.attname)
    names = []
    for i, field in enumerate(fields):
        if column_kind(field) == "json":
            alias = f"backupjson{i}"
            qs = qs.annotate(**{alias: Cast(field.attname, TextField())})
            names.append(alias)
        else:
            names.append(field.attname)
    return qs.values_list(*names).iterator(chunk_size=CHUNK)


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under MEDIA_ROOT as (its path relative to the root, POSIX style; its path)."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not path.is_symlink() and not rel.startswith(EXCLUDED_MEDIA):
                yield rel, path


def backup(target: str | os.PathLike[str], *, progress: Progress | None = None) -> dict[str, Any]:
    """Write the archive to `target` (through a temporary file beside it, renamed at the end, so a
    failed backup leaves no half archive); returns the manifest."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            manifest = _write_archive(archive, progress)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return manifest


def _write_archive(archive: zipfile.ZipFile, progress: Progress | None) -> dict[str, Any]:
    tables = []
    with _snapshot():
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kadence_version": kadence_version(),
            "django_version": django.get_version(),
            "created_at": _utc_iso(datetime.now(UTC)),
            "source": _engine(),
            "migrations": migration_state(),
            "excluded_tables": EXCLUDED,
        }
        for model in backup_models():
            tables.append(_write_table(archive, model, progress))
    manifest["tables"] = tables
    manifest["files"] = [
        _write_file(archive, rel, path) for rel, path in _media_files(Path(settings.MEDIA_ROOT))
    ]
    archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def _write_table(archive: zipfile.ZipFile, model: type[Model], progress: Progress | None) -> dict[str, Any]:
    table = model._meta.db_table
    fields = _fields(model)
    kinds = [column_kind(f) for f in fields]
    encoders = [ENCODERS[k] for k in kinds]
    total = model._base_manager.count()
    digest = hashlib.sha256()
    rows = 0
    member = f"tables/{table}.jsonl"
    if progress:
        progress(table, 0, total)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with archive.open(member, "w", force_zip64=True) as out:
        lines: list[bytes] = []
        for row in _read_rows(model, fields):
            values = [v if enc is None or v is None else enc(v) for enc, v in zip(encoders, row, strict=True)]
            lines.append(dumps(values).encode() + b"\n")
            rows += 1
            if len(lines) == BATCH:
                chunk = b"".join(lines)
                digest.update(chunk)
                out.write(chunk)
                lines = []
                if progress:
                    progress(table, rows, total)
        chunk = b"".join(lines)
        digest.update(chunk)
        out.write(chunk)
    if progress:
        progress(table, rows, max(rows, total))
    return {
        "table": table,
        "model": model._meta.label,
        "member": member,
        "columns": [[f.attname, k] for f, k in zip(fields, kinds, strict=True)],
        "rows": rows,
        "sha256": digest.hexdigest(),
    }


def _write_file(archive: zipfile.ZipFile, rel: str, path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    member = f"media/{rel}"
    with path.open("rb") as source, archive.open(member, "w", force_zip64=True) as out:
        while chunk := source.read(FILE_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"path": rel, "member": member, "size": size, "sha256": digest.hexdigest()}


# --- restore ------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """One archived table matched to this database's model."""

    entry: dict[str, Any]
    model: type[Model]
    fields: list[Field]
    kinds: list[str]


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise BackupError(_("This is not a Kadence backup (no readable manifest).")) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("This is not a Kadence backup (no readable manifest)."))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _("The backup is in format %(found)s; this Kadence reads format %(expected)s.")
            % {"found": manifest.get("format_version"), "expected": FORMAT_VERSION}
        )
    return manifest


def _check_migrations(manifest: dict[str, Any]) -> None:
    archived, here = manifest.get("migrations") or {}, migration_state()
    if archived != here:
        differ = [
            f"{app}: {archived.get(app, '-')} ≠ {here.get(app, '-')}"
            for app in sorted(set(archived) | set(here))
            if archived.get(app) != here.get(app)
        ]
        raise BackupError(
            _(
                "The backup was made at another migration state than this database's (backup ≠ here: "
                "%(apps)s). Restore it with the Kadence version that made it (%(version)s), or migrate "
                "this database to the same state."
            )
            % {"apps": "; ".join(differ[:8]), "version": manifest.get("kadence_version", "?")}
        )


def _plan(manifest: dict[str, Any]) -> list[_Plan]:
    models = {m._meta.db_table: m for m in backup_models()}
    archived = {entry["table"]: entry for entry in manifest.get("tables", [])}
    if set(archived) != set(models):
        missing, extra = sorted(set(models) - set(archived)), sorted(set(archived) - set(models))
        raise BackupError(
            _("The backup's tables are not this database's (missing: %(missing)s; unknown: %(extra)s).")
            % {"missing": ", ".join(missing) or "-", "extra": ", ".join(extra) or "-"}
        )
    plans = []
    for table, model in models.items():  # dependency order of this database
        entry = archived[table]
        by_name = {f.attname: f for f in _fields(model)}
        columns = entry["columns"]
        here = sorted([name, column_kind(f)] for name, f in by_name.items())
        if sorted(columns) != here:
            raise BackupError(
                _("The columns of %(table)s in the backup are not this database's.") % {"table": table}
            )
        fields = [by_name[name] for name, _kind in columns]
        plans.append(_Plan(entry, model, fields, [kind for _name, kind in columns]))
    return plans


def _check_empty(plans: list[_Plan]) -> None:
    """Refuse a database with anything in it but what `migrate` writes (SEEDED_BY_MIGRATE)."""
    busy = [
        p.model._meta.db_table
        for p in plans
        if p.model._meta.db_table not in SEEDED_BY_MIGRATE and p.model._base_manager.exists()
    ]
    busy += [
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.db_table in EXCLUDED and m._meta.managed and m._base_manager.exists()
    ]
    if busy:
        users = get_user_model()._meta.db_table
        busy.sort(key=lambda table: table != users)  # the users first: the plainest sign of a used database
        raise BackupError(
            _(
                "The database is not empty (%(tables)s have rows). Restore into a new database that has "
                "only been migrated (`kadence migrate`)."
            )
            % {"tables": ", ".join(busy[:6]) + (", …" if len(busy) > 6 else "")},
            code="not_empty",
        )


def _safe_path(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if not rel or path.is_absolute() or "\\" in rel or any(part in ("", ".", "..") for part in path.parts):
        raise BackupError(_("The backup names a file outside the media folder (%(path)s).") % {"path": rel})
    return path


def _hash_member(archive: zipfile.ZipFile, member: str) -> tuple[str, int, int]:
    """SHA-256, size and number of lines of an archive member, read in chunks."""
    digest, size, lines = hashlib.sha256(), 0, 0
    try:
        with archive.open(member) as data:
            while chunk := data.read(FILE_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
    except KeyError as exc:
        raise BackupError(_("The backup is damaged: %(member)s is missing.") % {"member": member}) from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # the zip's own CRC failed, or a cut file
        raise BackupError(
            _("The backup is damaged: %(member)s cannot be read (%(error)s).")
            % {"member": member, "error": exc}
        ) from exc
    return digest.hexdigest(), size, lines


def _damaged(member: str) -> BackupError:
    return BackupError(
        _(
            "The backup is damaged: the checksum of %(member)s does not match its manifest. Nothing was restored."
        )
        % {"member": member},
        code="checksum_mismatch",
    )


def _verify(archive: zipfile.ZipFile, plans: list[_Plan], files: list[dict[str, Any]]) -> None:
    """Every table and file against the manifest (checksum, rows, size) before anything is written."""
    for plan in plans:
        sha, _size, lines = _hash_member(archive, plan.entry["member"])
        if sha != plan.entry["sha256"] or lines != plan.entry["rows"]:
            raise _damaged(plan.entry["member"])
    for entry in files:
        sha, size, _lines = _hash_member(archive, entry["member"])
        if sha != entry["sha256"] or size != entry["size"]:
            raise _damaged(entry["member"])


def _check_media(files: list[dict[str, Any]], root: Path) -> list[dict[str, Any]]:
    """The archived files that are not already in place; refuses one that would replace another file."""
    todo = []
    for entry in files:
        path = root / _safe_path(entry["path"])
        if not path.exists():
            todo.append(entry)
            continue
        digest = hashlib.sha256()
        with path.open("rb") as existing:
            while chunk := existing.read(FILE_CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != entry["sha256"]:
            raise BackupError(
                _(
                    "%(path)s already exists in the media folder with other content; restore into an empty one."
                )
                % {"path": path},
                code="not_empty",
            )
    return todo


def restore(source: str | os.PathLike[str], *, progress: Progress | None = None) -> dict[str, Any]:
    """Load the archive into this database, which must be migrated to the archive's migration state and
    hold nothing but what `migrate` writes, and put its files under MEDIA_ROOT. Checksums are verified
    first; the tables load in one transaction; on any error nothing is left behind. Returns the manifest."""
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(_("Cannot open the backup: %(error)s") % {"error": exc}) from exc
    root = Path(settings.MEDIA_ROOT)
    with archive:
        manifest = read_manifest(archive)
        _check_migrations(manifest)
        plans = _plan(manifest)
        files = manifest.get("files", [])
        for entry in files:
            _safe_path(entry["path"])
        _check_empty(plans)
        todo = _check_media(files, root)
        _verify(archive, plans, files)
        written: list[Path] = []
        try:
            with transaction.atomic():
                _load_tables(archive, plans, progress)
                for entry in todo:
                    written.append(_put_file(archive, entry, root))
        except BaseException as exc:
            for path in written:
                path.unlink(missing_ok=True)
            # Rows the checksums vouch for that still do not load (a foreign key to a missing row, a
            # value the column refuses) come from a source that was inconsistent, or from a forged
            # manifest: say so rather than fail with a traceback.
            if isinstance(exc, DatabaseError | ValueError | ArithmeticError):
                raise BackupError(
                    _("The backup's rows do not load into this database (%(error)s). Nothing was restored.")
                    % {"error": str(exc).strip()[:500]},
                    code="rows_refused",
                ) from exc
            raise
    return manifest


def _put_file(archive: zipfile.ZipFile, entry: dict[str, Any], root: Path) -> Path:
    path = root / _safe_path(entry["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    digest = hashlib.sha256()
    with archive.open(entry["member"]) as data, partial.open("wb") as out:
        while chunk := data.read(FILE_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != entry["sha256"]:
        partial.unlink()
        raise _damaged(entry["member"])
    os.replace(partial, path)
    return path


def _load_tables(archive: zipfile.ZipFile, plans: list[_Plan], progress: Progress | None) -> None:
    postgres = connection.vendor == "postgresql"
    models = [p.model for p in plans]
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        dropped = drop_constraints(cursor, tables) if postgres else None
        indexes = _drop_sqlite_indexes(cursor, tables) if connection.vendor == "sqlite" else []
        for table in tables:
            if table in SEEDED_BY_MIGRATE:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        for plan in plans:
            _load_table(cursor, archive, plan, progress)
        if dropped is not None:
            restore_constraints(cursor, dropped)
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        else:
            for sql in indexes:
                cursor.execute(sql)
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            connection.check_constraints(table_names=tables)


def _drop_sqlite_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the plain (non-unique) indexes of `tables` for the load and return their definitions: one
    index built over a loaded table is several times faster than rows inserted into it one by one."""
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join(['%s'] * len(tables))}) ORDER BY tbl_name, name",
        tables,
    )
    plain = [(name, sql) for name, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")]
    for name, _sql in plain:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _name, sql in plain]


def _rows(archive: zipfile.ZipFile, plan: _Plan) -> Iterator[list[Any]]:
    """The archived rows of a table decoded to Python values, hashed again as they are read (the file
    is read a second time after _verify)."""
    entry = plan.entry
    decoders = [DECODERS[k] for k in plan.kinds]
    width = len(decoders)
    digest = hashlib.sha256()
    count = 0
    with archive.open(entry["member"]) as data:
        for line in data:
            digest.update(line)
            values = json.loads(line)
            if not isinstance(values, list) or len(values) != width:
                raise _damaged(entry["member"])
            yield [v if dec is None or v is None else dec(v) for dec, v in zip(decoders, values, strict=True)]
            count += 1
    if digest.hexdigest() != entry["sha256"] or count != entry["rows"]:
        raise _damaged(entry["member"])


def _load_table(cursor, archive: zipfile.ZipFile, plan: _Plan, progress: Progress | None) -> None:
    table = plan.model._meta.db_table
    total = plan.entry["rows"]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in plan.fields)
    done = 0
    if progress:
        progress(table, 0, total)
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for row in _rows(archive, plan):
                copy.write_row(row)
                done += 1
                if progress and done % BATCH == 0:
                    progress(table, done, total)
    else:
        adapters = [_adapter(f, k) for f, k in zip(plan.fields, plan.kinds, strict=True)]
        sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({', '.join(['%s'] * len(plan.fields))})"
        for batch in _batches(_rows(archive, plan), BATCH):
            cursor.executemany(
                sql,
                [
                    tuple(v if a is None or v is None else a(v) for a, v in zip(adapters, row, strict=True))
                    for row in batch
                ],
            )
            done += len(batch)
            if progress and done < total:
                progress(table, done, total)
    if progress:
        progress(table, done, total)


def _adapter(field: Field, kind: str) -> Callable[[Any], Any] | None:
    """How a decoded value is stored on a database without COPY: as it is, or as Django's own insert
    stores it (SQLite: dates, times and decimals as text, aware datetimes made naive in the connection's
    time zone, JSON through the field's encoder); the common kinds without the per-value call into the
    field, which is most of the time of a restore."""
    if kind in ("integer", "text", "float", "boolean"):
        return None
    if kind == "json":
        encoder = getattr(field, "encoder", None)
        return lambda v: json.dumps(json.loads(v), cls=encoder)
    if connection.vendor == "sqlite":
        if kind in ("date", "time"):
            return str
        if kind == "decimal":
            return lambda v: format(v, "f")
        if kind == "datetime" and settings.USE_TZ:
            tz = connection.timezone
            return lambda v: str(v.astimezone(tz).replace(tzinfo=None) if v.tzinfo is not None else v)
    return lambda v: field.get_db_prep_save(v, connection)


def _batches(rows: Iterable[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def archive_summary(manifest: dict[str, Any]) -> tuple[int, int, int]:
    """Tables, rows and files in a manifest."""
    tables = manifest.get("tables", [])
    return len(tables), sum(t["rows"] for t in tables), len(manifest.get("files", []))
