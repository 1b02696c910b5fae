"""Writes of the target grid (issue 14 §1): make a grid, edit its cells, spread a row down, roll the
rows up, import a workbook, approve. Every write is atomic and audited (entities "performance.targetgrid"
and "performance.gridrow", one entry per changed month), locks the rows it changes and names the version
of each row it read (a stale one is a 409 `stale` listing them). Writes are set-based: a save of any
number of rows is a fixed number of queries. The approved revenue grid of the base tier becomes the
target of record through kadence.planning.services.targets.targets_set_many."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kadence.accounts.models import Account
from kadence.core.audit import audit_changes, audit_many
from kadence.core.bulk import insert_rows, update_rows
from kadence.core.concurrency import require_version, versioned_update
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import OrgUnit, User
from kadence.core.validation import clean_money, clean_text
from kadence.core.visibility import (
    can_edit_grid_row,
    can_manage_grid,
    grid_rows_q,
    sellers_q,
    visible_grids,
)
from kadence.domain import grid as rules
from kadence.performance.grid.models import MONTH_FIELDS, GridRow, TargetGrid
from kadence.performance.grid.selectors import SHEET_KEYS, sheet_headers
from kadence.pipeline.models import ProductLine
from kadence.planning.models import PeriodKind, Target
from kadence.planning.services.targets import TargetItem, targets_set_many
from kadence.transfer.reader import open_sheet

GRID = "performance.targetgrid"
ROW = "performance.gridrow"


@dataclass(frozen=True)
class CellEdit:
    """Set `period` (M1…M12, Q1…Q4, Y) of row `row_id` to `amount`; `version` is the row's as read."""

    row_id: int
    period: str
    amount: Any
    version: int


def access_grid(user: User, grid_id: int, *, lock: bool = False) -> TargetGrid:
    qs = visible_grids(user).select_related("root")
    if lock:
        qs = qs.select_for_update(of=("self",))
    grid = qs.filter(pk=grid_id).first()
    if grid is None:
        raise NotFound(_("Target grid not found."))
    return grid


def _choice(value: Any, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(_("Choose a listed value."), {field: [_("Choose a listed value.")]})
    return str(value)


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise ValidationFailed(
            _("Enter a year between 2000 and 2100."), {"year": [_("Between 2000 and 2100.")]}
        )
    return value


@transaction.atomic
def grid_create(
    user: User,
    *,
    root_id: int,
    year: int,
    measure: str,
    tier: str = TargetGrid.Tier.BASE,
    currency: str = "CNY",
    note: str = "",
    split: str = TargetGrid.Split.NONE,
) -> TargetGrid:
    """Make the grid of `root_id` (a unit) for `year`: a row for the unit, every unit below it and every
    active seller placed in them, as the organisation stands today, and — split by product line or by
    account — a row per product line, or per account the seller owns, under each seller. A revenue grid of the base tier starts from the monthly targets
    already set (planning.Target); others, and the product lines, start at zero."""
    values = {
        "year": _year(year),
        "measure": _choice(measure, TargetGrid.Measure, "measure"),
        "tier": _choice(tier, TargetGrid.Tier, "tier"),
        "split": _choice(split or "", TargetGrid.Split, "split"),
        "currency": clean_text(currency, "currency", 3).strip().upper() or "CNY",
        "note": clean_text(note, "note", 500, multiline=True).strip(),
    }
    root = OrgUnit.objects.filter(pk=root_id).first()
    if root is None:
        raise ValidationFailed(_("Unknown unit."), {"root_id": [_("Unknown id.")]})
    if not can_manage_grid(user, root):
        raise PermissionDenied(_("You may not set the targets of this unit."))
    existing = TargetGrid.objects.filter(root=root, **{k: values[k] for k in ("year", "measure", "tier")})
    if found := existing.first():
        raise Conflict(_("This unit already has that grid."), code="duplicate", existing_id=found.pk)
    try:
        with transaction.atomic():
            grid = TargetGrid.objects.create(root=root, created_by=user, **values)
    except IntegrityError:
        raise Conflict(_("This unit already has that grid."), code="duplicate") from None
    _build_rows(grid, root)
    audit_changes(GRID, grid.pk, {"root": (None, root.pk), **{k: (None, v) for k, v in values.items()}}, user)
    return grid


def _build_rows(grid: TargetGrid, root: OrgUnit) -> None:
    """The rows of a new grid, parents before children, in the order of the organisation (a unit, its
    sellers, then the units below it): one insert per level of the tree, one for the sellers and one
    for their product lines."""
    units = list(OrgUnit.objects.filter(path__startswith=root.path).order_by("path"))
    unit_ids = [u.pk for u in units]
    sellers = list(
        User.objects.filter(sellers_q(), is_active=True, org_unit_id__in=unit_ids)
        .order_by("username")
        .values_list("pk", "org_unit_id")
    )
    by_unit: dict[int, list[int]] = {}
    for seller_id, unit_id in sellers:
        by_unit.setdefault(unit_id, []).append(seller_id)
    kids: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        kids.setdefault(unit.parent_id if unit.pk != root.pk else None, []).append(unit)
    # the parts of each seller in a split grid: every product line, or the accounts the seller owns
    lines: list[int] = []
    parts_of: dict[int, list[int]] = {}
    if grid.split == TargetGrid.Split.PRODUCT_LINE:
        lines = list(ProductLine.objects.order_by("code").values_list("pk", flat=True))
        parts_of = {seller_id: lines for seller_id, _unit in sellers}
    elif grid.split == TargetGrid.Split.ACCOUNT:
        owned = Account.objects.filter(owner_id__in=[s for s, _u in sellers]).order_by("name", "pk")
        for account_id, owner_id in owned.values_list("pk", "owner_id"):
            parts_of.setdefault(owner_id, []).append(account_id)

    # positions: a unit, its sellers (each followed by its product lines), then the units below it
    order: dict[tuple[str, int], int] = {}
    slot = 0

    def walk(unit: OrgUnit) -> None:
        nonlocal slot
        order[("u", unit.pk)] = slot
        slot += 1
        for seller_id in by_unit.get(unit.pk, ()):
            order[("p", seller_id)] = slot
            slot += 1 + len(parts_of.get(seller_id, ()))
        for child in kids.get(unit.pk, ()):
            walk(child)

    walk(root)
    months = _prefill(grid, unit_ids, [s for s, _u in sellers])
    rows_of: dict[int, GridRow] = {}
    level = [root]
    parent_of: dict[int, int | None] = {root.pk: None}
    while level:
        made = [
            GridRow(
                grid=grid,
                unit_id=u.pk,
                parent=rows_of.get(parent_of[u.pk] or 0),
                under_id=parent_of[u.pk],
                position=order[("u", u.pk)],
                **dict(zip(MONTH_FIELDS, months.get(("u", u.pk), rules.zeros()), strict=True)),
            )
            for u in level
        ]
        GridRow.objects.bulk_create(made, batch_size=2000)
        for row in made:
            rows_of[row.unit_id] = row  # type: ignore[index]
        nxt = [c for u in level for c in kids.get(u.pk, ())]
        for child in nxt:
            parent_of[child.pk] = child.parent_id
        level = nxt
    GridRow.objects.bulk_create(
        [
            GridRow(
                grid=grid,
                user_id=seller_id,
                parent=rows_of[unit_id],
                under_id=unit_id,
                position=order[("p", seller_id)],
                **dict(zip(MONTH_FIELDS, months.get(("p", seller_id), rules.zeros()), strict=True)),
            )
            for seller_id, unit_id in sellers
        ],
        batch_size=2000,
    )
    if parts_of:  # a seller's product lines or accounts: one write of plain rows (tens of thousands)
        now = timezone.now()
        part = "product_line_id" if grid.split == TargetGrid.Split.PRODUCT_LINE else "account_id"
        seller_rows = GridRow.objects.filter(grid=grid, user__isnull=False).values_list(
            "pk", "user_id", "under_id"
        )
        fields = ("grid_id", "user_id", part, "parent_id", "under_id", "position", "version", "updated_at")
        insert_rows(
            GridRow,
            (*fields, *MONTH_FIELDS),
            [
                (
                    grid.pk,
                    seller_id,
                    ref,
                    row_id,
                    unit_id,
                    order[("p", seller_id)] + 1 + i,
                    1,
                    now,
                    *rules.zeros(),
                )
                for row_id, seller_id, unit_id in seller_rows
                for i, ref in enumerate(parts_of.get(seller_id, ()))
            ],
        )


def _prefill(
    grid: TargetGrid, unit_ids: list[int], seller_ids: list[int]
) -> dict[tuple[str, int], list[Decimal]]:
    """The monthly targets already set for the grid's scopes and year (revenue, base tier only)."""
    if grid.measure != TargetGrid.Measure.REVENUE or grid.tier != TargetGrid.Tier.BASE:
        return {}
    found: dict[tuple[str, int], list[Decimal]] = {}
    rows = Target.objects.filter(
        Q(unit_id__in=unit_ids) | Q(user_id__in=seller_ids),
        period_kind=PeriodKind.MONTH,
        period_start__gte=date(grid.year, 1, 1),
        period_start__lte=date(grid.year, 12, 1),
    ).values_list("unit_id", "user_id", "period_start", "amount")
    for unit_id, user_id, start, amount in rows:
        key = ("u", unit_id) if unit_id else ("p", user_id)
        found.setdefault(key, rules.zeros())[start.month - 1] = amount
    return found


# --- cell writes ---------------------------------------------------------------------------------


def _locked_rows(user: User, grid: TargetGrid, ids: Iterable[int] | None = None) -> dict[int, GridRow]:
    """The grid's rows (those of `ids`, or all) `user` may read, locked, by id."""
    qs = GridRow.objects.filter(grid=grid).select_for_update().order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=sorted(set(ids)))
    rule = grid_rows_q(user)
    if rule is not None and ids is not None:
        qs = qs.filter(rule)
    return {row.pk: row for row in qs}


def _amount(grid: TargetGrid, value: Any) -> Decimal:
    return clean_money(value, "amount")


def _save(
    user: User, grid: TargetGrid, before: dict[int, list[Decimal]], rows: dict[int, GridRow], reason: str
) -> int:
    """Write the rows whose months differ from `before` (their version bumped), audit each changed
    month; the grid goes back to draft when it was approved. Returns the rows changed."""
    changed = [row for pk, row in rows.items() if row.months != before[pk]]
    if not changed:
        return 0
    now = timezone.now()
    for row in changed:
        row.version += 1
        row.updated_at = now
    _update_rows(changed, now)
    audit_many(  # one entry per row: its twelve months before and after, as "m1 m2 … m12"
        ROW,
        {row.pk: {"months": (_months_text(before[row.pk]), _months_text(row.months))} for row in changed},
        user,
        reason,
    )
    if grid.status == TargetGrid.Status.APPROVED:
        TargetGrid.objects.filter(pk=grid.pk).update(
            status=TargetGrid.Status.DRAFT, version=F("version") + 1, updated_at=now
        )
        audit_changes(GRID, grid.pk, {"status": (grid.status, TargetGrid.Status.DRAFT)}, user, reason)
        grid.status = TargetGrid.Status.DRAFT
        grid.version += 1
    return len(changed)


def _update_rows(rows: Sequence[GridRow], now: Any) -> None:
    """Write the rows' months and versions, set-based (kadence.core.bulk.update_rows)."""
    fields = [*MONTH_FIELDS, "version", "updated_at"]
    update_rows(
        GridRow, fields, [(r.pk, *(getattr(r, f) for f in MONTH_FIELDS), r.version, now) for r in rows]
    )


def _months_text(months: Sequence[Decimal]) -> str:
    return " ".join(format(m, "f") for m in months)


def _stale(rows: Sequence[GridRow]) -> Conflict:
    return Conflict(
        _("These rows were changed by someone else since you read them: reload and apply your change again."),
        code="stale",
        rows=[{"id": r.pk, "version": r.version} for r in rows],
    )


@transaction.atomic
def cells_write(user: User, grid_id: int, edits: Sequence[CellEdit], *, reason: str = "") -> int:
    """Set cells of the grid. Each edit names a row, a period (a month is set; a quarter or the year is
    spread over its months by the remainder rule, kadence.domain.grid.set_period), the amount and the
    row's version as read (409 `stale` if any moved; nothing is written). A row `user` may not read is a
    404, one they may read but not edit a 403. Returns the rows changed."""
    grid = access_grid(user, grid_id, lock=True)
    for edit in edits:
        require_version(edit.version)
        if edit.period not in rules.PERIODS:
            raise ValidationFailed(_("Unknown period."), {"period": [_("M1…M12, Q1…Q4 or Y.")]})
    rows = _locked_rows(user, grid, (e.row_id for e in edits))
    if missing := {e.row_id for e in edits} - set(rows):
        raise NotFound(
            _("Target grid row not found: %(ids)s") % {"ids": ", ".join(map(str, sorted(missing)))}
        )
    if any(not can_edit_grid_row(user, rows[e.row_id].under_id) for e in edits):
        raise PermissionDenied(_("You may read this row but not change it."))
    stale = [rows[e.row_id] for e in edits if rows[e.row_id].version != e.version]
    if stale:
        raise _stale(stale)
    before = {pk: row.months for pk, row in rows.items()}
    # months first, then quarters, then the year, so that a pasted block of months and totals agrees
    for edit in sorted(edits, key=lambda e: len(rules.PERIODS[e.period])):
        row = rows[edit.row_id]
        amount = _amount(grid, edit.amount)
        if rules.period_value(row.months, edit.period, additive=grid.additive) == amount:
            continue
        for field, value in zip(
            MONTH_FIELDS,
            rules.set_period(row.months, edit.period, amount, additive=grid.additive),
            strict=True,
        ):
            setattr(row, field, value)
    return _save(user, grid, before, rows, reason or _("edited"))


def _tree(rows: dict[int, GridRow]) -> tuple[dict[int, list[int]], dict[int, int | None]]:
    parents = {pk: row.parent_id for pk, row in sorted(rows.items(), key=lambda kv: kv[1].position)}
    return rules.children_of(parents), parents


def _subtree_write(user: User, grid_id: int, row_id: int, version: int, *, down: bool) -> int:
    grid = access_grid(user, grid_id, lock=True)
    require_version(version)
    readable = _locked_rows(user, grid, [row_id])
    node = readable.get(row_id)
    if node is None:
        raise NotFound(_("Target grid row not found."))
    if node.version != version:
        raise _stale([node])
    # spreading down changes the rows below (they hang under this row's unit; a seller's product lines
    # under the seller's unit); rolling up changes this row
    seller = node.user_id is not None
    allowed = can_edit_grid_row(user, node.under_id if seller or not down else node.unit_id)
    if (seller and (not grid.split or node.product_line_id or node.account_id)) or not allowed:
        raise PermissionDenied(_("You may not change the rows below this one."))
    rows = _locked_rows(user, grid)
    tree, _parents = _tree(rows)
    before = {pk: row.months for pk, row in rows.items()}
    months = {pk: row.months for pk, row in rows.items()}
    if down:
        changed = rules.spread_down(tree, months, row_id, additive=grid.additive)
    else:
        changed = rules.roll_up(tree, months, row_id)
    for pk, values in changed.items():
        for field, value in zip(MONTH_FIELDS, values, strict=True):
            setattr(rows[pk], field, value)
    return _save(user, grid, before, rows, _("spread down") if down else _("rolled up"))


@transaction.atomic
def row_spread(user: User, grid_id: int, row_id: int, *, version: int) -> int:
    """Spread a unit row's months over the rows below it, down to the sellers, each month in proportion
    to their current figures (equally when they are all zero): afterwards every level below adds up to
    it exactly. The rows below must be the user's to edit. Returns the rows changed."""
    return _subtree_write(user, grid_id, row_id, version, down=True)


@transaction.atomic
def row_roll_up(user: User, grid_id: int, row_id: int, *, version: int) -> int:
    """Set a unit row and every unit row below it to the sum of the rows below (the bottom-up figure):
    the row must be the user's to edit. Returns the rows changed."""
    return _subtree_write(user, grid_id, row_id, version, down=False)


# --- approval ----------------------------------------------------------------------------------------


def target_items(grid: TargetGrid, rows: Iterable[GridRow]) -> list[TargetItem]:
    """The planning targets of a grid: each row's year, quarters and months."""
    items: list[TargetItem] = []
    for row in rows:
        if row.product_line_id is not None or row.account_id is not None:  # a seller's breakdown
            continue
        months = row.months
        for period in rules.PERIOD_ORDER:
            idx = rules.PERIODS[period]
            kind = (
                PeriodKind.YEAR
                if period == "Y"
                else PeriodKind.QUARTER
                if period[0] == "Q"
                else PeriodKind.MONTH
            )
            items.append(
                TargetItem(
                    row.unit_id,
                    row.user_id,
                    kind,
                    date(grid.year, idx[0] + 1, 1),
                    rules.period_value(months, period),
                )
            )
    return items


@transaction.atomic
def grid_approve(user: User, grid_id: int, *, version: int) -> TargetGrid:
    """Approve the grid (who may set its root unit's target): every level must add up to its parent
    (422 `unbalanced` naming the rows otherwise). An approved revenue grid of the base tier writes every
    row's year, quarters and months into planning.Target — the target of record the reports read."""
    grid = access_grid(user, grid_id, lock=True)
    require_version(version)
    if not can_manage_grid(user, grid.root):
        raise PermissionDenied(_("You may not approve this grid."))
    if grid.version != version:
        raise Conflict(_("This grid was changed by someone else; reload it."), current_version=grid.version)
    rows = _locked_rows(user, grid)
    if grid.additive:
        tree, _parents = _tree(rows)
        if off := rules.unbalanced(tree, {pk: r.months for pk, r in rows.items()}):
            raise ValidationFailed(
                _("Some rows do not add up to the row above them: spread or roll up first."),
                {"rows": [str(pk) for pk in off[:50]]},
                code="unbalanced",
            )
    versioned_update(
        grid,
        version,
        {"status": TargetGrid.Status.APPROVED, "approved_by": user, "approved_at": timezone.now()},
    )
    audit_changes(GRID, grid.pk, {"status": (TargetGrid.Status.DRAFT, TargetGrid.Status.APPROVED)}, user)
    if grid.measure == TargetGrid.Measure.REVENUE and grid.tier == TargetGrid.Tier.BASE:
        targets_set_many(
            user,
            target_items(grid, sorted(rows.values(), key=lambda r: r.position)),
            currency=grid.currency,
            note=_("Target grid %(year)s approved") % {"year": grid.year},
        )
    return grid


# --- import ----------------------------------------------------------------------------------------


IMPORT_KEYS = ("id", "version", *(f"M{m}" for m in range(1, 13)))


def _header_keys() -> dict[str, str]:
    """Each header the export writes, in every language it is written in (and the bare keys), → its key."""
    found = {key: key for key in SHEET_KEYS}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.update({label: key for key, label in sheet_headers().items()})
    return found


def grid_import(user: User, grid_id: int, handle: IO[bytes], kind: str) -> int:
    """Apply a workbook (or CSV) exported from the grid (kadence.performance.grid.selectors.grid_sheet,
    headers in any language): each line names a row (row id) and the version it was exported at, with its
    months M1…M12; the months that differ are written as edits (409 `stale` when a row moved since the
    export). The other columns (names, quarters, year) are for reading and are ignored. Returns the rows
    changed."""
    sheet = open_sheet(handle, kind)
    keys = _header_keys()
    index = {keys[h]: i for i, h in enumerate(sheet.headers) if h in keys}
    if missing := [h for h in IMPORT_KEYS if h not in index]:
        raise ValidationFailed(
            _("The file is not a target grid export: columns missing: %(cols)s")
            % {"cols": ", ".join(missing)},
            {"file": [_("Export the grid, edit it and import that file.")]},
        )
    edits: list[CellEdit] = []
    for number, values in sheet.rows():

        def cell(name: str, values: list[Any] = values) -> Any:
            i = index[name]
            return values[i] if i < len(values) else None

        try:
            row_id, version = int(float(cell("id"))), int(float(cell("version")))
        except (TypeError, ValueError):
            raise ValidationFailed(
                _("Line %(n)s: no row id or version.") % {"n": number}, {"file": [str(number)]}
            ) from None
        for m in range(1, 13):
            value = cell(f"M{m}")
            amount = clean_money(Decimal(str(value)) if isinstance(value, float) else (value or 0), f"M{m}")
            edits.append(CellEdit(row_id, f"M{m}", amount, version))
    return cells_write(user, grid_id, edits, reason=_("imported"))
