"""Reads of the target grid (issue 14 §1): the grids a user sees, one level of a grid (a row, the rows
right below it, their sums and the gaps), the whole grid at once (set-based: a fixed number of queries
whatever its size) and its export. Who reads which row is kadence.core.visibility's (grid_rows_q)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kadence.accounts.models import Account
from kadence.core.errors import NotFound
from kadence.core.export import Column
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import can_edit_grid_row, can_manage_grid, grid_rows_q, visible_grids
from kadence.domain import grid as rules
from kadence.performance.grid.models import MONTH_FIELDS, GridRow, TargetGrid
from kadence.pipeline.models import ProductLine

FIELDS = (
    "pk",
    "parent_id",
    "under_id",
    "unit_id",
    "user_id",
    "product_line_id",
    "account_id",
    "position",
    "version",
    *MONTH_FIELDS,
)


def grid_list(user: User) -> QuerySet[TargetGrid]:
    return visible_grids(user).select_related("root").order_by("-year", "root__path", "measure", "tier")


def period_labels() -> list[tuple[str, str]]:
    """The grid's columns: (code, label) in the order shown."""
    names = {f"Q{q}": _("Q%(n)s") % {"n": q} for q in range(1, 5)}
    names["Y"] = _("Year")
    for m in range(1, 13):
        names[f"M{m}"] = _("M%(n)s") % {"n": m}
    return [(p, names[p]) for p in rules.PERIOD_ORDER]


@dataclass
class RowView:
    id: int
    parent_id: int | None
    kind: str  # "unit", "seller", "line" (a seller's product line) or "account" (an account the seller owns)
    ref_id: int
    name: str
    code: str
    version: int
    months: list[Decimal]
    editable: bool
    has_children: bool = False
    cells: list[tuple[str, Decimal]] = field(default_factory=list)  # (period, figure) in PERIOD_ORDER
    gap: list[tuple[str, Decimal]] = field(default_factory=list)  # the row's own gap, when it has children


@dataclass
class LevelView:
    grid: TargetGrid
    node: RowView | None
    children: list[RowView]
    children_sum: list[tuple[str, Decimal]]
    gap: list[tuple[str, Decimal]]
    balanced: bool
    path: list[RowView]
    can_manage: bool


def access_grid_read(user: User, grid_id: int) -> TargetGrid:
    grid = visible_grids(user).select_related("root").filter(pk=grid_id).first()
    if grid is None:
        raise NotFound(_("Target grid not found."))
    return grid


def _cells(months: list[Decimal], additive: bool) -> list[tuple[str, Decimal]]:
    return [(p, rules.period_value(months, p, additive=additive)) for p in rules.PERIOD_ORDER]


Names = dict[tuple[str, int], tuple[str, str]]


def _names(rows: list[dict[str, Any]]) -> Names:
    """(name, code) of the units, sellers, product lines and accounts of `rows`, by (kind, id): a query
    per kind present."""
    unit_ids = sorted({r["unit_id"] for r in rows if r["unit_id"]})
    user_ids = sorted({r["user_id"] for r in rows if r["user_id"]})
    line_ids = sorted({r["product_line_id"] for r in rows if r["product_line_id"]})
    names: Names = {("unit", u.pk): (str(u), u.code) for u in OrgUnit.objects.filter(pk__in=unit_ids)}
    names.update({("seller", u.pk): (u.label, u.username) for u in User.objects.filter(pk__in=user_ids)})
    if line_ids:
        lines = ProductLine.objects.filter(pk__in=line_ids)
        names.update({("line", p.pk): (str(p), p.code) for p in lines})
    if account_ids := sorted({r["account_id"] for r in rows if r["account_id"]}):
        accounts = Account.objects.filter(pk__in=account_ids).values_list("pk", "name", "credit_code")
        names.update({("account", pk): (name, code) for pk, name, code in accounts})
    return names


def row_kind(row: dict[str, Any]) -> tuple[str, int]:
    """What a row stands for: ("unit", id), ("seller", id), ("line", product line id) or ("account", id)."""
    if row["unit_id"]:
        return "unit", row["unit_id"]
    if row["product_line_id"]:
        return "line", row["product_line_id"]
    if row["account_id"]:
        return "account", row["account_id"]
    return "seller", row["user_id"]


def _view(user: User, row: dict[str, Any], names: Names, additive: bool) -> RowView:
    months = [row[f] for f in MONTH_FIELDS]
    kind, ref = row_kind(row)
    name, code = names.get((kind, ref), ("", ""))
    return RowView(
        id=row["pk"],
        parent_id=row["parent_id"],
        kind=kind,
        ref_id=ref,
        name=name,
        code=code,
        version=row["version"],
        months=months,
        editable=can_edit_grid_row(user, row["under_id"]),
        cells=_cells(months, additive),
    )


def grid_rows(user: User, grid: TargetGrid) -> list[dict[str, Any]]:
    """Every row of the grid `user` may read, as plain values, in the grid's order (one query)."""
    qs = GridRow.objects.filter(grid=grid)
    rule = grid_rows_q(user)
    if rule is not None:
        qs = qs.filter(rule)
    return list(qs.order_by("position").values(*FIELDS))


def grid_level(user: User, grid: TargetGrid, row_id: int | None = None) -> LevelView:
    """One level of the grid: the row `row_id` (default the top row `user` reads), the rows right below
    it, what they add up to and the gap (the row's figure minus that sum) for every period. A row the
    user may not read is a 404. Four queries whatever the grid's size."""
    rows = grid_rows(user, grid)
    by_id = {r["pk"]: r for r in rows}
    if row_id is None:
        top = next((r for r in rows if r["parent_id"] not in by_id), None)
    else:
        top = by_id.get(row_id)
        if top is None:
            raise NotFound(_("Target grid row not found."))
    if top is None:  # a grid with no row of the user's: nothing to show
        return LevelView(grid, None, [], [], [], True, [], can_manage_grid(user, grid.root))
    kids = [r for r in rows if r["parent_id"] == top["pk"]]
    has_kids = {r["parent_id"] for r in rows}
    path_rows = []
    cur = by_id.get(top["parent_id"]) if top["parent_id"] else None
    while cur is not None:
        path_rows.append(cur)
        cur = by_id.get(cur["parent_id"]) if cur["parent_id"] else None
    names = _names([top, *kids, *path_rows])
    additive = grid.additive
    node = _view(user, top, names, additive)
    node.has_children = top["pk"] in has_kids
    children = []
    for kid in kids:
        view = _view(user, kid, names, additive)
        view.has_children = kid["pk"] in has_kids
        children.append(view)
    total = [sum((c.months[m] for c in children), Decimal(0)) for m in range(12)]
    if additive and children:
        gap_months = [node.months[m] - total[m] for m in range(12)]
        gap = _cells(gap_months, True)
        children_sum = _cells(total, True)
    else:
        gap, children_sum = [], []
    return LevelView(
        grid=grid,
        node=node,
        children=children,
        children_sum=children_sum,
        gap=gap,
        balanced=all(g == 0 for _p, g in gap),
        path=[_view(user, r, names, additive) for r in reversed(path_rows)],
        can_manage=can_manage_grid(user, grid.root),
    )


def grid_state(user: User, grid: TargetGrid) -> dict[str, Any]:
    """The whole grid as `user` reads it, with every unbalanced row: the set-based read the bench
    measures (kadence.domain.grid over the rows of one query)."""
    rows = grid_rows(user, grid)
    months = {r["pk"]: [r[f] for f in MONTH_FIELDS] for r in rows}
    tree = rules.children_of({r["pk"]: r["parent_id"] for r in rows})
    return {"rows": rows, "unbalanced": rules.unbalanced(tree, months) if grid.additive else []}


SHEET_KEYS = (
    "id",
    "version",
    "kind",
    "code",
    "name",
    "parent",
    *(f"M{m}" for m in range(1, 13)),
    "Q1",
    "Q2",
    "Q3",
    "Q4",
    "Y",
)
"""The columns of the grid's sheet, by key; the import (services.grid_import) reads id, version, M1…M12."""


def sheet_headers() -> dict[str, str]:
    """The shown header of each sheet column, in the active language."""
    labels = dict(period_labels())
    return {
        "id": _("Row id"),
        "version": _("Version"),
        "kind": _("Kind"),
        "code": _("Code"),
        "name": _("Name"),
        "parent": _("Parent row"),
        **{key: labels[key] for key in SHEET_KEYS[6:]},
    }


def grid_sheet(user: User, grid: TargetGrid) -> tuple[list[Column], list[list[Any]]]:
    """The grid as a sheet (export; kadence.performance.grid.services.grid_import reads it back): row id
    and version (keep them), kind, code, name, parent row, M1…M12, then Q1…Q4 and the year (for reading)."""
    rows = grid_rows(user, grid)
    names = _names(rows)
    headers = sheet_headers()
    kinds: dict[str, Any] = {"id": "int", "version": "int", "parent": "int"}
    columns = [
        Column(headers[key], kind=kinds.get(key, "money" if key[0] in "MQY" and len(key) <= 3 else "text"))
        for key in SHEET_KEYS
    ]
    kind_labels = {
        "unit": _("Unit"),
        "seller": _("Seller"),
        "line": _("Product line"),
        "account": _("Account"),
    }
    lines = []
    for r in rows:
        months = [r[f] for f in MONTH_FIELDS]
        kind, ref = row_kind(r)
        name, code = names.get((kind, ref), ("", ""))
        if kind in ("line", "account"):  # the seller's product line or account: the seller's name first
            name = f"{names.get(('seller', r['user_id']), ('', ''))[0]} · {name}"
        lines.append(
            [
                r["pk"],
                r["version"],
                kind_labels[kind],
                code,
                name,
                r["parent_id"],
                *months,
                *(rules.period_value(months, f"Q{q}", additive=grid.additive) for q in range(1, 5)),
                rules.period_value(months, "Y", additive=grid.additive),
            ]
        )
    return columns, lines
