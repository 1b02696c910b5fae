"""Importing buying power (issue 15 §2: "entered or imported, with history"): a sheet of BP per account and
year — what a sales-ops team keeps in Excel from annual reports, tenders and the accounts' own budgets —
through the import pages, API and command line of kadence.transfer, with its check, mapping, problems
per row and column, and undo.

- The **account** is found by its unified social credit code, else by its name, among the accounts the
  importer sees; the importer must be allowed to change it (the BP rule: `can_enter_buying_power`).
- The **year** reads 2026, 2026年, 2026年度 or FY2026; without a year column it is the mapping's default,
  else this year.
- The **amount** reads as every import amount does (¥, thousands separators, 万 / 亿) and must be an
  amount of 0 or more (`value.services.clean_amount`, the one BP rule).
- A BP already entered for the account and year is updated, or skipped, as the import chooses ("create
  anyway" updates too: an account has one BP a year). The same account and year twice in a file is a
  problem of the second row.
- The rows are written a chunk at a time through `value.services.buying_power_bulk` (source "imported"):
  the history and audit rows are that service's. An undo removes the BPs the import created and puts
  back the values of those it updated (through `buying_power_set`: its history, audit and version
  check), unless any of them changed since.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import can_enter_buying_power
from kadence.keyaccounts.value import services
from kadence.keyaccounts.value.models import BuyingPower
from kadence.keyaccounts.value.selectors import check_year
from kadence.transfer import undo
from kadence.transfer.fields import ACCOUNT_NAME, AMOUNT, CREDIT_CODE, FIELDS, TEXT, Field
from kadence.transfer.importer import KINDS, AccountRefs, Kind, Row, as_text, is_empty
from kadence.transfer.models import ImportedRecord, ImportKind

KIND = ImportKind.BUYING_POWER.value
ENTITY = "keyaccounts.buyingpower"

BP_FIELDS = (
    ACCOUNT_NAME,
    CREDIT_CODE,
    Field(
        "year",
        gettext_lazy("Year"),
        TEXT,
        ("年度", "年份", "财年", "预算年度", "year", "fiscal year", "fy"),
        max_length=10,
        help=gettext_lazy("2026, 2026年 or FY2026; without the column, the mapping's default or this year."),
    ),
    Field(
        "amount",
        gettext_lazy("Buying power"),
        AMOUNT,
        (
            "采购潜力",
            "采购能力",
            "年采购额",
            "采购额",
            "采购预算",
            "年度预算",
            "预算",
            "购买力",
            "buying power",
            "bp",
            "budget",
            "wallet",
        ),
        required=True,
        help=gettext_lazy("What the account buys in the year of what we sell: ¥, 万 and 亿 are read."),
    ),
    Field(
        "note",
        gettext_lazy("Note"),
        TEXT,
        ("备注", "说明", "来源", "依据", "note", "source", "notes"),
        max_length=500,
    ),
)

YEAR = re.compile(r"(?:fy)?\s*(\d{4})\s*(?:年度?|财年)?", re.IGNORECASE)


class BuyingPowerImport(Kind):
    entity = ENTITY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.years: set[int] = set()  # written: their RAD cells are recomputed at the end

    def read(self, row: Row) -> None:
        super().read(row)
        v = row.values
        raw = v.pop("year", None)
        if raw is None:
            v["year"] = self.today.year
        else:
            found = YEAR.fullmatch(as_text(raw))
            try:
                v["year"] = check_year(found.group(1) if found else "")
            except ValidationFailed as exc:
                row.problem("year", str(exc.detail), raw)
        if "amount" in v:
            try:
                v["amount"] = services.clean_amount(v["amount"])
            except ValidationFailed as exc:
                row.problem("amount", str(exc.detail))

    def match(self, rows: list[Row]) -> None:
        named = [r for r in rows if not is_empty(r.raw.get("account")) or r.values.get("credit_code")]
        AccountRefs.resolve(self.user, named)
        for row in rows:
            missing = row.values.pop("account_missing", None)
            if missing is not None:
                row.problem("account", _("No account you can see is called “%(name)s”.") % {"name": missing})
            elif row.values.get("account") is None and not any(k == "account" for k, _v, _m in row.problems):
                row.problem("account", _("%(field)s is required.") % {"field": _("Account")})
            elif row.values.get("account") is not None and not can_enter_buying_power(
                self.user, row.values["account"]
            ):
                row.problem("account", _("You may view this account but not change it."))
        good = [r for r in rows if not r.problems]
        existing = {
            (b.account_id, b.year): b
            for b in BuyingPower.objects.filter(
                account_id__in={r.values["account"].pk for r in good},
                year__in={r.values["year"] for r in good},
            ).only("id", "account_id", "year", "amount", "note", "version")
        }
        for row in good:
            key = (row.values["account"].pk, row.values["year"])
            again = self.seen.get(hash(key))
            if again is not None:
                row.problem(
                    "account", _("The same account and year as row %(row)s.") % {"row": again}, str(key[1])
                )
                continue
            self.seen[hash(key)] = row.number
            self.decide(row, existing.get(key))
            if row.action == "create" and row.target is not None:
                row.action = "update"  # one BP per account and year: "create anyway" updates it

    def write(self, rows: list[Row]) -> None:
        wanted = [r for r in rows if r.action in ("create", "update")]
        if len(wanted) < len(rows):
            self.counts["skipped"] += len(rows) - len(wanted)
        if not wanted:
            return
        try:
            with transaction.atomic():
                result = services.buying_power_bulk(
                    self.user,
                    [
                        {
                            "account_id": r.values["account"].pk,
                            "year": r.values["year"],
                            "amount": r.values["amount"],
                            "note": r.values.get("note") or "",
                        }
                        for r in wanted
                    ],
                    source=BuyingPower.Source.IMPORTED,
                )
        except ValidationFailed as exc:  # the rows were checked: an account changed hands since
            for key, messages in exc.errors.items():
                index = key.partition(".")[2]
                at = int(index) if index.isdigit() and int(index) < len(wanted) else 0
                wanted[at].problem("account", str(messages[0]) if messages else str(exc.detail))
            return
        except DomainError as exc:
            wanted[0].problem("", str(exc.detail))
            return
        self.years.update(r.values["year"] for r in wanted)
        for made in result.made:
            self.record(made, ImportedRecord.Action.CREATED)
        for row, before in result.changed:
            self.record(row, ImportedRecord.Action.UPDATED, before)
        if result.unchanged:
            self.counts["unchanged"] += result.unchanged

    def finish(self) -> None:
        """The RAD cells of the years written follow the new BP now, in the import's transaction (the ABC
        classes do not read BP)."""
        recompute_rad(self.years)


def recompute_rad(years: set[int]) -> None:
    for year in sorted(years):
        services.value_compute(None, year=year, abc=False)


def _restore(user: User, record: ImportedRecord) -> list[int]:
    row = services.buying_power_restore(user, record.object_id, version=record.version, before=record.before)
    return [row.year]


def _remove(user: User, ids: list[int]) -> list[int]:
    return services.buying_power_remove_many(user, ids, reason=_("Undo of an import"))


def _settle(user: User, years: set[int]) -> None:
    recompute_rad(years)


FIELDS[KIND] = BP_FIELDS
KINDS[KIND] = BuyingPowerImport
undo.register(
    ENTITY,
    undo.Undoable(BuyingPower, restore=_restore, remove=_remove, settle=_settle),
    before="accounts.account",
)
