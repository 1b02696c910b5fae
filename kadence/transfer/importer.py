"""The import engine: reads a file row by row, reads each cell as its field needs (kadence.domain.cells),
looks values up in the reference lists, finds the records a row already exists as, and — when committing
— writes. The same code runs the check (dry run: every row validated, every problem recorded, nothing
written) and the import, so a file that passes the check imports the same way.

Writes reuse the rules of the capability that owns the record: accounts and contacts go through their
services (kadence.accounts.services), so validation, ownership and audit are theirs; updated deals go
through `opportunity_update`. New deals, which can number a million, are written set-based through
kadence.core.bulk (COPY on PostgreSQL) with the history kadence.domain.imports gives them, and the
report summaries are rebuilt once at the end, inside the same transaction: an import that fails or is
cancelled leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kadence.accounts import services as account_services
from kadence.accounts.models import Account, Contact, Industry
from kadence.core.bulk import BulkWriter
from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.validation import clean_currency, clean_money, clean_text
from kadence.core.visibility import assignable_users, in_scope, visible_accounts, visible_contacts
from kadence.deals.services.tasks import stage_tasks_create_many
from kadence.domain.cells import CellError, header_key, parse_amount, parse_date
from kadence.domain.forecast import BOOKED, OMITTED
from kadence.domain.imports import synthesise_history
from kadence.pipeline import month_ends, snapshots, stays, summary
from kadence.pipeline import services as opportunity_services
from kadence.pipeline.ladder import lowest_open_level, stage_entry_levels
from kadence.pipeline.models import (
    Competitor,
    ForecastCategory,
    LossReason,
    Opportunity,
    PipelineSnapshot,
    ProbabilityLevel,
    ProcessTemplate,
    ProductLine,
    Stage,
    StageChange,
)
from kadence.transfer import progress
from kadence.transfer.fields import AMOUNT, DATE, FIELDS, REF, REFS, TEXT, Field, fields_of
from kadence.transfer.models import ImportedRecord, ImportJob, ImportProblem
from kadence.transfer.reader import CONTROL, Sheet, open_sheet

CHUNK = 2_000
FIELD_KEYS = {kind: {f.key for f in fields} for kind, fields in FIELDS.items()}
MEMO = 100_000
AMBIGUOUS = object()
SEPARATORS = str.maketrans({c: "," for c in "，、;；|/\n"})
# Deals created one by one (summaries kept per deal) up to this many; above it the summaries are rebuilt.
PER_DEAL_SNAPSHOT_REFRESH = 2_000


class Cancelled(Exception):
    """The user cancelled the running import: its transaction is rolled back."""


class Rejected(DomainError):
    """An all-or-nothing import met bad rows: nothing was written."""

    status = 422
    code = "import_rejected"


@dataclass
class Row:
    """One row of the file as read: its number (the header is row 1), the values of its fields as
    stored, its problems (column, value, message), what will happen to it and the record it matches."""

    number: int
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    action: str = "create"  # create / update / skip
    target: Any = None
    defaulted: set[str] = field(default_factory=set)  # fields whose value is the job's default

    def problem(self, key: str, message: str, value: Any = None) -> None:
        shown = self.raw.get(key) if value is None else value
        text = "" if shown is None else CONTROL.sub("", as_text(shown))
        self.problems.append((key, text[:500], str(message)[:500]))


# --- reference lists --------------------------------------------------------------------------------


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """A choice list's values by every name a sheet may use: the value, its English and Chinese labels."""
    out: dict[str, str] = {}
    for value, label in choices:
        out[value] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                out[str(label)] = value
    return out


STATUS_WORDS = {
    "open": "open",
    "进行中": "open",
    "跟进中": "open",
    "在谈": "open",
    "won": "won",
    "closed won": "won",
    "赢单": "won",
    "成交": "won",
    "已成交": "won",
    "中标": "won",
    "lost": "lost",
    "closed lost": "lost",
    "输单": "lost",
    "丢单": "lost",
    "失败": "lost",
    "未中标": "lost",
}


class Lookups:
    """The reference lists a run looks values up in, each loaded once: key (a name as compared by
    kadence.domain.cells.header_key) → what it means. The job's value maps are applied first: a value
    mapped to a target is looked up as that target."""

    def __init__(self, user: User, value_maps: dict[str, dict[str, str]]):
        self.user = user
        self.maps = {
            f: {header_key(k): v for k, v in (m or {}).items()} for f, m in (value_maps or {}).items()
        }
        self.tables: dict[str, dict[str, Any]] = {}
        # what a value of a field was found to mean (or the message why not): a sheet repeats its
        # owners, stages and statuses on every row; kept up to MEMO values per run
        self.memo: dict[tuple[str, str], tuple[bool, Any]] = {}
        self.template = ProcessTemplate.objects.filter(is_default=True, is_active=True).first()

    def _table(self, ref: str) -> dict[str, Any]:
        if ref not in self.tables:
            pairs = list(self._pairs(ref))
            table: dict[str, Any] = {}
            for name, target in pairs:
                key = header_key(name)
                if not key:
                    continue
                if key in table and table[key] is not target and table[key] != target:
                    table[key] = AMBIGUOUS
                else:
                    table[key] = target
            self.tables[ref] = table
        return self.tables[ref]

    def _pairs(self, ref: str) -> Iterator[tuple[str, Any]]:
        if ref == "user":
            for u in assignable_users(self.user):
                for name in {
                    u.username,
                    u.email,
                    u.display_name,
                    u.get_full_name(),
                    f"{u.last_name}{u.first_name}",
                }:
                    if name:
                        yield name, u
        elif ref == "industry":
            for pk, code, zh, en in Industry.objects.values_list("pk", "code", "name_zh", "name_en"):
                yield from ((code, pk), (zh, pk), (en, pk))
        elif ref == "region":
            for pk, code, zh, en in OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).values_list(
                "pk", "code", "name_zh", "name_en"
            ):
                yield from ((code, pk), (zh, pk), (en, pk))
        elif ref == "stage":
            if self.template is not None:
                for stage in self.template.stages.select_related("default_level"):
                    target: Any = "won" if stage.is_won else stage
                    yield from ((stage.code, target), (stage.name_zh, target), (stage.name_en, target))
                    yield str(stage.order), target
            yield from ((w, s) for w, s in STATUS_WORDS.items() if s != "open")
        elif ref == "status":
            yield from STATUS_WORDS.items()
        elif ref in CHOICES:
            yield from _labels(CHOICES[ref]()).items()
        elif ref == "loss_reason":
            for pk, code, zh, en in LossReason.objects.values_list("pk", "code", "name_zh", "name_en"):
                yield from ((code, pk), (zh, pk), (en, pk))
        elif ref == "product_line":
            for pk, code, zh, en in ProductLine.objects.values_list("pk", "code", "name_zh", "name_en"):
                yield from ((code, pk), (zh, pk), (en, pk))
        elif ref == "competitor":
            yield from ((name, pk) for pk, name in Competitor.objects.values_list("pk", "name"))

    def one(self, spec: Field, value: Any) -> Any:
        """What `value` of field `spec` means; ValueError with a message when nothing, or more than one
        thing, is called that."""
        text = as_text(value)
        seen = self.memo.get((spec.key, text))
        if seen is None:
            try:
                seen = (True, self._one(spec, text))
            except ValueError as exc:
                seen = (False, str(exc))
            if len(self.memo) < MEMO:
                self.memo[(spec.key, text)] = seen
        if not seen[0]:
            raise ValueError(seen[1])
        return seen[1]

    def _one(self, spec: Field, text: str) -> Any:
        key = header_key(text)
        mapped = self.maps.get(spec.key, {}).get(key)
        if mapped is not None:
            key = header_key(mapped)
        found = self._table(spec.ref).get(key)
        if found is AMBIGUOUS:
            raise ValueError(
                _("Several %(things)s are called “%(value)s”: map the value to one of them.")
                % {"things": spec.label, "value": text}
            )
        if found is None:
            if spec.ref == "user":
                raise ValueError(
                    _(
                        "No user in your units is called “%(value)s” (login, e-mail or name): map it to a login."
                    )
                    % {"value": text}
                )
            raise ValueError(
                _("“%(value)s” is not a known %(thing)s: map it to one.")
                % {"value": text, "thing": spec.label}
            )
        return found


def _choices() -> dict[str, Callable[[], Iterable[tuple[str, Any]]]]:
    return {
        "account_size": lambda: Account.Size.choices,
        "account_status": lambda: Account.Status.choices,
        "attitude": lambda: Contact.Attitude.choices,
        "influence": lambda: Contact.Influence.choices,
        "buying_role": lambda: Contact.BuyingRole.choices,
        "forecast_category": lambda: ForecastCategory.choices,
    }


CHOICES = _choices()


# --- reading cells ------------------------------------------------------------------------------------


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


CELL_MESSAGES = {
    "date_format": lambda: _("Not a date: write 2026-11-07, 2026/11/07 or 2026年11月7日."),
    "date_invalid": lambda: _("There is no such day."),
    "date_empty": lambda: _("A date is required."),
    "amount_format": lambda: _("Not an amount: write 1234567.89, ¥1,234,567 or 120万."),
    "amount_empty": lambda: _("An amount is required."),
}


def _first_message(exc: ValidationFailed) -> str:
    for messages in exc.errors.values():
        if messages:
            return (
                f"{exc.detail} {messages[0]}" if str(messages[0]) not in str(exc.detail) else str(exc.detail)
            )
    return str(exc.detail)


def read_cell(spec: Field, value: Any, lookups: Lookups, label: str = "") -> Any:
    """The value of field `spec` from a non-empty cell; ValueError with a message a user can act on."""
    try:
        if spec.read == TEXT:
            return clean_text(
                as_text(value), spec.key, spec.max_length, label=label or str(spec.label), multiline=True
            )
        if spec.read == DATE:
            return parse_date(value)
        if spec.read == AMOUNT:
            return clean_money(parse_amount(value), spec.key)
        if spec.read == REF:
            return lookups.one(spec, value)
        if spec.read == REFS:
            parts = [p.strip() for p in as_text(value).translate(SEPARATORS).split(",")]
            return [lookups.one(spec, p) for p in parts if p]
    except CellError as exc:
        raise ValueError(CELL_MESSAGES[exc.code]()) from None
    except ValidationFailed as exc:
        raise ValueError(_first_message(exc)) from None
    raise AssertionError(spec.read)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- the kinds ----------------------------------------------------------------------------------------


class Kind:
    """What one kind of import does with its rows; subclasses read, match and write."""

    entity = ""

    def __init__(self, job: ImportJob, user: User, lookups: Lookups, today: date):
        self.job, self.user, self.lookups, self.today = job, user, lookups, today
        self.fields = fields_of(job.kind)
        self.labels = {key: str(spec.label) for key, spec in self.fields.items()}  # translated once
        self.records: list[ImportedRecord] = []  # written after every chunk (flush_records)
        self.seen: dict[int, int] = {}  # hash of a row's key → the first row with it, across the file
        self.counts: Counter[str] = Counter()

    def read(self, row: Row) -> None:
        """Fill row.values from row.raw, recording a problem per bad cell."""
        for key, spec in self.fields.items():
            if spec.ref == "account":
                continue  # looked up per chunk (AccountRefs), not in a reference list
            value = row.raw.get(key)
            if is_empty(value):
                if spec.required:
                    row.problem(key, _("%(field)s is required.") % {"field": spec.label})
                continue
            try:
                row.values[key] = read_cell(spec, value, self.lookups, self.labels[key])
            except ValueError as exc:
                row.problem(key, str(exc))

    def match(self, rows: list[Row]) -> None:
        """Find the existing record of each row and decide its action (create / update / skip)."""

    def write(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def settle(self) -> list[Row]:
        """After the last row has been read and matched, in the check and in the import alike: the rows
        found bad only once the whole file is known (rows that belong together, such as one deal's
        history), each with its problems. They were counted good with their chunk."""
        return []

    def finish(self) -> None:
        """After the last row: what the whole import needs (summaries)."""

    def flush_records(self) -> None:
        """Write the records of what was written so far (after every chunk: memory stays flat)."""
        if self.records:
            ImportedRecord.objects.bulk_create(self.records, batch_size=5000)
            self.records.clear()

    def record(self, obj: Model, action: str, before: dict[str, Any] | None = None) -> None:
        self.records.append(
            ImportedRecord(
                job=self.job,
                entity=self.entity,
                object_id=obj.pk,
                action=action,
                before=before or {},
                version=getattr(obj, "version", 1),
            )
        )
        self.counts["created" if action == ImportedRecord.Action.CREATED else "updated"] += 1

    def decide(self, row: Row, existing: Any) -> None:
        if existing is None:
            row.action = "create"
            return
        mode = self.job.on_duplicate
        row.target = existing
        row.action = "create" if mode == ImportJob.OnDuplicate.CREATE else mode

    def run_service(self, row: Row, call: Callable[[], Any]) -> Any:
        """Call a service for a row; a refusal becomes the row's problem (and, without skip_invalid,
        rejects the whole import)."""
        try:
            with transaction.atomic():
                return call()
        except ValidationFailed as exc:
            key = next(iter(exc.errors), "")
            row.problem(key.removesuffix("_id"), _first_message(exc))
        except DomainError as exc:
            row.problem("", str(exc.detail))
        return None


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    return value


class AccountImport(Kind):
    entity = "accounts.account"
    # the account service's fields that the import reads under the same name (industry and region are
    # looked up: their ids are given apart)
    SERVICE_FIELDS = tuple(f for f in account_services.ACCOUNT_FIELDS if f in FIELD_KEYS["accounts"])

    def match(self, rows: list[Row]) -> None:
        codes = {r.values["credit_code"] for r in rows if r.values.get("credit_code")}
        names = {r.values["name"] for r in rows if "name" in r.values}
        found = visible_accounts(self.user).filter(Q(credit_code__in=codes) | Q(name__in=names))
        by_code: dict[str, Any] = {}
        by_name: dict[str, Any] = {}
        for account in found.only("id", "name", "credit_code", "version", "team_id", "owner_id"):
            if account.credit_code:
                by_code[account.credit_code] = account
            by_name[account.name] = AMBIGUOUS if account.name in by_name else account
        seen = self.seen
        for row in rows:
            if row.problems:
                continue
            key = row.values.get("credit_code") or row.values["name"]
            if hash(key) in seen:
                row.problem("name", _("The same account as row %(row)s.") % {"row": seen[hash(key)]}, key)
                continue
            seen[hash(key)] = row.number
            existing = by_code.get(row.values.get("credit_code") or "") or by_name.get(row.values["name"])
            if existing is AMBIGUOUS:
                row.problem("name", _("Several accounts have this name: give the credit code."))
                continue
            self.decide(row, existing)
            owner = row.values.get("owner")
            if row.action == "create":
                for key in ("industry", "region"):
                    if key not in row.values:
                        row.problem(key, _("%(field)s is required.") % {"field": self.fields[key].label})
                owner = owner or self.user
            if owner is not None:
                if owner.org_unit_id is None:
                    row.problem(
                        "owner", _("The owner belongs to no team; an admin must place them in one first.")
                    )
                elif not in_scope(self.user, owner.org_unit_id) and owner.pk != self.user.pk:
                    row.problem("owner", _("You can only give accounts to people in your own scope."))
            if (
                row.action == "update"
                and existing is not None
                and not in_scope(self.user, existing.team_id)
                and existing.owner_id != self.user.pk
            ):
                row.problem("name", _("This account exists and is not in your units."))

    def _service_values(self, row: Row) -> dict[str, Any]:
        values = {k: row.values[k] for k in self.SERVICE_FIELDS if k in row.values}
        for key in ("industry", "region"):
            if key in row.values:
                values[f"{key}_id"] = row.values[key]
        return values

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            values = self._service_values(row)
            owner = row.values.get("owner")
            if row.action == "create":
                account = self.run_service(
                    row,
                    partial(
                        account_services.account_create,
                        self.user,
                        owner_id=owner.pk if owner else None,
                        **values,
                    ),
                )
                if account is not None:
                    if row.values.get("credit_code"):
                        Account.objects.filter(pk=account.pk).update(credit_code=row.values["credit_code"])
                    self.record(account, ImportedRecord.Action.CREATED)
            elif row.action == "update":
                current = Account.objects.select_for_update().get(pk=row.target.pk)
                before = {k: _json_value(getattr(current, k)) for k in values}
                if owner is not None:
                    before["owner_id"] = current.owner_id
                account = self.run_service(
                    row,
                    partial(
                        account_services.account_update,
                        self.user,
                        current.pk,
                        version=current.version,
                        owner_id=owner.pk if owner else None,
                        reason=_("Import #%(id)s") % {"id": self.job.pk},
                        **values,
                    ),
                )
                if account is not None:
                    if row.values.get("credit_code") and row.values["credit_code"] != current.credit_code:
                        before["credit_code"] = current.credit_code
                        Account.objects.filter(pk=account.pk).update(credit_code=row.values["credit_code"])
                    self.record(account, ImportedRecord.Action.UPDATED, before)
            else:
                self.counts["skipped"] += 1


class AccountRefs:
    """The accounts named by a chunk's rows (by credit code, else by name), within what the user sees."""

    @staticmethod
    def resolve(user: User, rows: list[Row]) -> None:
        codes = {r.values["credit_code"] for r in rows if r.values.get("credit_code")}
        names = {as_text(r.raw.get("account")) for r in rows if not is_empty(r.raw.get("account"))}
        by_code: dict[str, Any] = {}
        by_name: dict[str, Any] = {}
        found = visible_accounts(user).filter(Q(credit_code__in=codes) | Q(name__in=names))
        for account in found.only("id", "name", "credit_code", "team_id", "owner_id", "region_id"):
            if account.credit_code:
                by_code[account.credit_code] = account
            by_name[account.name] = AMBIGUOUS if account.name in by_name else account
        for row in rows:
            code = row.values.get("credit_code") or ""
            name = as_text(row.raw.get("account"))
            match: Any = by_code.get(code) if code else None
            if match is None and name:
                match = by_name.get(name)
            account = match
            if account is AMBIGUOUS:
                row.problem("account", _("Several accounts have this name: give the credit code."))
            elif account is not None:
                row.values["account"] = account
            elif name or code:
                row.values["account_missing"] = name or code
            else:
                row.problem("account", _("%(field)s is required.") % {"field": _("Account")})


class ContactImport(Kind):
    entity = "accounts.contact"
    # the contact service's fields that the import reads under the same name
    SERVICE_FIELDS = tuple(f for f in account_services.CONTACT_FIELDS if f in FIELD_KEYS["contacts"])

    def match(self, rows: list[Row]) -> None:
        AccountRefs.resolve(self.user, rows)
        for row in rows:
            if "account_missing" in row.values:
                row.problem(
                    "account",
                    _("No account you can see is called “%(name)s”.")
                    % {"name": row.values["account_missing"]},
                )
        phones = {r.values["phone"] for r in rows if r.values.get("phone")}
        emails = {r.values["email"].lower() for r in rows if r.values.get("email")}
        found = visible_contacts(self.user).filter(Q(phone__in=phones) | Q(email__in=emails))
        by_phone: dict[str, Any] = {}
        by_email: dict[str, Any] = {}
        for contact in found.only("id", "phone", "email", "version", "account_id"):
            if contact.phone:
                by_phone[contact.phone] = contact
            if contact.email:
                by_email[contact.email.lower()] = contact
        seen = self.seen
        for row in rows:
            if row.problems:
                continue
            keys = [hash(k) for k in (row.values.get("phone"), (row.values.get("email") or "").lower()) if k]
            again = next((seen[k] for k in keys if k in seen), None)
            if again is not None:
                row.problem("phone", _("The same contact as row %(row)s.") % {"row": again})
                continue
            seen.update({k: row.number for k in keys})
            existing = by_phone.get(row.values.get("phone") or "") or by_email.get(
                (row.values.get("email") or "").lower()
            )
            self.decide(row, existing)

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            values = {k: row.values[k] for k in self.SERVICE_FIELDS if k in row.values}
            if row.action == "create":
                contact = self.run_service(
                    row,
                    partial(
                        account_services.contact_create,
                        self.user,
                        account_id=row.values["account"].pk,
                        **values,
                    ),
                )
                if contact is not None:
                    self.record(contact, ImportedRecord.Action.CREATED)
            elif row.action == "update":
                current = Contact.objects.select_for_update().get(pk=row.target.pk)
                before = {k: _json_value(getattr(current, k)) for k in values}
                contact = self.run_service(
                    row,
                    partial(
                        account_services.contact_update,
                        self.user,
                        current.pk,
                        version=current.version,
                        **values,
                    ),
                )
                if contact is not None:
                    self.record(contact, ImportedRecord.Action.UPDATED, before)
            else:
                self.counts["skipped"] += 1


def _columns(model: type[Model], given: Iterable[str]) -> list[str]:
    """The columns a bulk insert of `model` writes: those given, and every other one without a
    database default (which then takes the field's Python default)."""
    given = set(given)
    return [f.attname for f in model._meta.concrete_fields if f.attname in given or not f.has_db_default()]  # type: ignore[attr-defined]  # Django 5's API, not in the stubs


class OpportunityImport(Kind):
    entity = "pipeline.opportunity"
    UPDATABLE = (
        "name",
        "amount",
        "currency",
        "expected_close_date",
        "forecast_category",
        "description",
        "next_step",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        template = self.lookups.template
        if template is None:
            raise ValidationFailed(_("There is no active default process template; an admin must set one."))
        self.template = template
        stages = list(template.stages.select_related("default_level").order_by("order"))
        self.open_stages = [s for s in stages if not s.is_won]
        won_stage = next((s for s in stages if s.is_won), None)
        self.entry = stage_entry_levels(stages)
        won_level = ProbabilityLevel.objects.filter(is_won=True).first()
        lost_level = ProbabilityLevel.objects.filter(is_lost=True).first()
        if won_stage is None or won_level is None or lost_level is None or not self.open_stages:
            raise ValidationFailed(
                _("The process or the probability ladder is incomplete; an admin must fix it.")
            )
        self.won_stage: Stage = won_stage
        self.won_level: ProbabilityLevel = won_level
        self.lost_level: ProbabilityLevel = lost_level
        self.floor = lowest_open_level()
        self.writer: BulkWriter | None = None
        self.created = 0
        self.first_day: date | None = None
        self.accounts_made: dict[str, Account] = {}
        self.moments: dict[date, datetime] = {}
        self.reason = _("Import #%(id)s") % {"id": self.job.pk}

    def read(self, row: Row) -> None:
        super().read(row)
        v = row.values
        owner = v.get("owner")
        if owner is None and not any(k == "owner" for k, _v, _m in row.problems):
            row.problem("owner", _("%(field)s is required.") % {"field": self.fields["owner"].label})
        elif owner is not None and owner.org_unit_id is None:
            row.problem("owner", _("The owner belongs to no team; an admin must place them in one first."))
        stage: Any = v.get("stage")
        status = v.get("status") or (stage if isinstance(stage, str) else "open")
        if isinstance(stage, str) or stage is None:
            stage = self.won_stage if status == "won" else self.open_stages[0]
        v["status"], v["stage"] = status, stage
        if status == "won":
            v["stage"] = self.won_stage
        elif stage.is_won:
            row.problem("stage", _("A deal at the won stage must have the status won."))
        if status != "open":
            closed = v.get("closed_on") or v.get("expected_close_date")
            if closed is None:
                row.problem("closed_on", _("A won or lost deal needs its closed date."))
            elif closed > self.today:
                row.problem("closed_on", _("A deal cannot have closed after today."), closed)
            v["closed_on"] = closed
            if "expected_close_date" in row.defaulted:  # a default is for the open deals
                v["expected_close_date"] = closed
            v.setdefault("expected_close_date", closed)
        elif "expected_close_date" not in v and not any(
            k == "expected_close_date" for k, _v, _m in row.problems
        ):
            row.problem(
                "expected_close_date",
                _("%(field)s is required.") % {"field": self.fields["expected_close_date"].label},
            )
        if v.get("created") and v["created"] > self.today:
            row.problem("created", _("A deal cannot be created after today."), v["created"])
        if status != "lost":
            for key in ("loss_reason", "winning_competitor"):
                if key in v:
                    row.problem(key, _("Only a lost deal has a loss reason or a winning competitor."))
        if status != "open" and v.get("forecast_category"):
            v.pop("forecast_category")  # a closed deal's category is booked / omitted
        if v.get("currency"):
            try:
                v["currency"] = clean_currency(v["currency"])
            except ValidationFailed as exc:
                row.problem("currency", _first_message(exc))

    def match(self, rows: list[Row]) -> None:
        AccountRefs.resolve(self.user, rows)
        for row in rows:
            missing = row.values.pop("account_missing", None)
            if missing is None:
                continue
            if not self.job.create_accounts:
                row.problem(
                    "account",
                    _(
                        "No account you can see is called “%(name)s”: import the accounts first, or choose to create them."
                    )
                    % {"name": missing},
                )
            else:
                row.values["account_new"] = missing
        ids = {r.values["external_id"] for r in rows if r.values.get("external_id")}
        existing: dict[str, Any] = {}
        for opp in Opportunity.objects.filter(external_id__in=ids).only(
            "id", "external_id", "team_id", "owner_id", "version", "status"
        ):
            existing[opp.external_id] = AMBIGUOUS if opp.external_id in existing else opp
        seen = self.seen
        for row in rows:
            if row.problems:
                continue
            key = row.values.get("external_id")
            if key:
                if hash(key) in seen:
                    row.problem("external_id", _("The same deal as row %(row)s.") % {"row": seen[hash(key)]})
                    continue
                seen[hash(key)] = row.number
            found = existing.get(key) if key else None
            if found is AMBIGUOUS:
                row.problem("external_id", _("Several deals have this external id."))
                continue
            if found is not None and not (
                found.owner_id == self.user.pk or in_scope(self.user, found.team_id)
            ):
                row.problem("external_id", _("This deal exists and is not in your units."))
                continue
            self.decide(row, found)
            if row.action == "create" and not in_scope(self.user, row.values["owner"].org_unit_id):
                row.problem("owner", _("You can only import deals for people in your own units."))
            if row.action == "update" and found is not None and found.status != Opportunity.Status.OPEN:
                row.problem("external_id", _("This deal is closed; an import does not change a closed deal."))

    # --- writing ---------------------------------------------------------------------------------

    def _account_for(self, row: Row) -> Account:
        account = row.values.get("account")
        if account is not None:
            return account
        name = row.values["account_new"]
        made = self.accounts_made.get(name)
        if made is None:
            owner = row.values["owner"]
            # the owner's region (the region above their team), and the first industry: an admin
            # completes the account later
            above = [
                int(p) for p in OrgUnit.objects.get(pk=owner.org_unit_id).path.strip("/").split("/") if p
            ]
            region = (
                OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION, pk__in=above).first()
                or OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).order_by("pk").first()
            )
            industry = Industry.objects.order_by("order", "pk").first()
            if region is None or industry is None:
                raise ValidationFailed(
                    _("Accounts cannot be created: the company has no region or no industry.")
                )
            made = account_services.account_create(
                self.user, owner_id=owner.pk, name=name, industry_id=industry.pk, region_id=region.pk
            )
            self.accounts_made[name] = made
            self.records.append(
                ImportedRecord(job=self.job, entity="accounts.account", object_id=made.pk, action="created")
            )
            self.counts["accounts_created"] += 1
        return made

    def _writer(self) -> BulkWriter:
        if self.writer is None:
            pl, comp = Opportunity.product_lines.through, Opportunity.competitors.through
            self.opp_columns = _columns(Opportunity, OPP_GIVEN)
            self.change_columns = _columns(StageChange, CHANGE_GIVEN)
            self.writer = BulkWriter(
                [Opportunity, StageChange, pl, comp, ImportedRecord],
                {
                    Opportunity: self.opp_columns,
                    StageChange: self.change_columns,
                    pl: ["id", "opportunity_id", "productline_id"],
                    comp: ["id", "opportunity_id", "competitor_id"],
                    ImportedRecord: ["id", "job_id", "entity", "object_id", "action", "before", "version"],
                },
                batch_size=10_000,
            )
            self.opp_defaults = {f.attname: f.get_default() for f in Opportunity._meta.concrete_fields}
            self.change_defaults = {f.attname: f.get_default() for f in StageChange._meta.concrete_fields}
        return self.writer

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            if row.action == "update":
                self._update(row)
            elif row.action == "skip":
                self.counts["skipped"] += 1
        new = [r for r in rows if r.action == "create" and not r.problems]
        if not new:
            return
        for row in new:
            row.values["account"] = self._account_for(row)
        writer = self._writer()
        first = writer.ids(Opportunity, len(new))
        now = timezone.now()
        for offset, row in enumerate(new):
            self._create(writer, first + offset, row, now)
        self.counts["created"] += len(new)

    def _update(self, row: Row) -> None:
        values = {k: row.values[k] for k in self.UPDATABLE if k in row.values}
        current = Opportunity.objects.select_for_update().get(pk=row.target.pk)
        before = {k: _json_value(getattr(current, k)) for k in values}
        opp = self.run_service(
            row,
            lambda: opportunity_services.opportunity_update(
                self.user, current.pk, version=current.version, **values
            ),
        )
        if opp is not None:
            opp.refresh_from_db(fields=["version"])
            self.record(opp, ImportedRecord.Action.UPDATED, before)

    def _moment(self, day: date, step: int) -> datetime:
        """A history row's moment: 9:00 on its day (local time), a second apart within a deal."""
        base = self.moments.get(day)
        if base is None:
            base = self.moments[day] = timezone.make_aware(datetime.combine(day, time(9, 0)))
        return base + timedelta(seconds=step) if step else base

    def _create(self, writer: BulkWriter, opp_id: int, row: Row, now: datetime) -> None:
        v = row.values
        status, stage, owner = v["status"], v["stage"], v["owner"]
        step = self.open_stages.index(stage) + 1 if stage in self.open_stages else len(self.open_stages)
        passages = synthesise_history(
            step=step,
            open_steps=len(self.open_stages),
            status=status,
            today=self.today,
            created=v.get("created"),
            entered=v.get("stage_entered_on"),
            closed=v.get("closed_on"),
        )
        if status == "won":
            level, category = self.won_level, BOOKED
        elif status == "lost":
            level, category = self.lost_level, OMITTED
        else:
            level = self.entry.get(stage.pk, self.floor)
            category = v.get("forecast_category") or level.default_forecast_category
        account = v["account"]
        name = v.get("name") or " ".join(x for x in (account.name, v.get("external_id") or "") if x)[:200]
        moments = [self._moment(p.day, i) for i, p in enumerate(passages)]
        opp = dict(self.opp_defaults)
        opp.update(
            id=opp_id,
            name=name,
            account_id=account.pk,
            owner_id=owner.pk,
            team_id=owner.org_unit_id,
            template_id=self.template.pk,
            stage_id=stage.pk,
            level_id=level.pk,
            probability=level.probability,
            amount=v["amount"],
            currency=v.get("currency") or "CNY",
            expected_close_date=v["expected_close_date"],
            forecast_category=category,
            status=status,
            loss_reason_id=v.get("loss_reason"),
            winning_competitor_id=v.get("winning_competitor"),
            closed_on=v.get("closed_on") if status != "open" else None,
            staging_flag="",
            description=v.get("description", ""),
            next_step=v.get("next_step", ""),
            external_id=v.get("external_id", ""),
            stage_entered_at=moments[-1]
            if status == "won"
            else moments[max(i for i, p in enumerate(passages) if p.step)],
            created_at=moments[0],
            updated_at=now,
            version=1,
            stall_close_pushes=0,
        )
        writer.add(Opportunity, tuple(opp[c] for c in self.opp_columns))
        first = writer.ids(StageChange, len(passages))
        previous: tuple[Any, Any] | None = None
        for i, passage in enumerate(passages):
            if passage.status == "won":
                to_stage, to_level, kind, row_category = (
                    self.won_stage,
                    self.won_level,
                    StageChange.Kind.WON,
                    BOOKED,
                )
            elif passage.status == "lost":
                to_stage, to_level, kind, row_category = (
                    stage,
                    self.lost_level,
                    StageChange.Kind.LOST,
                    OMITTED,
                )
            else:
                to_stage = self.open_stages[passage.step - 1]
                to_level = self.entry.get(to_stage.pk, self.floor)
                kind = StageChange.Kind.CREATED if i == 0 else StageChange.Kind.ADVANCED
                last_open = status == "open" and i == len(passages) - 1
                row_category = category if last_open else to_level.default_forecast_category
            change = dict(self.change_defaults)
            change.update(
                id=first + i,
                opportunity_id=opp_id,
                kind=kind,
                from_stage_id=previous[0].pk if previous else None,
                to_stage_id=to_stage.pk,
                from_stage_name=previous[0].name_zh if previous else "",
                to_stage_name=to_stage.name_zh,
                from_stage_name_en=previous[0].name_en if previous else "",
                to_stage_name_en=to_stage.name_en,
                from_level_id=previous[1].pk if previous else None,
                to_level_id=to_level.pk,
                probability=to_level.probability,
                amount=v["amount"],
                currency=opp["currency"],
                expected_close_date=v["expected_close_date"],
                status=passage.status,
                days_in_from_stage=(passage.day - passages[i - 1].day).days if i else None,
                changed_by_id=self.user.pk,
                changed_at=moments[i],
                reason=self.reason,
                overridden=False,
                overridden_criteria=[],
                owner_id=owner.pk,
                team_id=owner.org_unit_id,
                forecast_category=row_category,
            )
            writer.add(StageChange, tuple(change[c] for c in self.change_columns))
            previous = (to_stage, to_level)
        pl, comp = Opportunity.product_lines.through, Opportunity.competitors.through
        for line in dict.fromkeys(v.get("product_lines") or []):
            writer.add(pl, (writer.ids(pl), opp_id, line))
        for competitor in dict.fromkeys(v.get("competitors") or []):
            writer.add(comp, (writer.ids(comp), opp_id, competitor))
        self.created += 1
        writer.add(
            ImportedRecord, (writer.ids(ImportedRecord), self.job.pk, self.entity, opp_id, "created", {}, 1)
        )
        day = passages[0].day
        self.first_day = day if self.first_day is None else min(self.first_day, day)

    def flush_records(self) -> None:
        """Through the bulk writer, which allocates the ids of the records it writes (an insert beside
        it would take one of them)."""
        if not self.records:
            return
        writer = self._writer()
        for r in self.records:
            writer.add(
                ImportedRecord,
                (
                    writer.ids(ImportedRecord),
                    self.job.pk,
                    r.entity,
                    r.object_id,
                    r.action,
                    r.before,
                    r.version,
                ),
            )
        self.records.clear()

    def finish(self) -> None:
        self.flush_records()
        if self.writer is not None:
            self.writer.close()
        if self.created:
            imported_deals_added(self.job, self.first_day)


def refresh_summaries(since: date | None) -> None:
    """After deals were written or removed in bulk: the report summaries rebuilt from the rows, and the
    pipeline snapshots and daily flows from `since` on (the history written starts then) rewritten."""
    summary.rebuild()
    if since is None:
        return
    flows = snapshots.forget_flows(since)  # the daily flows from `since` on: written again below
    if PipelineSnapshot.objects.filter(taken_on__gte=since).exists():
        PipelineSnapshot.objects.filter(taken_on__gte=since).delete()
        snapshots.build(snapshots.missing_days(backfill=True))
    elif flows:
        snapshots.build_flows()


def imported_deals_added(job: ImportJob, since: date | None, *, tasks: bool = True) -> None:
    """After an import wrote new deals and their history in bulk (the updates of existing deals went
    through the deal service, which keeps the summaries and the tasks): the new deals alone added to the
    report summaries, the month-ends, the pipeline snapshots from `since` on and the daily flows,
    set-based, what `refresh_summaries` (everything rebuilt) would give, at a cost that follows the
    import's size; and (unless `tasks` is false: the caller wrote them) each gets the tasks of the
    stage it is in, as a deal created there does."""
    deals = ImportedRecord.objects.filter(
        job=job, entity=OpportunityImport.entity, action=ImportedRecord.Action.CREATED
    ).values("object_id")
    summary.add_deals(deals)
    stays.add_deals(deals)
    month_ends.add_deals(deals)
    if since is not None:
        snapshots.add_deals(deals, since)
    if tasks:
        stage_tasks_create_many(deals)


OPP_GIVEN = (
    "id name account_id owner_id team_id template_id stage_id level_id probability amount currency "
    "expected_close_date forecast_category status loss_reason_id winning_competitor_id closed_on staging_flag "
    "description next_step external_id stage_entered_at created_at updated_at version stall_close_pushes"
).split()
CHANGE_GIVEN = (
    "id opportunity_id kind from_stage_id to_stage_id from_stage_name to_stage_name from_stage_name_en "
    "to_stage_name_en from_level_id to_level_id probability amount currency expected_close_date status "
    "days_in_from_stage changed_by_id changed_at reason overridden overridden_criteria owner_id team_id "
    "forecast_category"
).split()

KINDS: dict[str, type[Kind]] = {
    "accounts": AccountImport,
    "contacts": ContactImport,
    "opportunities": OpportunityImport,
}


# --- running ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    total: int
    bad: int
    problems: int
    counts: dict[str, int]


def file_sha256(handle: Any) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


def open_job_sheet(job: ImportJob) -> tuple[Sheet, Any]:
    handle = job.file.open("rb")
    return open_sheet(handle, job.file_type, encoding=job.encoding, sheet=job.sheet), handle


def _chunks(rows: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[tuple[int, list[Any]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _record_problems(
    job: ImportJob, rows: list[Row], fields: dict[str, Field], column_of: dict[str, str]
) -> None:
    ImportProblem.objects.bulk_create(
        ImportProblem(
            job=job,
            row=r.number,
            column=(column_of.get(key) or str(fields[key].label) if key in fields else key)[:200],
            value=value,
            message=message,
        )
        for r in rows
        for key, value, message in r.problems
    )


def run(
    job: ImportJob, user: User, *, commit: bool, report: Callable[[str, int, int], None] | None = None
) -> Outcome:
    """Check (commit=False) or import (commit=True) `job`'s file as `user`. A check records every problem
    on the job (ImportProblem) and what would be created / updated / skipped; an import writes inside
    the caller's transaction and raises Rejected, leaving nothing written, when a row is bad and the
    job did not choose to skip bad rows. Cancelled when the user cancels (checked between chunks)."""
    sheet, handle = open_job_sheet(job)
    try:
        return _run(job, user, sheet, commit=commit, report=report)
    finally:
        handle.close()


def column_index(job: ImportJob, headers: list[str]) -> dict[str, int]:
    """field → the position of the column the job maps to it; ValidationFailed for a column the file
    does not have or a field the kind does not know."""
    index: dict[str, int] = {}
    for key, header in (job.columns or {}).items():
        if not header:
            continue
        if header not in headers:
            raise ValidationFailed(
                _("The file has no column “%(header)s” (mapped to %(field)s).")
                % {"header": header, "field": key},
                {"columns": [_("Unknown column.")]},
            )
        index[key] = headers.index(header)
    unknown = set(index) - set(fields_of(job.kind))
    if unknown:
        raise ValidationFailed(_("Unknown field(s): %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    return index


def _run(
    job: ImportJob, user: User, sheet: Sheet, *, commit: bool, report: Callable[[str, int, int], None] | None
) -> Outcome:
    index = column_index(job, sheet.headers)
    fields = fields_of(job.kind)
    lookups = Lookups(user, job.values or {})
    today = timezone.localdate()
    handler = KINDS[job.kind](job, user, lookups, today)
    defaults = {k: v for k, v in (job.defaults or {}).items() if k in fields and not is_empty(v)}
    column_of = {key: (job.columns or {}).get(key, "") for key in fields}
    total = bad = problems = 0
    seen_counts: Counter[str] = Counter()
    estimate = job.total_rows
    if not commit:
        ImportProblem.objects.filter(job=job).delete()
    for chunk in _chunks(sheet.rows(), CHUNK):
        if progress.cancel_requested(job.pk):
            raise Cancelled
        rows = []
        for number, values in chunk:
            raw = {key: values[i] if i < len(values) else None for key, i in index.items()}
            given = {key for key, value in defaults.items() if is_empty(raw.get(key))}
            for key in given:
                raw[key] = defaults[key]
            row = Row(number, raw, defaulted=given)
            handler.read(row)
            rows.append(row)
        handler.match(rows)
        good = [r for r in rows if not r.problems]
        if commit:
            if len(good) < len(rows) and not job.skip_invalid:
                raise Rejected(
                    _("Row %(row)s: %(problem)s Nothing was imported.")
                    % {
                        "row": next(r for r in rows if r.problems).number,
                        "problem": next(r for r in rows if r.problems).problems[0][2],
                    }
                )
            handler.write(good)
            handler.flush_records()
            failed = [r for r in good if r.problems]  # refused by a service while writing
            if failed and not job.skip_invalid:
                raise Rejected(
                    _("Row %(row)s: %(problem)s Nothing was imported.")
                    % {"row": failed[0].number, "problem": failed[0].problems[0][2]}
                )
        total += len(rows)
        bad_rows = [r for r in rows if r.problems]
        bad += len(bad_rows)
        for row in rows:
            if not row.problems:
                seen_counts[row.action] += 1
        if not commit and bad_rows:
            _record_problems(job, bad_rows, fields, column_of)
        problems += sum(len(r.problems) for r in bad_rows)
        if report is not None:
            report("writing" if commit else "checking", total, max(estimate, total))
    late = handler.settle()
    if late:
        bad += len(late)
        problems += sum(len(r.problems) for r in late)
        for row in late:
            seen_counts[row.action] -= 1
        seen_counts = +seen_counts
        if commit and not job.skip_invalid:
            raise Rejected(
                _("Row %(row)s: %(problem)s Nothing was imported.")
                % {"row": late[0].number, "problem": late[0].problems[0][2]}
            )
        if not commit:
            _record_problems(job, late, fields, column_of)
    if commit:
        if report is not None:
            report("summaries", total, max(estimate, total))
        handler.finish()
        handler.flush_records()
        counts = dict(handler.counts)
        counts["bad"] = bad
        return Outcome(total, bad, problems, counts)
    return Outcome(total, bad, problems, dict(seen_counts))
