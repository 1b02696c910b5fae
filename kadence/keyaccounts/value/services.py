"""Writes of the value part: buying power (one row, or many at once), the policy and margins (an admin's),
and the set-based computes of the RAD cells and ABC classes of every account for a year.

Each write is atomic, locks the row it changes, keeps the history (BP: an append-only BuyingPowerHistory row
per change and the audit trail) and raises the typed errors of kadence.core.errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.accounts.models import Account, Industry
from kadence.core.audit import audit_changes, audit_many, diff
from kadence.core.bulk import insert_rows
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import (
    access_account,
    can_compute_kam_value,
    can_configure_kam_value,
    can_enter_buying_power,
    visible_accounts,
)
from kadence.keyaccounts.revenue import won_by_account
from kadence.keyaccounts.value.models import (
    AbcClass,
    BuyingPower,
    BuyingPowerHistory,
    KamMarginRate,
    KamValuePolicy,
    RadCell,
)
from kadence.keyaccounts.value.selectors import check_year, policy

MAX_BP = Decimal("1e14")
BULK_LIMIT = 5000


def clean_amount(value: Any, field: str = "amount") -> Decimal:
    """A BP (or margin) as stored: an exact amount of 0 or more, to the cent; else ValidationFailed (the BP
    file import reads its cells through this too)."""
    try:
        amount = Decimal(str(value))
    except Exception as exc:
        raise ValidationFailed(_("Enter an amount."), {field: [_("Enter an amount.")]}) from exc
    if not amount.is_finite() or amount < 0 or amount >= MAX_BP:
        raise ValidationFailed(
            _("Enter an amount of 0 or more."), {field: [_("Enter an amount of 0 or more.")]}
        )
    return amount.quantize(Decimal("0.01"))


def _source(value: str) -> str:
    if value not in BuyingPower.Source.values:
        raise ValidationFailed(_("Unknown source."), {"source": [_("Unknown source.")]})
    return value


# --- buying power -----------------------------------------------------------------------------------


@transaction.atomic
def buying_power_set(
    actor: User,
    account_id: int,
    *,
    year: int,
    amount: Any,
    source: str = BuyingPower.Source.ENTERED,
    note: str = "",
    version: int | None = None,
) -> BuyingPower:
    """Enter or change an account's BP for a year. A new year needs no version; changing a year's BP names
    the version read (409 when stale). The old value stays in the history and the audit trail."""
    account = access_account(actor, account_id)
    if not can_enter_buying_power(actor, account):
        raise PermissionDenied(_("You may view this account but not change it."))
    year = check_year(year)
    amount = clean_amount(amount)
    source = _source(source)
    note = (note or "")[:500]
    row = BuyingPower.objects.select_for_update().filter(account_id=account.pk, year=year).first()
    if row is None:
        if version is not None:
            raise Conflict(
                _("This buying power was removed or never entered. Reload and try again."),
                current_version=None,
            )
        row = BuyingPower.objects.create(
            account=account, year=year, amount=amount, source=source, note=note, entered_by=actor
        )
        old = None
    else:
        version = require_version(version)
        old = row.amount
        values = {"amount": amount, "source": source, "note": note, "entered_by_id": actor.pk}
        changes = diff(row, {"amount": amount, "source": source, "note": note})
        versioned_update(row, version, values)
        audit_changes("keyaccounts.buyingpower", row.pk, changes, actor)
    if old is None:
        audit_changes("keyaccounts.buyingpower", row.pk, {"amount": (None, amount)}, actor)
    BuyingPowerHistory.objects.create(
        account_id=account.pk,
        year=year,
        old_amount=old,
        new_amount=amount,
        source=source,
        note=note,
        changed_by=actor,
    )
    return row


@dataclass(frozen=True)
class BulkResult:
    created: int
    updated: int
    unchanged: int
    # what was written, for an import's undo records: the rows created, and each row updated (at its new
    # version) with its values before
    made: tuple[BuyingPower, ...] = ()
    changed: tuple[tuple[BuyingPower, dict[str, Any]], ...] = ()


@transaction.atomic
def buying_power_bulk(
    actor: User, rows: Sequence[dict[str, Any]], *, source: str = BuyingPower.Source.IMPORTED
) -> BulkResult:
    """Set many BPs at once ({account_id, year, amount, note?}): an import's write, last value wins (no
    versions). Every account must be one the actor may change, else nothing is written (422 listing the
    rows). History and audit rows are written in bulk."""
    if not rows:
        raise ValidationFailed(_("Send at least one row."), {"rows": [_("Send at least one row.")]})
    if len(rows) > BULK_LIMIT:
        raise ValidationFailed(
            _("Send at most %(n)s rows at once.") % {"n": BULK_LIMIT}, {"rows": [_("Too many rows.")]}
        )
    source = _source(source)
    clean: dict[tuple[int, int], tuple[Decimal, str]] = {}
    errors: dict[str, list[str]] = {}
    for i, r in enumerate(rows):
        try:
            key = (int(r["account_id"]), check_year(int(r["year"])))
            clean[key] = (clean_amount(r["amount"]), str(r.get("note") or "")[:500])
        except (KeyError, TypeError, ValueError, ValidationFailed) as exc:
            errors[f"rows.{i}"] = [getattr(exc, "detail", None) or _("Give account_id, year and amount.")]
    ids = sorted({a for a, _y in clean})
    accounts = {a.pk: a for a in visible_accounts(actor).filter(pk__in=ids)}
    for i, r in enumerate(rows):
        aid = r.get("account_id") if isinstance(r, dict) else None
        try:
            aid = int(aid)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        account = accounts.get(aid)
        if account is None:
            errors.setdefault(f"rows.{i}", []).append(_("Account not found."))
        elif not can_enter_buying_power(actor, account):
            errors.setdefault(f"rows.{i}", []).append(_("You may view this account but not change it."))
    if errors:
        raise ValidationFailed(_("Some rows cannot be written; nothing was saved."), errors)
    existing = {
        (b.account_id, b.year): b
        for b in BuyingPower.objects.select_for_update().filter(
            account_id__in=ids, year__in={y for _a, y in clean}
        )
    }
    now = timezone.now()
    created = updated = unchanged = 0
    new_rows: list[BuyingPower] = []
    history: list[tuple] = []
    changes: dict[int, dict[str, tuple[Any, Any]]] = {}
    changed: list[tuple[BuyingPower, dict[str, Any]]] = []
    for (aid, year), (amount, note) in clean.items():
        row = existing.get((aid, year))
        if row is None:
            new_rows.append(
                BuyingPower(
                    account_id=aid,
                    year=year,
                    amount=amount,
                    source=source,
                    note=note,
                    entered_by=actor,
                    updated_at=now,
                )
            )
            history.append((aid, year, None, amount, source, note, actor.pk, now))
            created += 1
        elif row.amount == amount and row.note == note:
            unchanged += 1
        else:
            changes[row.pk] = {"amount": (row.amount, amount), "note": (row.note, note)}
            before = {"amount": str(row.amount), "note": row.note, "source": row.source}
            history.append((aid, year, row.amount, amount, source, note, actor.pk, now))
            BuyingPower.objects.filter(pk=row.pk).update(
                amount=amount,
                note=note,
                source=source,
                entered_by=actor,
                updated_at=now,
                version=row.version + 1,
            )
            row.version += 1
            changed.append((row, before))
            updated += 1
    made = BuyingPower.objects.bulk_create(new_rows)
    for b in made:
        if b.pk:
            changes[b.pk] = {"amount": (None, b.amount)}
    insert_rows(
        BuyingPowerHistory,
        ("account_id", "year", "old_amount", "new_amount", "source", "note", "changed_by_id", "at"),
        history,
    )
    audit_many("keyaccounts.buyingpower", changes, actor, reason=_("Bulk buying power"))
    return BulkResult(created, updated, unchanged, tuple(made), tuple(changed))


@transaction.atomic
def buying_power_restore(actor: User, pk: int, *, version: int, before: dict[str, Any]) -> BuyingPower:
    """Put back the values a BP had (an import's undo): through buying_power_set, so the history, the
    audit trail and the version check (409 when it changed since) are the one write's."""
    row = BuyingPower.objects.filter(pk=pk).only("account_id", "year").first()
    if row is None:
        raise Conflict(_("This buying power was removed since. Reload and try again."), current_version=None)
    return buying_power_set(
        actor,
        row.account_id,
        year=row.year,
        amount=before["amount"],
        source=before.get("source") or BuyingPower.Source.ENTERED,
        note=before.get("note") or "",
        version=version,
    )


@transaction.atomic
def buying_power_remove_many(actor: User, ids: Sequence[int], *, reason: str = "") -> list[int]:
    """Remove BP rows (an import's undo of what it created), locked; each removal is kept in the history
    (old → none) and the audit trail. Every row must be one the actor may change, else nothing is removed.
    Returns the years of the rows removed."""
    rows = list(BuyingPower.objects.select_for_update().filter(pk__in=list(ids)).select_related("account"))
    refused = [r for r in rows if not can_enter_buying_power(actor, r.account)]
    if refused:
        raise PermissionDenied(_("You may view this account but not change it."))
    now = timezone.now()
    insert_rows(
        BuyingPowerHistory,
        ("account_id", "year", "old_amount", "new_amount", "source", "note", "changed_by_id", "at"),
        [(r.account_id, r.year, r.amount, None, r.source, reason[:500], actor.pk, now) for r in rows],
    )
    audit_many(
        "keyaccounts.buyingpower", {r.pk: {"amount": (r.amount, None)} for r in rows}, actor, reason=reason
    )
    BuyingPower.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return sorted({r.year for r in rows})


# --- configuration ----------------------------------------------------------------------------------

POLICY_FIELDS = (
    "sow_high_pct",
    "sow_low_pct",
    "bp_high",
    "bp_low",
    "abc_a_pct",
    "abc_b_pct",
    "default_margin_pct",
    "focus_low",
    "focus_high",
)


@transaction.atomic
def policy_update(actor: User, *, version: Any, **values: Any) -> KamValuePolicy:
    """An admin changes the thresholds (`version` as read; 409 when stale). Lows must not exceed highs."""
    if not can_configure_kam_value(actor):
        raise PermissionDenied(_("Only an admin changes the key-account thresholds."))
    version = require_version(version)
    policy()  # make sure the row exists
    row = KamValuePolicy.objects.select_for_update().get(pk=1)
    clean = {k: v for k, v in values.items() if k in POLICY_FIELDS and v is not None}
    merged = {f: clean.get(f, getattr(row, f)) for f in POLICY_FIELDS}
    errors: dict[str, list[str]] = {}
    for f in ("sow_high_pct", "sow_low_pct", "abc_a_pct", "abc_b_pct", "default_margin_pct"):
        if not (0 <= Decimal(str(merged[f])) <= 100):
            errors[f] = [_("Enter a percentage between 0 and 100.")]
    for f in ("bp_high", "bp_low"):
        if not (0 <= Decimal(str(merged[f])) < MAX_BP):
            errors[f] = [_("Enter an amount of 0 or more.")]
    if Decimal(str(merged["sow_low_pct"])) > Decimal(str(merged["sow_high_pct"])):
        errors["sow_low_pct"] = [_("The lower threshold must not exceed the higher one.")]
    if Decimal(str(merged["bp_low"])) > Decimal(str(merged["bp_high"])):
        errors["bp_low"] = [_("The lower threshold must not exceed the higher one.")]
    if not (0 < Decimal(str(merged["abc_a_pct"])) <= Decimal(str(merged["abc_b_pct"]))):
        errors["abc_a_pct"] = [_("Class A's share must be above 0 and not exceed class B's.")]
    if not (0 <= int(merged["focus_low"]) <= int(merged["focus_high"]) <= 10000):
        errors["focus_low"] = [_("The lower threshold must not exceed the higher one.")]
    if errors:
        raise ValidationFailed(_("Check the thresholds."), errors)
    changes = diff(row, clean)
    versioned_update(row, version, {**clean, "updated_by_id": actor.pk})
    audit_changes("keyaccounts.kamvaluepolicy", row.pk, changes, actor)
    return row


@transaction.atomic
def margin_set(actor: User, *, industry_id: int, margin_pct: Any) -> KamMarginRate | None:
    """An admin sets an industry's gross margin % (None removes it: the default applies)."""
    if not can_configure_kam_value(actor):
        raise PermissionDenied(_("Only an admin changes the key-account thresholds."))
    if not Industry.objects.filter(pk=industry_id).exists():
        raise NotFound(_("Unknown industry."))
    row = KamMarginRate.objects.select_for_update().filter(industry_id=industry_id).first()
    old = row.margin_pct if row else None
    if margin_pct is None:
        if row:
            row.delete()
        audit_changes("keyaccounts.kammarginrate", industry_id, {"margin_pct": (old, None)}, actor)
        return None
    pct = clean_amount(margin_pct, "margin_pct")
    if pct > 100:
        raise ValidationFailed(
            _("Enter a percentage between 0 and 100."),
            {"margin_pct": [_("Enter a percentage between 0 and 100.")]},
        )
    if row is None:
        row = KamMarginRate.objects.create(industry_id=industry_id, margin_pct=pct)
    else:
        KamMarginRate.objects.filter(pk=row.pk).update(margin_pct=pct)
        row.margin_pct = pct
    audit_changes("keyaccounts.kammarginrate", industry_id, {"margin_pct": (old, pct)}, actor)
    return row


# --- the computes (set-based) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ComputeResult:
    year: int
    rad_cells: int
    abc_rows: int


def _lit(value: Decimal) -> str:
    """A numeric literal for SQL from a Decimal read from the policy (never user text)."""
    return format(Decimal(value), "f")


def _revenue_sql(year: int) -> tuple[str, list[Any]]:
    sql, params = won_by_account(date(year, 1, 1), date(year, 12, 31)).query.sql_with_params()
    return sql, list(params)


REVENUE_TABLE = "kam_value_revenue"


def _revenue_table(year: int) -> None:
    """Our revenue per account for the year (kadence.keyaccounts.revenue, the one definition) into a temporary
    table, aggregated once for the four inserts of a compute."""
    revenue, params = _revenue_sql(year)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {REVENUE_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {REVENUE_TABLE} AS {revenue}", params)


def _drop_revenue_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {REVENUE_TABLE}")


def _rad_insert(year: int, p: KamValuePolicy, now: Any) -> int:
    revenue, params = REVENUE_TABLE, list[Any]()
    high, low = _lit(p.sow_high_pct / 100), _lit(p.sow_low_pct / 100)
    sql = f"""
        INSERT INTO {RadCell._meta.db_table}
            (account_id, year, cell, previous_cell, sow, bp, revenue, remaining, owner_id, team_id, computed_at)
        SELECT x.id, {int(year)},
            (CASE WHEN x.rev > {high} * x.bp THEN 'R' WHEN x.rev >= {low} * x.bp THEN 'D' ELSE 'A' END) ||
            (CASE WHEN x.bp > {_lit(p.bp_high)} THEN '1' WHEN x.bp >= {_lit(p.bp_low)} THEN '2' ELSE '3' END),
            COALESCE(x.previous, ''),
            ROUND(CASE WHEN x.rev * 1.0 / x.bp > 9999999999 THEN 9999999999 ELSE x.rev * 1.0 / x.bp END, 6),
            x.bp, x.rev, CASE WHEN x.bp > x.rev THEN x.bp - x.rev ELSE 0 END, x.owner_id, x.team_id, %s
        FROM (
            SELECT a.id, a.owner_id, a.team_id, COALESCE(b.amount, a.buying_power) AS bp,
                   COALESCE(r.total, 0) AS rev, prev.cell AS previous
            FROM {Account._meta.db_table} a
            LEFT JOIN {BuyingPower._meta.db_table} b ON b.account_id = a.id AND b.year = {int(year)}
            LEFT JOIN {RadCell._meta.db_table} prev ON prev.account_id = a.id AND prev.year = {int(year) - 1}
            LEFT JOIN {revenue} r ON r.account_id = a.id
        ) x
        WHERE x.bp > 0
    """
    table = RadCell._meta.db_table
    # the year after keeps its movements right: its previous cell is this year's new one
    follow = f"""
        UPDATE {table} SET previous_cell = COALESCE(
            (SELECT c.cell FROM {table} c WHERE c.year = {int(year)} AND c.account_id = {table}.account_id), '')
        WHERE year = {int(year) + 1}
    """
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE year = %s", [year])
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *params])
        count = cursor.rowcount
        cursor.execute(follow)
        return count


def _abc_insert(year: int, basis: str, p: KamValuePolicy, now: Any) -> int:
    revenue, params = REVENUE_TABLE, list[Any]()
    value = {
        "revenue": "COALESCE(r.total, 0)",
        "volume": "COALESCE(r.deals, 0)",
        "profit": f"COALESCE(r.total, 0) * COALESCE(m.margin_pct, {_lit(p.default_margin_pct)}) / 100",
    }[basis]
    a, b = _lit(p.abc_a_pct / 100), _lit(p.abc_b_pct / 100)
    sql = f"""
        INSERT INTO {AbcClass._meta.db_table}
            (account_id, year, basis, value, rank, cum_share, klass, owner_id, team_id, computed_at)
        SELECT w.id, {int(year)}, '{basis}', w.value, w.rk,
            CASE WHEN w.tot > 0 THEN ROUND(w.cum * 1.0 / w.tot, 6) ELSE 0 END,
            CASE WHEN w.value <= 0 THEN 'C' WHEN w.cum - w.value < {a} * w.tot THEN 'A'
                 WHEN w.cum - w.value < {b} * w.tot THEN 'B' ELSE 'C' END,
            w.owner_id, w.team_id, %s
        FROM (
            SELECT v.id, v.owner_id, v.team_id, v.value,
                ROW_NUMBER() OVER (ORDER BY v.value DESC, v.id) AS rk,
                SUM(CASE WHEN v.value > 0 THEN v.value ELSE 0 END)
                    OVER (ORDER BY v.value DESC, v.id ROWS UNBOUNDED PRECEDING) AS cum,
                SUM(CASE WHEN v.value > 0 THEN v.value ELSE 0 END) OVER () AS tot
            FROM (
                SELECT a.id, a.owner_id, a.team_id, ROUND({value}, 2) AS value
                FROM {Account._meta.db_table} a
                LEFT JOIN {revenue} r ON r.account_id = a.id
                LEFT JOIN {KamMarginRate._meta.db_table} m ON m.industry_id = a.industry_id
            ) v
        ) w
    """
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AbcClass._meta.db_table} WHERE year = %s AND basis = %s", [year, basis])
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *params])
        return cursor.rowcount


@transaction.atomic
def value_compute(actor: User | None, *, year: int, rad: bool = True, abc: bool = True) -> ComputeResult:
    """Recompute every account's RAD cell and ABC classes (revenue, profit, volume) for `year`, each with one
    DELETE and one INSERT … SELECT. The policy row is locked for the run, so two computes do not interleave.
    `actor` None is the nightly job or the command; a person must be an admin."""
    if actor is not None and not can_compute_kam_value(actor):
        raise PermissionDenied(_("Only an admin recomputes the RAD matrix and the ABC classes."))
    year = check_year(year)
    policy()
    p = KamValuePolicy.objects.select_for_update().get(pk=1)
    now = timezone.now()
    _revenue_table(year)
    try:
        cells = _rad_insert(year, p, now) if rad else 0
        rows = sum(_abc_insert(year, basis, p, now) for basis in AbcClass.Basis.values) if abc else 0
    finally:
        _drop_revenue_table()
    return ComputeResult(year, cells, rows)
