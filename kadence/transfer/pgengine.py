"""The set-based import engine for PostgreSQL (issue 12, "Speed"): opportunities checked and imported with a
handful of SQL statements instead of row by row in Python.

1. The file's rows go by COPY into a temporary staging table (`kd_stage`: the row number and one text
   column per mapped field), straight from the reader's stream (kadence.transfer.reader: CSV, or the
   rows python-calamine reads from a workbook).
2. Every cell is read by SQL: the dates and amounts by the SQL twins of kadence.domain.cells
   (`pg_temp.kd_date`, `pg_temp.kd_amount`, created below; tests/transfer/test_pgengine.py proves with
   generated cells that they give what the Python rules give, or the same refusal), each distinct value
   read once. The values looked up in reference lists (owners, stages, statuses, currencies, loss
   reasons, competitors, product lines…) are few: each distinct one is read by the Python engine's own
   `read_cell` (value maps, login / e-mail / name, the same messages) and the answers joined back.
   Accounts are found by credit code or name with joins on what the user sees; duplicates across the
   file and existing deals by external id with a window and a join.
3. The problems go with one INSERT … SELECT into ImportProblem with the Python engine's messages, in
   its order; an import writes the new deals, their synthesised history (the rule of
   kadence.domain.imports, as SQL over generate_series), their product lines and competitors and the
   records undo reads with INSERT … SELECT; updates of existing deals by external id go through the
   deal service as in the Python engine (audit, version, history); the new deals get their stage's
   tasks and are added to the report summaries as in the Python engine (importer.imported_deals_added).
   Where the role may, the INSERTs run without PostgreSQL's per-row foreign-key checks, checked at once
   after (kadence.core.bulk.references_checked_at_once). Everything runs in the job's one transaction.

The engine runs when the database is PostgreSQL, the kind is opportunities and the job's options are
ones it covers (`applies`); KADENCE_IMPORT_ENGINE=python forces the Python engine. Results are the same
rows, history, problems, counts and undo records as kadence.transfer.importer writes
(tests/transfer/test_pgengine.py compares the two engines on one file).
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Account
from kadence.core.bulk import can_skip_key_triggers, references_checked_at_once
from kadence.core.errors import ValidationFailed
from kadence.core.models import User
from kadence.core.validation import clean_currency, clean_money, clean_text
from kadence.core.visibility import scope_unit_ids, visible_accounts
from kadence.deals.models import OpportunityTask
from kadence.deals.services.tasks import stage_tasks_create_many
from kadence.domain.cells import SNIFF_BYTES
from kadence.domain.forecast import BOOKED, OMITTED
from kadence.pipeline.models import Opportunity, StageChange
from kadence.transfer import progress
from kadence.transfer.fields import AMOUNT, DATE, REF, REFS, TEXT, fields_of
from kadence.transfer.importer import (
    CELL_MESSAGES,
    CHANGE_GIVEN,
    OPP_GIVEN,
    Cancelled,
    Lookups,
    OpportunityImport,
    Outcome,
    Rejected,
    Row,
    _columns,
    _first_message,
    as_text,
    column_index,
    imported_deals_added,
    open_job_sheet,
    read_cell,
)
from kadence.transfer.models import ImportedRecord, ImportJob, ImportProblem
from kadence.transfer.reader import sniff_encoding

KIND = "opportunities"
# What Python's str.strip() removes (every character whose isspace() is true): btrim with this set is
# as_text / is_empty on a text cell.
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
# kadence.transfer.reader.CONTROL without the surrogates (PostgreSQL text holds none) and NUL (nor that:
# a NUL in a cell reaches the staging table as \x01, another control character)
CONTROL_CLASS = "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]"
# kadence.core.validation.CONTROL_CHARACTERS, as above
TEXT_CONTROL_CLASS = "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
N_MARK = 987654321  # stands for a number in a message template, replaced in SQL
S_MARK = "\x01mark\x01"  # stands for a text in a message template, replaced in SQL
STEP = 10_000
PROFILE = bool(os.environ.get("KADENCE_IMPORT_PROFILE"))  # each statement's time, printed
# CSV encodings PostgreSQL's COPY reads itself (the file then goes to the server as it is)
PG_ENCODINGS = {
    "utf-8": "UTF8",
    "utf-8-sig": "UTF8",
    "gb18030": "GB18030",
    "gbk": "GBK",
}  # rows between two progress reports while staging

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION pg_temp.kd_date(raw text, OUT d date, OUT err text)
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE t text; m text[]; w bigint; y int; mo int; dd int;
BEGIN
  t := btrim(normalize(raw, NFKC), '@WS@');
  IF t IS NULL OR t = '' THEN err := 'date_empty'; RETURN; END IF;
  m := regexp_match(t, '^([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:[-/.]|月)\s*([0-9]{1,2})\s*(?:日|号)?(?:[ T]\s*[0-9]{1,2}[:：][0-9]{2}(?:[:：][0-9]{2}(?:\.[0-9]+)?)?)?$');
  IF m IS NULL THEN m := regexp_match(t, '^([0-9]{4})([0-9]{2})([0-9]{2})$'); END IF;
  IF m IS NULL THEN
    IF t ~ '^[0-9]{1,7}(?:\.[0-9]+)?$' THEN
      w := trunc(t::float8);
      IF w < 1 OR w > 2958465 OR w = 60 THEN err := 'date_invalid'; RETURN; END IF;
      d := date '1899-12-30' + (w + CASE WHEN w < 60 THEN 1 ELSE 0 END)::int;
      RETURN;
    END IF;
    err := 'date_format';
    RETURN;
  END IF;
  y := m[1]::int; mo := m[2]::int; dd := m[3]::int;
  IF y < 1 OR mo < 1 OR mo > 12 OR dd < 1
     OR dd > extract(day FROM make_date(y, mo, 1) + interval '1 month' - interval '1 day') THEN
    err := 'date_invalid';
    RETURN;
  END IF;
  d := make_date(y, mo, dd);
END $f$;

CREATE OR REPLACE FUNCTION pg_temp.kd_amount(raw text, OUT a numeric, OUT err text)
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE t text; neg boolean := false; unit numeric := 1;
BEGIN
  t := btrim(normalize(raw, NFKC), '@WS@');
  IF t IS NULL OR t = '' THEN err := 'amount_empty'; RETURN; END IF;
  IF left(t, 1) = '(' AND right(t, 1) = ')' AND length(t) >= 2 THEN
    neg := true;
    t := btrim(substr(t, 2, length(t) - 2), '@WS@');
  END IF;
  t := replace(replace(t, '，', ','), ' ', '');
  IF left(t, 1) = '-' THEN neg := NOT neg; t := substr(t, 2); END IF;
  t := regexp_replace(t, '(人民币|RMB|CNY|元|¥|\$|USD)', '', 'gi');
  IF left(t, 1) = '-' AND NOT neg THEN neg := true; t := substr(t, 2); END IF;
  IF right(t, 1) = '万' THEN unit := 10000; t := left(t, -1);
  ELSIF right(t, 1) = '亿' THEN unit := 100000000; t := left(t, -1);
  END IF;
  IF t !~ '^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$|^[0-9]+(?:\.[0-9]+)?$|^\.[0-9]+$' THEN
    err := 'amount_format';
    RETURN;
  END IF;
  a := replace(t, ',', '')::numeric * unit;
  IF neg THEN a := -a; END IF;
END $f$;
"""


def create_functions(cursor: Any) -> None:
    """The SQL twins of kadence.domain.cells.parse_date and parse_amount, for this session."""
    cursor.execute(FUNCTIONS.replace("@WS@", WHITESPACE.replace("'", "''")))


# --- when --------------------------------------------------------------------------------------------


def applies(job: ImportJob) -> bool:
    """Whether this engine runs `job`: PostgreSQL in UTF-8, opportunities, the engine not forced to
    Python, and options it covers (accounts are not created on the fly; defaults are text or numbers)."""
    if settings.KADENCE_IMPORT_ENGINE != "auto" or connection.vendor != "postgresql" or job.kind != KIND:
        return False
    if job.create_accounts:
        return False
    if any(not isinstance(v, str | int) or isinstance(v, bool) for v in (job.defaults or {}).values()):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_encoding")
        return cursor.fetchone()[0].upper() in ("UTF8", "UTF-8")


# --- staging -----------------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """A cell as the staging table holds it: text as read (a NUL becomes \x01), a workbook's numbers,
    dates and times as kadence.transfer.importer.as_text writes them."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("\x00", "\x01") if "\x00" in value else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return as_text(value).replace("\x00", "\x01")


def _column(model: Any, attname: str) -> str:
    return next(f.column for f in model._meta.concrete_fields if f.attname == attname)


def _msg(call: Callable[[], Any]) -> str:
    """The message the Python engine words for a refusal (a ValidationFailed of a cleaner)."""
    try:
        call()
    except ValidationFailed as exc:
        return _first_message(exc)
    raise AssertionError("no refusal")


class Engine:
    def __init__(self, job: ImportJob, user: User, cursor: Any, commit: bool, report: Any):
        self.job, self.user, self.cursor, self.commit, self.report = job, user, cursor, commit, report
        self.fields = fields_of(KIND)
        self.ranges: dict[str, tuple[int, int]] | None = None  # ids written (see `insert`)
        self.lookups = Lookups(user, job.values or {})
        self.today = timezone.localdate()
        self.handler = OpportunityImport(job, user, self.lookups, self.today)
        self.labels = {key: str(spec.label) for key, spec in self.fields.items()}
        self.order = {key: i for i, key in enumerate(self.fields)}

    def sql(self, statement: str, params: Any = None) -> None:
        started = time.perf_counter()
        self.cursor.execute(statement, params or None)
        if PROFILE:
            print(f"{time.perf_counter() - started:7.2f} s  {' '.join(statement.split())[:150]}")

    def cancel_point(self) -> None:
        if progress.cancel_requested(self.job.pk):
            raise Cancelled

    def progress(self, phase: str, done: int, total: int) -> None:
        if self.report is not None:
            self.report(phase, done, max(total, done))

    # --- 1. staging ---

    def stage(self) -> None:
        sheet, handle = open_job_sheet(self.job)
        try:
            index = column_index(self.job, sheet.headers)
            defaults = {
                k: as_text(v)
                for k, v in (self.job.defaults or {}).items()
                if k in self.fields and as_text(v).strip(WHITESPACE)
            }
            self.keys = [k for k in self.fields if k in index or k in defaults]
            self.mapped = [k for k in self.keys if k in index]
            self.defaults = defaults
            self.sql(
                "DROP TABLE IF EXISTS kd_stage, kd_raw, kd_vals, kd_ref, kd_cells, kd_rows, kd_problems, kd_acct, kd_action"
            )
            columns = "".join(f", {k} text" for k in self.mapped)
            if self.copy_file(handle, len(sheet.headers), index):
                return self.raw_values()
            self.sql(f"CREATE TEMP TABLE kd_stage (n integer{columns})")
            positions = [index[k] for k in self.mapped]
            estimate = self.job.total_rows
            total = 0
            names = ", ".join(["n", *self.mapped])
            with self.cursor.cursor.copy(f"COPY kd_stage ({names}) FROM STDIN") as copy:
                write = copy.write_row
                for number, values in sheet.rows():
                    size = len(values)
                    write((number, *[cell_text(values[i]) if i < size else None for i in positions]))
                    total += 1
                    if total % STEP == 0:
                        self.progress("checking" if not self.commit else "writing", total // 4, estimate)
            self.total = total
        finally:
            handle.close()
        self.raw_values()

    def copy_file(self, handle: Any, width: int, index: dict[str, int]) -> bool:
        """A CSV in an encoding PostgreSQL reads, copied as it is (the floor of the speed goal): every
        column as text, the row number from the order of the records. False (and nothing staged) when
        PostgreSQL reads the file otherwise than the reader would (rows of other widths than the
        header, blank lines, NUL characters, bytes not in the encoding): the reader's rows go then."""
        job = self.job
        if job.file_type != "csv" or width == 0:
            return False
        encoding = job.encoding or sniff_encoding(handle)
        server = PG_ENCODINGS.get(encoding)
        if server is None:
            return False
        handle.seek(0)
        first = handle.readline(SNIFF_BYTES).decode(encoding, errors="replace").split("\n", 1)[0]
        try:
            delimiter = csv.Sniffer().sniff(first or ",", ",;\t|").delimiter
        except csv.Error:
            delimiter = ","
        handle.seek(0)
        columns = [f"c{i}" for i in range(width)]
        try:
            with transaction.atomic():
                self.sql(
                    "CREATE TEMP TABLE kd_file (n integer GENERATED ALWAYS AS IDENTITY, "
                    + ", ".join(f"{c} text" for c in columns)
                    + ")"
                )
                with self.cursor.cursor.copy(
                    f"COPY kd_file ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, HEADER true, "
                    f"DELIMITER {self.quote(delimiter)}, ENCODING {self.quote(server)})"
                ) as copy:
                    while block := handle.read(1 << 20):
                        copy.write(block)
        except DatabaseError:
            return False
        # a row of empty cells is no row (kadence.transfer.reader.Sheet.rows), but it is numbered
        chosen = "".join(f", c{index[k]} AS {k}" for k in self.mapped)
        something = " OR ".join(f"coalesce({c}, '') <> ''" for c in columns)
        # a view, not a table: kd_raw reads the file's rows once (raw_values), nothing written between
        self.sql(f"CREATE TEMP VIEW kd_stage AS SELECT n + 1 AS n{chosen} FROM kd_file WHERE {something}")
        self.staged_file = True
        return True

    def raw_values(self) -> None:
        """kd_raw: the values as the Python engine reads them: an empty cell is None, a default fills it."""
        defaults = self.defaults
        ws = self.quote(WHITESPACE)
        parts = []
        for k in self.keys:
            default = self.quote(defaults[k]) if k in defaults else "NULL"
            if k in self.mapped and k not in defaults:  # (one btrim: without a default no def_)
                parts.append(f"CASE WHEN btrim({k}, {ws}) <> '' THEN {k} END AS {k}, false AS def_{k}")
            elif k in self.mapped:
                parts.append(f"CASE WHEN btrim({k}, {ws}) <> '' THEN {k} ELSE {default} END AS {k}")
                parts.append(f"({k} IS NULL OR btrim({k}, {ws}) = '') AND {default} IS NOT NULL AS def_{k}")
            else:
                parts.append(f"{default}::text AS {k}, true AS def_{k}")
        self.sql(f"CREATE TEMP TABLE kd_raw AS SELECT n, {', '.join(parts)} FROM kd_stage")
        if getattr(self, "staged_file", False):
            self.sql("DROP VIEW kd_stage")
            self.sql("DROP TABLE kd_file")
            self.sql("SELECT count(*) FROM kd_raw")
            self.total = self.cursor.fetchone()[0]
        else:
            self.sql("DROP TABLE kd_stage")

    @staticmethod
    def quote(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    # --- 2. cells ---

    def read_lookups(self) -> None:
        """Each distinct value of a looked-up field, read by the Python engine's read_cell."""
        self.sql(
            "CREATE TEMP TABLE kd_ref (field text, raw text, ok boolean, id bigint, unit bigint, word text, "
            "ids bigint[], msg text, seq integer)"
        )
        looked = [
            k for k in self.keys if self.fields[k].read in (REF, REFS) and self.fields[k].ref != "account"
        ]
        if "currency" in self.keys:
            looked.append("currency")
        rows = []
        for key in looked:
            spec = self.fields[key]
            self.sql(f"SELECT DISTINCT {key} FROM kd_raw WHERE {key} IS NOT NULL")
            for (raw,) in self.cursor.fetchall():
                rows.append(self._read_one(key, spec, raw))
        if rows:
            with self.cursor.cursor.copy(
                "COPY kd_ref (field, raw, ok, id, unit, word, ids, msg, seq) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        self.sql("CREATE INDEX ON kd_ref (field, raw)")
        self.sql("ANALYZE kd_ref")

    def _read_one(self, key: str, spec: Any, raw: str) -> tuple:
        try:
            value = read_cell(spec, raw, self.lookups, self.labels[key])
        except ValueError as exc:
            return (key, raw, False, None, None, None, None, str(exc), self.order[key])
        if key == "currency":
            try:
                return (key, raw, True, None, None, clean_currency(value), None, None, None)
            except ValidationFailed as exc:
                return (key, raw, False, None, None, None, None, _first_message(exc), 108)
        if spec.read == REFS:
            return (key, raw, True, None, None, None, list(dict.fromkeys(value)), None, None)
        if isinstance(value, User):
            return (key, raw, True, value.pk, value.org_unit_id, None, None, None, None)
        if isinstance(value, int):
            return (key, raw, True, value, None, None, None, None, None)
        if isinstance(value, str):
            return (key, raw, True, None, None, value, None, None, None)
        return (key, raw, True, value.pk, None, None, None, None, None)  # a stage

    def read_cells(self) -> None:
        """Dates and amounts by their SQL twins, each distinct value once."""
        dates = [k for k in self.keys if self.fields[k].read == DATE]
        amounts = [k for k in self.keys if self.fields[k].read == AMOUNT]
        self.sql("CREATE TEMP TABLE kd_cells (kind text, raw text, d date, a numeric, err text)")
        if dates:
            union = " UNION ".join(f"SELECT {k} FROM kd_raw WHERE {k} IS NOT NULL" for k in dates)
            self.sql(
                "INSERT INTO kd_cells SELECT 'd', v, x.d, NULL, x.err "  # (the function once a value)
                f"FROM (SELECT DISTINCT v FROM ({union}) AS y(v)) AS u(v), LATERAL pg_temp.kd_date(v) AS x"
            )
        if amounts:
            union = " UNION ".join(f"SELECT {k} FROM kd_raw WHERE {k} IS NOT NULL" for k in amounts)
            self.sql(
                "INSERT INTO kd_cells SELECT 'a', v, NULL, x.a, x.err FROM "
                f"(SELECT DISTINCT v FROM ({union}) AS y(v)) AS u(v), LATERAL pg_temp.kd_amount(v) AS x"
            )
        self.sql("CREATE INDEX ON kd_cells (kind, raw)")
        self.sql("ANALYZE kd_cells")

    # --- 3. rows ---

    def build_rows(self) -> None:
        """kd_rows: every row's values as the Python engine stores them, and kd_problems its problems."""
        h = self.handler
        ws = self.quote(WHITESPACE)
        select = ["r.n"]
        joins = []
        present = set(self.keys)
        for k in self.fields:
            spec = self.fields[k]
            if k not in present:
                if spec.read == REFS:
                    select.append(f"NULL::bigint[] AS {k}")
                elif spec.read == DATE:
                    select += [f"NULL::date AS {k}", f"NULL::text AS {k}_err", f"false AS def_{k}"]
                elif spec.read == AMOUNT:
                    select += [f"NULL::numeric AS {k}", f"NULL::text AS {k}_err"]
                elif k == "owner":
                    select += [
                        "NULL::bigint AS owner",
                        "NULL::bigint AS owner_unit",
                        "NULL::text AS owner_msg",
                    ]
                elif spec.ref in ("stage",):
                    select += [f"NULL::bigint AS {k}", f"NULL::text AS {k}_word", f"NULL::text AS {k}_msg"]
                elif k == "status":  # the status as read is status_word; status is the deal's
                    select += ["NULL::text AS status_word", "NULL::text AS status_msg"]
                elif spec.read == REF and spec.ref != "account":
                    select += [f"NULL::bigint AS {k}", f"NULL::text AS {k}_word", f"NULL::text AS {k}_msg"]
                elif k == "currency":
                    select += [
                        "NULL::text AS currency",
                        "NULL::text AS currency_msg",
                        "NULL::int AS currency_seq",
                    ]
                elif spec.read == TEXT:
                    select.append(f"NULL::text AS {k}")
                select.append(f"NULL::text AS raw_{k}")
                continue
            select.append(f"r.{k} AS raw_{k}")
            if spec.read == DATE:
                joins.append(f"LEFT JOIN kd_cells c_{k} ON c_{k}.kind = 'd' AND c_{k}.raw = r.{k}")
                select += [f"c_{k}.d AS {k}", f"c_{k}.err AS {k}_err", f"r.def_{k} AS def_{k}"]
            elif spec.read == AMOUNT:
                joins.append(f"LEFT JOIN kd_cells c_{k} ON c_{k}.kind = 'a' AND c_{k}.raw = r.{k}")
                select += [f"c_{k}.a AS {k}", f"c_{k}.err AS {k}_err"]
            elif k == "currency":
                joins.append(f"LEFT JOIN kd_ref f_{k} ON f_{k}.field = '{k}' AND f_{k}.raw = r.{k}")
                select += [f"f_{k}.word AS {k}", f"f_{k}.msg AS {k}_msg", f"f_{k}.seq AS {k}_seq"]
            elif spec.read == REFS:
                joins.append(f"LEFT JOIN kd_ref f_{k} ON f_{k}.field = '{k}' AND f_{k}.raw = r.{k}")
                select += [f"f_{k}.ids AS {k}", f"f_{k}.msg AS {k}_msg"]
            elif spec.read == REF and spec.ref != "account":
                joins.append(f"LEFT JOIN kd_ref f_{k} ON f_{k}.field = '{k}' AND f_{k}.raw = r.{k}")
                if k == "owner":
                    select += [
                        "f_owner.id AS owner",
                        "f_owner.unit AS owner_unit",
                        "f_owner.msg AS owner_msg",
                    ]
                elif k == "status":
                    select += ["f_status.word AS status_word", "f_status.msg AS status_msg"]
                else:
                    select += [f"f_{k}.id AS {k}", f"f_{k}.word AS {k}_word", f"f_{k}.msg AS {k}_msg"]
            elif spec.read == TEXT:
                select.append(f"btrim(r.{k}, {ws}) AS {k}")
        # the values as read, not stored: kd_rows below reads them once
        values = f"SELECT {', '.join(select)} FROM kd_raw r {' '.join(joins)}"
        # the derived values (OpportunityImport.read): status, stage, closed date, expected close date
        open_ids = [s.pk for s in h.open_stages]
        first_open = open_ids[0]
        self.sql(
            f"""
            CREATE TEMP TABLE kd_rows AS
            SELECT v.*, s.status,
                   CASE WHEN s.status = 'won' THEN {h.won_stage.pk}
                        ELSE coalesce(v.stage, {first_open}) END AS stage_id,
                   CASE WHEN s.status <> 'open' THEN coalesce(v.closed_on, v.expected_close_date)
                   END AS closed,
                   CASE WHEN s.status <> 'open'
                        THEN CASE WHEN v.def_expected_close_date OR v.expected_close_date IS NULL
                                  THEN coalesce(v.closed_on, v.expected_close_date)
                                  ELSE v.expected_close_date END
                        ELSE v.expected_close_date END AS expected,
                   ''::text AS action
            FROM ({values}) v,
                 LATERAL (SELECT coalesce(v.status_word, v.stage_word, 'open') AS status) s
            """
        )
        self.sql("DROP TABLE kd_raw")
        self.sql("CREATE UNIQUE INDEX ON kd_rows (n)")
        self.problems()

    def problems(self) -> None:
        h = self.handler
        self.sql("CREATE TEMP TABLE kd_problems (n integer, seq integer, key text, value text, message text)")
        label = self.labels
        control = self.quote(CONTROL_CLASS)
        ws = self.quote(WHITESPACE)

        def shown(expr: str) -> str:
            return f"left(regexp_replace(btrim(coalesce({expr}, ''), {ws}), {control}, '', 'g'), 500)"

        # every rule a branch of one lateral UNION ALL: one pass over the rows, a value and a message
        # computed only where the rule finds a problem
        branches: list[str] = []
        params: list[Any] = []

        def add(
            where: str, key: str, message: str, seq: int | str, value: str | None = None, msg_sql: str = ""
        ) -> None:
            text = msg_sql or "%s"
            params.extend([] if msg_sql else [message[:500]])
            branches.append(
                f"SELECT {seq} AS seq, '{key}' AS key, {value or shown('r.raw_' + key)} AS value, "
                f"left({text}, 500) AS message WHERE {where}"
            )

        required = _("%(field)s is required.")
        for key, spec in self.fields.items():
            seq = self.order[key]
            if spec.ref == "account":
                continue
            if spec.required:
                add(f"raw_{key} IS NULL", key, required % {"field": spec.label}, seq)
            if key not in self.keys:
                continue
            if spec.read == DATE or spec.read == AMOUNT:
                for code, words in CELL_MESSAGES.items():
                    add(f"{key}_err = '{code}'", key, words(), seq)
                if spec.read == AMOUNT:
                    for bad, cond in (
                        (Decimal(-1), f"{key} < 0"),
                        (Decimal("1e12"), f"{key} >= 0 AND round({key}, 2) >= 1e12"),
                    ):
                        add(cond, key, _msg(partial(clean_money, bad, key)), seq)
            elif key == "currency":
                add("r.currency_msg IS NOT NULL", key, "", "r.currency_seq", msg_sql="r.currency_msg")
            elif spec.read in (REF, REFS):
                add(f"{key}_msg IS NOT NULL", key, "", seq, msg_sql=f"{key}_msg")
            elif spec.read == TEXT:
                lab = label[key]
                most = spec.max_length
                control_text = _msg(partial(clean_text, "\x01", key, most, label=lab, multiline=True))
                long_text = _msg(
                    partial(clean_text, "x" * (most + 1), key, most, label=lab, multiline=True)
                ).replace(str(spec.max_length + 1), str(N_MARK), 1)
                bad_char = f"{key} ~ {self.quote(TEXT_CONTROL_CLASS)}"
                add(bad_char, key, control_text, seq)
                add(
                    f"NOT ({bad_char}) AND char_length({key}) > {spec.max_length}",
                    key,
                    "",
                    seq,
                    msg_sql=f"replace({self.quote(long_text)}, '{N_MARK}', char_length({key})::text)",
                )
        # OpportunityImport.read: the rules between the cells
        add(
            "owner IS NULL AND owner_msg IS NULL",
            "owner",
            required % {"field": self.fields["owner"].label},
            101,
        )
        add(
            "status <> 'open' AND closed IS NULL",
            "closed_on",
            _("A won or lost deal needs its closed date."),
            103,
        )
        add(
            f"status <> 'open' AND closed > '{self.today.isoformat()}'",
            "closed_on",
            _("A deal cannot have closed after today."),
            103,
            value="closed::text",
        )
        add(
            "status = 'open' AND expected IS NULL AND expected_close_date_err IS NULL",
            "expected_close_date",
            required % {"field": self.fields["expected_close_date"].label},
            104,
        )
        add(
            f"created > '{self.today.isoformat()}'",
            "created",
            _("A deal cannot be created after today."),
            105,
            value="created::text",
        )
        for seq, key in ((106, "loss_reason"), (107, "winning_competitor")):
            add(
                f"status <> 'lost' AND {key} IS NOT NULL",
                key,
                _("Only a lost deal has a loss reason or a winning competitor."),
                seq,
            )
        del h
        self.sql(
            "INSERT INTO kd_problems SELECT r.n, x.seq, x.key, x.value, x.message FROM kd_rows r "
            f"CROSS JOIN LATERAL ({' UNION ALL '.join(branches)}) x",
            params,
        )

    # --- 4. matching ---

    def match(self) -> None:
        """Accounts (AccountRefs.resolve), then duplicates and existing deals by external id
        (OpportunityImport.match)."""
        accounts, account_params = (
            visible_accounts(self.user).values("id", "name", "credit_code").query.sql_with_params()
        )
        self.sql(f"CREATE TEMP TABLE kd_accounts AS {accounts}", account_params)
        self.sql(
            """
            CREATE TEMP TABLE kd_by_code AS SELECT credit_code, min(id) AS id FROM kd_accounts
            WHERE credit_code <> '' GROUP BY credit_code;
            CREATE TEMP TABLE kd_by_name AS SELECT name, min(id) AS id, count(*) AS found FROM kd_accounts
            GROUP BY name
            """
        )
        ws = self.quote(WHITESPACE)
        # the credit code as read (none when its cell was refused), the account's name as written
        code = (
            "CASE WHEN NOT EXISTS (SELECT 1 FROM kd_problems p WHERE p.n = r.n AND p.key = 'credit_code') "
            "THEN nullif(r.credit_code, '') END"
            if "credit_code" in self.keys
            else "NULL::text"
        )
        name = f"nullif(btrim(r.raw_account, {ws}), '')" if "account" in self.keys else "NULL::text"
        self.sql(
            f"""
            CREATE TEMP TABLE kd_acct AS
            SELECT x.n, x.raw_account, coalesce(c.id, CASE WHEN m.found = 1 THEN m.id END) AS account_id,
                   coalesce(x.name, x.code) AS account_name,
                   CASE WHEN c.id IS NULL AND m.found > 1 THEN 'ambiguous' ELSE '' END AS action
            FROM (SELECT r.n, r.raw_account, {code} AS code, {name} AS name FROM kd_rows r) x
            LEFT JOIN kd_by_code c ON c.credit_code = x.code
            LEFT JOIN kd_by_name m ON m.name = x.name AND c.id IS NULL
            """
        )
        self.sql("CREATE UNIQUE INDEX ON kd_acct (n)")
        self.sql("ANALYZE kd_acct")
        for table in ("kd_accounts", "kd_by_code", "kd_by_name"):
            self.sql(f"DROP TABLE {table}")
        self.sql(
            "INSERT INTO kd_problems SELECT n, 200, 'account', "
            f"left(regexp_replace(btrim(coalesce(raw_account, ''), {ws}), {self.quote(CONTROL_CLASS)}, '', 'g'), 500), "
            "%s FROM kd_acct WHERE action = 'ambiguous'",
            [_("Several accounts have this name: give the credit code.")],
        )
        missing = _(
            "No account you can see is called “%(name)s”: import the accounts first, or choose to create them."
        ) % {"name": S_MARK}
        self.sql(
            "INSERT INTO kd_problems SELECT n, 201, 'account', "
            f"left(regexp_replace(btrim(coalesce(raw_account, ''), {ws}), {self.quote(CONTROL_CLASS)}, '', 'g'), 500), "
            "left(replace(%s, %s, account_name), 500) FROM kd_acct "
            "WHERE action = '' AND account_id IS NULL AND account_name IS NOT NULL",
            [missing, S_MARK],
        )
        self.sql(
            "INSERT INTO kd_problems SELECT n, 200, 'account', '', %s FROM kd_acct "
            "WHERE action = '' AND account_id IS NULL AND account_name IS NULL",
            [_("%(field)s is required.") % {"field": _("Account")}],
        )
        self.sql("CREATE INDEX ON kd_problems (n)")
        self.sql("ANALYZE kd_problems")
        # rows good so far: duplicates across the file, then the deal each names
        ext = "external_id" if "external_id" in self.keys else "NULL::text"
        self.sql(
            f"""
            CREATE TEMP TABLE kd_good AS
            SELECT n, key, CASE WHEN key IS NULL THEN n ELSE min(n) OVER (PARTITION BY key) END AS first
            FROM (SELECT r.n, nullif(r.{ext}, '') AS key, r.owner_unit FROM kd_rows r
                  WHERE NOT EXISTS (SELECT 1 FROM kd_problems p WHERE p.n = r.n)) g
            """
        )
        same = _("The same deal as row %(row)s.") % {"row": S_MARK}
        self.sql(
            f"""
            INSERT INTO kd_problems
            SELECT n, 300, 'external_id', left(regexp_replace(key, {self.quote(CONTROL_CLASS)}, '', 'g'), 500),
                   left(replace(%s, %s, first::text), 500)
            FROM kd_good WHERE n > first
            """,
            [same, S_MARK],
        )
        self.sql(
            f"""
            CREATE TEMP TABLE kd_found AS
            SELECT o.external_id AS key, min(o.id) AS id, count(*) AS found, min(o.owner_id) AS owner_id,
                   min(o.team_id) AS team_id, min(o.status) AS status
            FROM {Opportunity._meta.db_table} o
            WHERE o.external_id IN (SELECT key FROM kd_good WHERE key IS NOT NULL)
            GROUP BY o.external_id
            """
        )
        scope = scope_unit_ids(self.user)
        everything = scope is None  # kadence.core.visibility.ALL: an admin
        units = sorted(scope or ())

        def in_scope(team: str) -> str:
            return "true" if everything else f"coalesce({team} = ANY(%(units)s), false)"

        mode = self.job.on_duplicate
        params = {"units": units, "user": self.user.pk, "mode": mode}
        self.sql(
            f"""
            CREATE TEMP TABLE kd_action AS
            SELECT g.n, f.id AS found_id, f.status AS found_status, r.owner_unit, r.raw_external_id, r.raw_owner,
                   CASE WHEN f.id IS NULL THEN 'create'
                        WHEN f.found > 1 THEN 'ambiguous'
                        WHEN NOT (f.owner_id = %(user)s OR {in_scope("f.team_id")}) THEN 'foreign'
                        ELSE %(mode)s END AS action
            FROM kd_good g JOIN kd_rows r ON r.n = g.n LEFT JOIN kd_found f ON f.key = g.key
            WHERE g.n = g.first
            """,
            params,
        )
        for action, seq, message in (
            ("ambiguous", 301, _("Several deals have this external id.")),
            ("foreign", 302, _("This deal exists and is not in your units.")),
        ):
            self.sql(
                f"INSERT INTO kd_problems SELECT n, {seq}, 'external_id', "
                f"left(regexp_replace(btrim(coalesce(raw_external_id, ''), {ws}), {self.quote(CONTROL_CLASS)}, '', 'g'), 500), "
                f"%(message)s FROM kd_action WHERE action = '{action}'",
                {"message": message},
            )
        self.sql(
            "INSERT INTO kd_problems SELECT n, 303, 'owner', "
            f"left(regexp_replace(btrim(coalesce(raw_owner, ''), {ws}), {self.quote(CONTROL_CLASS)}, '', 'g'), 500), "
            f"%(message)s FROM kd_action WHERE action = 'create' AND NOT {in_scope('owner_unit')}",
            {"message": _("You can only import deals for people in your own units."), **params},
        )
        self.sql(
            "INSERT INTO kd_problems SELECT n, 304, 'external_id', "
            f"left(regexp_replace(btrim(coalesce(raw_external_id, ''), {ws}), {self.quote(CONTROL_CLASS)}, '', 'g'), 500), "
            "%(message)s FROM kd_action WHERE action = 'update' AND found_status <> 'open'",
            {"message": _("This deal is closed; an import does not change a closed deal.")},
        )
        self.sql("DROP TABLE kd_good, kd_found")
        self.sql("DELETE FROM kd_action a WHERE EXISTS (SELECT 1 FROM kd_problems p WHERE p.n = a.n)")
        self.sql("CREATE UNIQUE INDEX ON kd_action (n)")
        self.sql("ANALYZE kd_action")

    # --- 5. the outcome ---

    def outcome(self) -> tuple[int, int, dict[str, int]]:
        self.sql("SELECT count(*), count(DISTINCT n) FROM kd_problems")
        problems, bad = self.cursor.fetchone()
        self.sql("SELECT action, count(*) FROM kd_action GROUP BY action")
        counts = {action: count for action, count in self.cursor.fetchall() if count}
        return bad, problems, counts

    def record_problems(self) -> None:
        columns = self.job.columns or {}
        self.sql("DROP TABLE IF EXISTS kd_columns")
        self.sql("CREATE TEMP TABLE kd_columns (key text, name text)")
        self.cursor.executemany(
            "INSERT INTO kd_columns VALUES (%s, %s)",
            [(key, (columns.get(key) or str(spec.label))[:200]) for key, spec in self.fields.items()],
        )
        self.sql(
            f"""
            INSERT INTO {ImportProblem._meta.db_table} (job_id, "row", "column", value, message)
            SELECT %s, p.n, coalesce(c.name, left(p.key, 200)), p.value, p.message
            FROM kd_problems p LEFT JOIN kd_columns c ON c.key = p.key ORDER BY p.n, p.seq
            """,
            [self.job.pk],
        )

    def reject_if_bad(self) -> None:
        self.sql("SELECT n, message FROM kd_problems ORDER BY n, seq LIMIT 1")
        first = self.cursor.fetchone()
        if first is not None and not self.job.skip_invalid:
            raise Rejected(
                _("Row %(row)s: %(problem)s Nothing was imported.") % {"row": first[0], "problem": first[1]}
            )

    # --- 6. writing ---

    def write(self) -> dict[str, int]:
        h = self.handler
        counts: dict[str, int] = {}
        opp_table = Opportunity._meta.db_table
        change_table = StageChange._meta.db_table
        pl = Opportunity.product_lines.through
        comp = Opportunity.competitors.through
        record_table = ImportedRecord._meta.db_table
        self.sql(
            f"LOCK TABLE {opp_table}, {change_table}, {pl._meta.db_table}, {comp._meta.db_table}, "
            f"{record_table} IN SHARE ROW EXCLUSIVE MODE"
        )
        # the process: open stage j (1-based) with its entry level
        stages = []
        for j, stage in enumerate(h.open_stages, start=1):
            level = h.entry.get(stage.pk, h.floor)
            stages.append(
                (
                    j,
                    stage.pk,
                    stage.name_zh,
                    stage.name_en,
                    level.pk,
                    level.probability,
                    level.default_forecast_category,
                )
            )
        self.sql(
            "CREATE TEMP TABLE kd_steps (j integer, stage_id bigint, name_zh text, name_en text, level_id bigint, "
            "probability numeric, category text)"
        )
        self.cursor.executemany("INSERT INTO kd_steps VALUES (%s, %s, %s, %s, %s, %s, %s)", stages)
        n_open = len(h.open_stages)
        today = self.today.isoformat()
        tz = timezone.get_current_timezone_name()
        # the deal: its step, level, category and the days of its synthesised history (domain.imports)
        self.sql(
            f"""
            CREATE TEMP TABLE kd_new AS
            SELECT r.*, x.account_id, nextval(pg_get_serial_sequence('{opp_table}', 'id')) AS opp_id,
                   coalesce(st.j, {n_open}) AS step0,
                   CASE WHEN r.status = 'won' THEN {h.won_level.pk} WHEN r.status = 'lost' THEN {h.lost_level.pk}
                        ELSE st.level_id END AS level_id,
                   CASE WHEN r.status = 'won' THEN {h.won_level.probability}
                        WHEN r.status = 'lost' THEN {h.lost_level.probability} ELSE st.probability END AS probability,
                   CASE WHEN r.status = 'won' THEN '{BOOKED}' WHEN r.status = 'lost' THEN '{OMITTED}'
                        ELSE coalesce(r.forecast_category_word, st.category) END AS category
            FROM kd_rows r JOIN kd_action a ON a.n = r.n AND a.action = 'create'
            JOIN kd_acct x ON x.n = r.n
            LEFT JOIN kd_steps st ON st.stage_id = r.stage_id
            """
        )
        self.sql(
            f"""
            CREATE TEMP TABLE kd_days AS
            SELECT n, opp_id, status, k, start, last,
                   CASE WHEN status = 'won' THEN last - start ELSE entered_day - start END AS span,
                   CASE WHEN status = 'won' THEN {n_open} ELSE greatest(k - 1, 1) END AS parts,
                   CASE WHEN status = 'won' THEN {n_open} ELSE k END AS m,
                   CASE WHEN status = 'won' THEN last ELSE greatest(last, entered_day) END AS close_day
            FROM (
              SELECT b.*, CASE WHEN entered IS NULL THEN start + ((last - start) * (k - 1)) / k
                               ELSE least(greatest(entered, start), last) END AS entered_day
              FROM (
                SELECT a.*, greatest(CASE WHEN status <> 'open' AND closed2 IS NOT NULL THEN closed2
                                          ELSE DATE '{today}' END, start) AS last
                FROM (
                  SELECT n, opp_id, status, closed2, entered,
                         CASE WHEN status = 'won' THEN {n_open} ELSE least(greatest(step0, 1), {n_open}) END AS k,
                         least(CASE WHEN entered < least(coalesce(created, entered, closed2, DATE '{today}'), DATE '{today}')
                                    THEN entered
                                    ELSE least(coalesce(created, entered, closed2, DATE '{today}'), DATE '{today}') END,
                               DATE '{today}') AS start
                  FROM (SELECT n, opp_id, status, step0, created,
                               CASE WHEN (CASE WHEN status <> 'open' THEN closed ELSE closed_on END) > DATE '{today}'
                                    THEN DATE '{today}'
                                    ELSE (CASE WHEN status <> 'open' THEN closed ELSE closed_on END) END AS closed2,
                               CASE WHEN stage_entered_on > DATE '{today}' THEN DATE '{today}'
                                    ELSE stage_entered_on END AS entered
                        FROM kd_new) z
                ) a
              ) b
            ) c
            """
        )
        # the passages: open steps 1..m, then the closing one (won / lost) at index m
        moment = f"((day + time '09:00') AT TIME ZONE '{tz}') + i * interval '1 second'"
        self.sql(
            f"""
            CREATE TEMP TABLE kd_pass AS
            SELECT u.*, {moment} AS at FROM (
                SELECT d.n, d.opp_id, g.j AS i, g.j + 1 AS j, d.start + (d.span * g.j) / d.parts AS day,
                       'open'::text AS status,
                       CASE WHEN g.j > 0 THEN d.start + (d.span * (g.j - 1)) / d.parts END AS prev_day
                FROM kd_days d, generate_series(0, d.m - 1) AS g(j)
                UNION ALL
                SELECT d.n, d.opp_id, d.m, 0, d.close_day, d.status,
                       d.start + (d.span * (d.m - 1)) / d.parts
                FROM kd_days d WHERE d.status <> 'open'
            ) u
            """
        )
        for table, key in (("kd_new", "n"), ("kd_days", "n"), ("kd_pass", "n, i")):
            self.sql(f"CREATE UNIQUE INDEX ON {table} ({key})")
            self.sql(f"ANALYZE {table}")
        opp_columns = _columns(Opportunity, OPP_GIVEN)
        account_name = "a.name"
        ext = "coalesce(r.external_id, '')"
        name = "r.name" if "name" in self.keys else "NULL::text"
        given = {
            "id": "r.opp_id",
            "name": f"coalesce(nullif({name}, ''), left(concat_ws(' ', nullif({account_name}, ''), nullif({ext}, '')), 200))",
            "account_id": "r.account_id",
            "owner_id": "r.owner",
            "team_id": "r.owner_unit",
            "template_id": str(h.template.pk),
            "stage_id": "r.stage_id",
            "level_id": "r.level_id",
            "probability": "r.probability",
            "amount": "round(r.amount, 2)",
            "currency": "coalesce(r.currency, 'CNY')",
            "expected_close_date": "r.expected",
            "forecast_category": "r.category",
            "status": "r.status",
            "loss_reason_id": "r.loss_reason",
            "winning_competitor_id": "r.winning_competitor",
            "closed_on": "CASE WHEN r.status <> 'open' THEN r.closed END",
            "staging_flag": "''",
            "description": "coalesce(r.description, '')" if "description" in self.keys else "''",
            "next_step": "coalesce(r.next_step, '')" if "next_step" in self.keys else "''",
            "external_id": ext,
            "stage_entered_at": "e.at",
            "created_at": "c.at",
            "updated_at": "%(now)s",
            "version": "1",
            "stall_close_pushes": "0",
        }
        params: dict[str, Any] = {
            "now": timezone.now(),
            "user": self.user.pk,
            "job": self.job.pk,
            "reason": h.reason,
        }
        select = []
        for column in opp_columns:
            if column in given:
                select.append(given[column])
            else:
                select.append(self._default(Opportunity, column, params))
        columns = ", ".join(connection.ops.quote_name(_column(Opportunity, c)) for c in opp_columns)
        tables = [
            m._meta.db_table for m in (Opportunity, StageChange, pl, comp, ImportedRecord, OpportunityTask)
        ]
        # the rows go in without PostgreSQL's per-row foreign-key checks where it may, checked at once after
        self.ranges = {} if can_skip_key_triggers(self.cursor, tables) else None
        guard = (
            references_checked_at_once(self.cursor, lambda: self.ranges or {})
            if self.ranges is not None
            else nullcontext()
        )
        with guard:
            created = self.insert(
                f"""
                INSERT INTO {opp_table} ({columns})
                SELECT {", ".join(select)}
                FROM kd_new r
                JOIN {Account._meta.db_table} a ON a.id = r.account_id
                JOIN kd_days d ON d.n = r.n
                JOIN kd_pass c ON c.n = r.n AND c.i = 0
                JOIN kd_pass e ON e.n = r.n AND e.i = CASE WHEN r.status = 'won' THEN d.m ELSE d.m - 1 END
                ORDER BY r.n
                """,
                params,
            )
            change_columns = [c for c in _columns(StageChange, CHANGE_GIVEN) if c != "id"]
            won_stage = h.won_stage
            given = {
                "opportunity_id": "p.opp_id",
                "kind": f"""CASE WHEN p.status = 'won' THEN '{StageChange.Kind.WON}' WHEN p.status = 'lost'
                                 THEN '{StageChange.Kind.LOST}' WHEN p.i = 0 THEN '{StageChange.Kind.CREATED}'
                                 ELSE '{StageChange.Kind.ADVANCED}' END""",
                "from_stage_id": "f.stage_id",
                "to_stage_id": f"CASE WHEN p.status = 'won' THEN {won_stage.pk} WHEN p.status = 'lost' THEN r.stage_id ELSE t.stage_id END",
                "from_stage_name": "coalesce(f.name_zh, '')",
                "to_stage_name": "CASE WHEN p.status = 'won' THEN %(won_zh)s WHEN p.status = 'lost' THEN ls.name_zh ELSE t.name_zh END",
                "from_stage_name_en": "coalesce(f.name_en, '')",
                "to_stage_name_en": "CASE WHEN p.status = 'won' THEN %(won_en)s WHEN p.status = 'lost' THEN ls.name_en ELSE t.name_en END",
                "from_level_id": "f.level_id",
                "to_level_id": f"CASE WHEN p.status = 'won' THEN {h.won_level.pk} WHEN p.status = 'lost' THEN {h.lost_level.pk} ELSE t.level_id END",
                "probability": f"CASE WHEN p.status = 'won' THEN {h.won_level.probability} WHEN p.status = 'lost' THEN {h.lost_level.probability} ELSE t.probability END",
                "amount": "round(r.amount, 2)",
                "currency": "coalesce(r.currency, 'CNY')",
                "expected_close_date": "r.expected",
                "status": "p.status",
                "days_in_from_stage": "CASE WHEN p.i > 0 THEN p.day - p.prev_day END",
                "changed_by_id": "%(user)s",
                "changed_at": "p.at",
                "reason": "%(reason)s",
                "overridden": "false",
                "overridden_criteria": "'[]'::jsonb",
                "owner_id": "r.owner",
                "team_id": "r.owner_unit",
                "forecast_category": f"""CASE WHEN p.status = 'won' THEN '{BOOKED}' WHEN p.status = 'lost' THEN '{OMITTED}'
                                              WHEN r.status = 'open' AND p.i = d.m - 1 THEN r.category
                                              ELSE t.category END""",
            }
            params.update(won_zh=won_stage.name_zh, won_en=won_stage.name_en)
            select = [
                given[c] if c in given else self._default(StageChange, c, params) for c in change_columns
            ]
            columns = ", ".join(connection.ops.quote_name(_column(StageChange, c)) for c in change_columns)
            self.insert(
                f"""
                INSERT INTO {change_table} ({columns})
                SELECT {", ".join(select)}
                FROM kd_pass p
                JOIN kd_new r ON r.n = p.n
                JOIN kd_days d ON d.n = p.n
                LEFT JOIN kd_steps t ON t.j = p.j
                LEFT JOIN kd_steps f ON f.j = CASE WHEN p.j = 0 THEN d.m ELSE p.j - 1 END
                LEFT JOIN kd_steps ls ON ls.stage_id = r.stage_id
                ORDER BY p.n, p.i
                """,
                params,
            )
            for through, key, target in (
                (pl, "product_lines", "productline_id"),
                (comp, "competitors", "competitor_id"),
            ):
                if key not in self.keys:
                    continue
                self.insert(
                    f"""
                    INSERT INTO {through._meta.db_table} (opportunity_id, {target})
                    SELECT r.opp_id, x.id FROM kd_new r,
                    LATERAL (SELECT id, min(o) AS o FROM unnest(r.{key}) WITH ORDINALITY AS u(id, o) GROUP BY id) x
                    ORDER BY r.n, x.o
                    """
                )
            self.insert(
                f"""
                INSERT INTO {record_table} (job_id, entity, object_id, action, before, version)
                SELECT %(job)s, %(entity)s, opp_id, 'created', '{{}}'::jsonb, 1 FROM kd_new ORDER BY n
                """,
                {**params, "entity": h.entity},
            )
            # the tasks of the stage each new deal is in (kadence.transfer.importer.imported_deals_added)
            stage_tasks_create_many(
                ImportedRecord.objects.filter(job=self.job, entity=h.entity, action="created").values(
                    "object_id"
                ),
                written=self.ranges,
            )
        for model in (Opportunity, StageChange, pl, comp, ImportedRecord):
            table = model._meta.db_table
            self.sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table}"
            )
        if created:
            counts["created"] = created
        self.sql("SELECT min(start) FROM kd_days")
        first_day = self.cursor.fetchone()[0]
        self.sql("DROP TABLE kd_new, kd_days, kd_pass, kd_steps")
        updated, skipped = self.updates()
        if updated:
            counts["updated"] = updated
        if skipped:
            counts["skipped"] = skipped
        if created:
            imported_deals_added(self.job, first_day, tasks=False)
        return counts

    def insert(self, statement: str, params: Any = None) -> int:
        """Run an `INSERT … SELECT` and return its row count; within `references_checked_at_once`, also
        note the range of ids it wrote (what the set-based check of its references reads)."""
        if self.ranges is None:
            self.sql(statement, params)
            return self.cursor.rowcount
        table = statement.split("INSERT INTO", 1)[1].split()[0]
        self.sql(f"WITH ins AS ({statement} RETURNING id) SELECT min(id), max(id), count(*) FROM ins", params)
        first, last, count = self.cursor.fetchone()
        if count:
            known = self.ranges.get(table)
            self.ranges[table] = (
                (first, last) if known is None else (min(known[0], first), max(known[1], last))
            )
        return count

    def _default(self, model: Any, column: str, params: dict[str, Any]) -> str:
        field = model._meta.get_field(column) if column != "id" else model._meta.pk
        value = field.get_default()
        name = f"d_{model.__name__}_{column}"
        if field.get_internal_type() == "JSONField":
            params[name] = json.dumps(value)
            return f"%({name})s::jsonb"
        params[name] = value
        return f"%({name})s"

    def updates(self) -> tuple[int, int]:
        """The rows that update an existing deal go through the deal service, as in the Python engine."""
        h = self.handler
        self.sql("SELECT count(*) FROM kd_action WHERE action = 'skip'")
        skipped = self.cursor.fetchone()[0]
        keys = [k for k in h.UPDATABLE if k in self.keys]
        selected = []
        for key in keys:
            if key == "forecast_category":
                selected.append("CASE WHEN status = 'open' THEN forecast_category_word END")
            elif key == "expected_close_date":
                selected.append("expected")
            elif key == "amount":
                selected.append("round(amount, 2)")
            else:
                selected.append(key)
        if not keys:
            selected = ["NULL"]
        self.sql(
            f"SELECT r.n, a.found_id, {', '.join(selected)} FROM kd_rows r "
            "JOIN kd_action a ON a.n = r.n AND a.action = 'update' ORDER BY r.n"
        )
        rows = self.cursor.fetchall()
        updated = 0
        for number, found, *values in rows:
            row = Row(number, {})
            row.values = {k: v for k, v in zip(keys, values, strict=False) if v is not None}
            row.target = Opportunity(pk=found)
            row.action = "update"
            h._update(row)
            if row.problems:
                if not self.job.skip_invalid:
                    raise Rejected(
                        _("Row %(row)s: %(problem)s Nothing was imported.")
                        % {"row": row.number, "problem": row.problems[0][2]}
                    )
                continue
            updated += 1
        h.flush_records()
        if h.writer is not None:
            h.writer.close()
        return updated, skipped

    # --- running ---

    def run(self) -> Outcome:
        phase = "writing" if self.commit else "checking"
        create_functions(self.cursor)
        self.stage()
        self.cancel_point()
        self.progress(phase, self.total // 2, self.total)
        self.read_lookups()
        self.read_cells()
        self.build_rows()
        self.cancel_point()
        self.match()
        bad, problems, counts = self.outcome()
        self.progress(phase, self.total, self.total)
        if not self.commit:
            ImportProblem.objects.filter(job=self.job).delete()
            self.record_problems()
            self.sql("DROP TABLE kd_rows, kd_problems, kd_ref, kd_cells, kd_acct, kd_action")
            return Outcome(self.total, bad, problems, counts)
        self.reject_if_bad()
        self.cancel_point()
        self.progress("summaries", self.total, self.total)
        written = self.write()
        written["bad"] = bad
        self.sql("DROP TABLE kd_rows, kd_problems, kd_ref, kd_cells, kd_acct, kd_action")
        return Outcome(self.total, bad, problems, written)


def run(
    job: ImportJob, user: User, *, commit: bool, report: Callable[[str, int, int], None] | None = None
) -> Outcome:
    """Check (commit=False) or import (commit=True) `job` set-based; what kadence.transfer.importer.run
    does, with the same results."""
    with transaction.atomic(), connection.cursor() as cursor:
        return Engine(job, user, cursor, commit, report).run()
