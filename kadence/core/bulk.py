"""Writing many rows fast (`BulkWriter`): PostgreSQL gets them through COPY, SQLite through the driver's
executemany, other databases through `bulk_create`. Used by the demo's large seed and by imports."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import IntegrityError, connection
from django.db.models import Field, Max, Model


class BulkWriter:
    """Buffers rows per table and writes them in batches within the caller's transaction.

    `fields` lists the columns written per model (ids included), in the order of the rows given to
    `add`; a row may leave off trailing columns, which then take `defaults[model]`'s last values.
    Ids are allocated here (max id + 1, tables locked against concurrent inserts on PostgreSQL) so that
    rows can reference each other before they are written; sequences are reset in `close()`.
    PostgreSQL receives the rows through COPY, SQLite through the driver's executemany (values adapted
    per column as Django adapts them), other databases through `bulk_create`.

    With `defer_constraints` on PostgreSQL, the foreign keys and the plain (non-unique) indexes of the
    written tables are dropped while loading and rebuilt in `close()`: checking each row against its
    parents and inserting it into nine indexes as it arrives is what makes large loads slow, while
    building an index or validating a foreign key over the whole table at the end is one sort or one
    join. Adding the foreign keys back verifies every row, so integrity is still proven. The tables
    are locked for the whole transaction either way.
    """

    def __init__(
        self,
        models: Iterable[type[Model]],
        fields: Mapping[type[Model], Sequence[str]],
        *,
        defaults: Mapping[type[Model], tuple] | None = None,
        batch_size: int = 20_000,
        defer_constraints: bool = False,
    ):
        self.models = list(models)
        self.fields = {m: list(fields[m]) for m in self.models}
        self.defaults = dict(defaults or {})
        self.batch_size = batch_size
        self.postgres = connection.vendor == "postgresql"
        self.buffers: dict[type[Model], list[tuple]] = {m: [] for m in self.models}
        self.written: dict[type[Model], int] = defaultdict(int)
        self.next_id: dict[type[Model], int] = {}
        self.dropped: DroppedConstraints | None = None
        if self.postgres:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in self.models)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for model in self.models:
            self.next_id[model] = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        if defer_constraints and self.postgres:
            with connection.cursor() as cursor:
                self.dropped = drop_constraints(cursor, [m._meta.db_table for m in self.models])

    def ids(self, model: type[Model], count: int = 1) -> int:
        """Reserve `count` consecutive ids of `model`; returns the first."""
        first = self.next_id[model]
        self.next_id[model] = first + count
        return first

    def add(self, model: type[Model], row: tuple) -> None:
        missing = len(self.fields[model]) - len(row)
        if missing > 0:  # trailing columns left to their defaults
            row = row + self.defaults[model][-missing:]
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= self.batch_size:
            self.flush(model)

    def flush(self, model: type[Model] | None = None) -> None:
        for m in [model] if model else self.models:
            rows = self.buffers[m]
            if not rows:
                continue
            if self.postgres:
                self._copy(m, rows)
            elif connection.vendor == "sqlite":
                self._insert(m, rows)
            else:
                fields = self.fields[m]
                m._default_manager.bulk_create(
                    [m(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
                )
            self.written[m] += len(rows)
            self.buffers[m] = []

    def _copy(self, model: type[Model], rows: list[tuple]) -> None:
        copy_rows(model, self.fields[model], rows)

    def _insert(self, model: type[Model], rows: list[tuple]) -> None:
        execute_many(model, self.fields[model], rows)

    def close(self) -> dict[str, int]:
        """Write what is buffered, rebuild the dropped indexes and foreign keys, reset the id sequences;
        returns the number of rows written per table."""
        self.flush()
        with connection.cursor() as cursor:
            if self.dropped is not None:
                restore_constraints(cursor, self.dropped)
                self.dropped = None
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(sql)
        return {m._meta.db_table: self.written[m] for m in self.models}


def insert_rows(model: type[Model], fields: Sequence[str], rows: list[tuple]) -> None:
    """Insert `rows` (tuples of `fields`' values, in that order) into `model`'s table within the
    caller's transaction, without building model instances: COPY on PostgreSQL, the driver's
    executemany on SQLite, bulk_create elsewhere. Leave the id out of `fields` to let the database
    number the rows (no table lock then, unlike BulkWriter); Python-side field defaults are not applied,
    so give every column that has no database default, each value of its column's Python type (COPY
    is binary on PostgreSQL)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        copy_rows(model, fields, rows, binary=True)
    elif connection.vendor == "sqlite":
        execute_many(model, fields, rows)
    else:
        model._default_manager.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
        )


def update_rows(model: type[Model], fields: Sequence[str], rows: list[tuple]) -> None:
    """Set `fields` of many rows of `model`: each row is (id, *values in the order of `fields`), each
    value of its column's Python type. On PostgreSQL the rows go by binary COPY into a temporary table
    and one UPDATE … FROM it sets them all (Django's bulk_update builds a CASE per field and row, and
    arrays of parameters are slow to send: seconds for thousands of rows); elsewhere the driver's
    executemany of one UPDATE per row."""
    if not rows:
        return
    meta = model._meta
    concrete = [_concrete(meta.get_field(f)) for f in fields]
    table = connection.ops.quote_name(meta.db_table)
    columns = [connection.ops.quote_name(f.column) for f in concrete]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [f.db_type(connection) for f in concrete]
            staged = f"kadence_update_{meta.db_table}"
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staged} (id bigint, "
                + ", ".join(f"c{i} {t}" for i, t in enumerate(types))
                + ") ON COMMIT DROP"
            )
            with cursor.copy(f"COPY {staged} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["bigint", *(str(t).split("(")[0].strip() for t in types)])
                for row in rows:
                    copy.write_row(row)
            sets = ", ".join(f"{c} = v.c{i}" for i, c in enumerate(columns))
            cursor.execute(f"UPDATE {table} AS t SET {sets} FROM {staged} AS v WHERE t.id = v.id")  # noqa: S608
            cursor.execute(f"DROP TABLE {staged}")
            return
        adapters = [_adapter(f) for f in concrete]
        sets = ", ".join(f"{c} = %s" for c in columns)
        sql = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608 - names are ours
        values = [
            (*(v if a is None or v is None else a(v) for a, v in zip(adapters, r[1:], strict=True)), r[0])
            for r in rows
        ]
        for start in range(0, len(values), 5000):
            cursor.executemany(sql, values[start : start + 5000])


def copy_rows(model: type[Model], fields: Sequence[str], rows: list[tuple], *, binary: bool = False) -> None:
    """COPY `rows` into `model`'s table (PostgreSQL); JSON columns are serialised here. `binary` sends
    PostgreSQL's binary format, typed from the columns (a tenth of the CPU of the text format, but every
    value must already be of its column's Python type: an int for an integer, a date for a date); it
    falls back to text when a column is JSON."""
    meta = model._meta
    concrete = [_concrete(meta.get_field(f)) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in concrete)
    json_at = [i for i, f in enumerate(concrete) if f.get_internal_type() == "JSONField"]
    binary = binary and not json_at
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql + (" (FORMAT BINARY)" if binary else "")) as copy:
        if binary:
            copy.set_types([str(f.db_type(connection)).split("(")[0].strip() for f in concrete])
        write = copy.write_row
        if json_at:
            for row in rows:
                values = list(row)
                for i in json_at:
                    values[i] = json.dumps(values[i], ensure_ascii=False)
                write(values)
        else:
            for row in rows:
                write(row)


# Columns whose Python values the SQLite driver stores as Django would (ints, strings, bools, None).
PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FileField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
        "URLField",
    }
)


def execute_many(model: type[Model], fields: Sequence[str], rows: list[tuple]) -> None:
    """INSERT through the driver's executemany, values adapted per column as Django's own insert
    adapts them (dates, datetimes, decimals, JSON); 10× faster than building model instances."""
    meta = model._meta
    concrete = [_concrete(meta.get_field(f)) for f in fields]
    adapters = [_adapter(f) for f in concrete]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in concrete)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608 - names are ours
        f"VALUES ({', '.join(['%s'] * len(concrete))})"
    )
    if any(adapters):
        rows = [
            tuple(v if a is None or v is None else a(v) for a, v in zip(adapters, row, strict=True))
            for row in rows
        ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _adapter(field: Any) -> Callable[[Any], Any] | None:
    """How a value of `field` is stored: as it is (None), or adapted. Dates and aware datetimes are
    written as the SQLite backend writes them (ISO text, datetimes made naive in the connection's
    time zone); the rest goes through the field's own get_db_prep_save."""
    kind = field.get_internal_type()
    if kind in PLAIN_TYPES:
        return None
    if kind == "DateField":
        return date.isoformat
    if kind == "DateTimeField" and settings.USE_TZ:
        tz = connection.timezone
        return lambda v: str(v.astimezone(tz).replace(tzinfo=None) if v.tzinfo is not None else v)
    return lambda v: field.get_db_prep_save(v, connection)


def _concrete(field: Any) -> Field:
    """A model field that has a column (every field the writer is given is one)."""
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{field} has no column")
    return field


# --- PostgreSQL: load without per-row constraint checks, then rebuild (which re-validates) --------------


@dataclass
class DroppedConstraints:
    keys: list[tuple[str, str, str]]  # (table, constraint, definition)
    indexes: list[tuple[str, str]]  # (index, definition)


def drop_constraints(cursor, tables: list[str]) -> DroppedConstraints:
    """Drop the foreign keys and the plain (non-unique) indexes of `tables` for a bulk load: checking
    each row against its parents and inserting it into every index as it arrives is what makes large
    loads slow, while building an index or validating a foreign key over the whole table at the end is
    one sort or one join. `restore_constraints` adds them back, which verifies every row. Unique indexes
    stay: they back primary keys and unique constraints."""
    # Rows written earlier in this transaction have deferred checks queued; PostgreSQL refuses to alter
    # a table with pending checks, so run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname",
        [tables],
    )
    keys = list(cursor.fetchall())
    for table, name, _definition in keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY i.indrelid, i.indexrelid",
        [tables],
    )
    indexes = list(cursor.fetchall())
    for index, _definition in indexes:
        cursor.execute(f"DROP INDEX {index}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return DroppedConstraints(keys, indexes)


def restore_constraints(cursor, dropped: DroppedConstraints) -> None:
    for _index, definition in dropped.indexes:
        cursor.execute(definition)
    for table, name, definition in dropped.keys:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")


# --- PostgreSQL: rows written without per-row foreign-key checks, their references checked at once ------


def can_skip_key_triggers(cursor, tables: list[str]) -> bool:
    """Whether rows may be written into `tables` without PostgreSQL's per-row foreign-key checks (see
    `references_checked_at_once`): PostgreSQL, the role may set session_replication_role (a superuser,
    or granted SET on it), the tables have no triggers of their own (replica mode would silence them
    too) and only single-column foreign keys."""
    if connection.vendor != "postgresql":
        return False
    cursor.execute(
        "SELECT count(*) FILTER (WHERE NOT t.tgisinternal) FROM pg_trigger t WHERE t.tgrelid = ANY(%s::regclass[])",
        [tables],
    )
    if cursor.fetchone()[0]:
        return False
    cursor.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
        "AND cardinality(conkey) <> 1",
        [tables],
    )
    if cursor.fetchone()[0]:
        return False
    granted = (  # GRANT SET ON PARAMETER exists from PostgreSQL 15 on
        "has_parameter_privilege('session_replication_role', 'SET')"
        if getattr(connection, "pg_version", 0) >= 150000
        else "false"
    )
    cursor.execute(f"SELECT rolsuper OR {granted} FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    return bool(row and row[0])


@contextmanager
def references_checked_at_once(
    cursor, written: Callable[[], Mapping[str, tuple[int, int]]]
) -> Iterator[None]:
    """Write rows in the block without PostgreSQL's per-row foreign-key checks, then check them at once.

    Each row inserted into a table with foreign keys queues one check per key, run at commit (Django's
    keys are deferred): a look-up and a FOR KEY SHARE lock of the parent row, per row and key, which is
    most of the commit of a large import. Here the block runs with session_replication_role = replica
    (no trigger fires, those checks included); after it, `written()` gives {table: (first id, last id)}
    of the rows the block wrote, and for every foreign key of those tables, set-based: the distinct
    values the rows hold must be in the parent table (else IntegrityError: the caller's transaction is
    rolled back, all or nothing), and those parent rows are locked FOR KEY SHARE (first: a parent deleted meanwhile is then
    missing) until the end of the transaction, as the per-row checks lock them (parent rows that the
    block wrote itself excepted).
    Use it only where `can_skip_key_triggers` says so; keep the block to the INSERTs."""
    cursor.execute("SHOW session_replication_role")
    before = cursor.fetchone()[0]
    cursor.execute("SET LOCAL session_replication_role = replica")
    yield  # an exception here leaves the transaction to its rollback, which resets the setting
    cursor.execute(f"SET LOCAL session_replication_role = {before}")
    check_references(cursor, written())


def check_references(cursor, written: Mapping[str, tuple[int, int]]) -> None:
    """The foreign keys of the rows of `written` ({table: (first id, last id)}) checked set-based and
    their parent rows locked FOR KEY SHARE (see `references_checked_at_once`).

    The rows written are read once per table, not twice per key: one pass collects the distinct values
    of every key column (as text, with the column's position) into a temporary table; each key's lock
    and its check of missing parents then read those few values (cast back to the parent key's type)."""
    tables = [t for t, (first, last) in written.items() if first is not None and last is not None]
    if not tables:
        return
    cursor.execute(
        "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname, c.conname, "
        "format_type(af.atttypid, af.atttypmod) "
        "FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] "
        "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
        [tables],
    )
    keys: dict[str, list[tuple[str, str, str, str, str]]] = {}
    for table, column, parent, key, name, kind in cursor.fetchall():
        keys.setdefault(table, []).append((column, parent, key, name, kind))
    quote = connection.ops.quote_name
    for table, fks in keys.items():
        first, last = written[table]
        columns = list(dict.fromkeys(column for column, *_ in fks))
        pairs = ", ".join(f"({i}, t.{quote(c)}::text)" for i, c in enumerate(columns))
        cursor.execute("DROP TABLE IF EXISTS kd_ref_values")
        cursor.execute(
            "CREATE TEMP TABLE kd_ref_values AS SELECT DISTINCT x.k, x.v "  # noqa: S608 - names from the catalog
            f"FROM {table} t CROSS JOIN LATERAL (VALUES {pairs}) AS x(k, v) "
            "WHERE t.id BETWEEN %s AND %s AND x.v IS NOT NULL",
            [first, last],
        )
        for column, parent, key, name, kind in fks:
            values = f"SELECT v::{kind} FROM kd_ref_values WHERE k = {columns.index(column)}"
            own = ""
            params: list[Any] = []
            if parent in written and key == "id":
                own = " AND p.id NOT BETWEEN %s AND %s"
                params += list(written[parent])
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {parent} p WHERE p.{quote(key)} IN ({values}){own} "
                "FOR KEY SHARE OF p) x",
                params,
            )
            cursor.execute(
                f"SELECT count(*) FROM ({values}) d(v) WHERE NOT EXISTS "
                f"(SELECT 1 FROM {parent} p WHERE p.{quote(key)} = d.v)"
            )
            missing = cursor.fetchone()[0]
            if missing:
                cursor.execute("DROP TABLE kd_ref_values")
                raise IntegrityError(
                    f'{missing} value(s) of {table}.{column} not in {parent}.{key} (foreign key "{name}")'
                )
        cursor.execute("DROP TABLE kd_ref_values")
