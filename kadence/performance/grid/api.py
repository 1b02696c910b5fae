"""The target grid over the API (issue 14 §1). Figures are decimal strings; a row's months are `months`
(M1…M12), its periods `cells` ({"M1": …, "Q1": …, "Y": …}).

- GET  /api/performance/grids — the grids you read; POST — make one (who may set the root unit's target);
- GET  /api/performance/grids/{id} — one grid; `?row_id=` one level: that row (default your top row),
  the rows right below it, their sum and the gap per period;
- PATCH /api/performance/grids/{id}/cells — set cells, each naming its row's `version` (409 `stale`);
- POST /api/performance/grids/{id}/rows/{row_id}/spread and …/roll-up — spread a row down / sum the rows
  below up into it (with the row's `version`);
- POST /api/performance/grids/{id}/approve — approve (with the grid's `version`; 422 `unbalanced`)."""

from __future__ import annotations

from typing import Any, Literal, get_args

from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.pagination import paginate
from kadence.core.schemas import (
    Clean,
    ErrorOut,
    Id,
    IdPath,
    In,
    Money,
    MoneyIn,
    PageOut,
    PageQuery,
    Version,
    page_out,
)
from kadence.domain import grid as rules
from kadence.performance.grid import services
from kadence.performance.grid.models import TargetGrid
from kadence.performance.grid.selectors import RowView, access_grid_read, grid_level, grid_list

router = Router(tags=["performance: target grid"])

PeriodIn = Literal[
    "M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M10", "M11", "M12", "Q1", "Q2", "Q3", "Q4", "Y"
]  # fmt: skip


class TargetGridOut(Schema):
    id: int
    root_id: int
    root_name: str
    year: int
    measure: str
    tier: str
    currency: str
    status: str
    split: str = Field(
        description='"" (none), "product_line" or "account": each seller row has a row per product line (per account the seller owns) below it.'
    )
    note: str
    version: int


class GridRowOut(Schema):
    id: int
    parent_id: int | None
    kind: str = Field(
        description='"unit", "seller", "line" (a seller\'s product line; ref_id is the line\'s id) or "account" (an account the seller owns)'
    )
    ref_id: int
    name: str
    code: str
    version: int
    editable: bool
    has_children: bool
    months: list[Money]
    cells: dict[str, Money]


class GridLevelOut(Schema):
    grid: TargetGridOut
    row: GridRowOut | None
    children: list[GridRowOut]
    children_sum: dict[str, Money]
    gap: dict[str, Money]
    balanced: bool


class TargetGridIn(In):
    root_id: Id
    year: int = Field(ge=2000, le=2100)
    measure: Literal["revenue", "orders", "activity", "growth", "deal_size", "team"]
    tier: Literal["base", "stretch", "challenge"] = "base"
    currency: str = Field("CNY", max_length=3)
    note: str = Field("", max_length=500)
    split: Literal["", "product_line", "account"] = ""


class GridLevelQuery(Clean):
    row_id: Id | None = None


class GridCellIn(In):
    row_id: Id
    period: PeriodIn
    amount: MoneyIn
    version: Version


class GridCellsIn(In):
    cells: list[GridCellIn] = Field(max_length=50000)


class GridVersionIn(In):
    version: Version


class GridChangedOut(Schema):
    changed: int


def grid_out(grid: TargetGrid) -> dict[str, Any]:
    return {
        "id": grid.pk,
        "root_id": grid.root_id,
        "root_name": str(grid.root),
        "year": grid.year,
        "measure": grid.measure,
        "tier": grid.tier,
        "currency": grid.currency,
        "status": grid.status,
        "split": grid.split,
        "note": grid.note,
        "version": grid.version,
    }


def row_out(row: RowView) -> dict[str, Any]:
    return {**row.__dict__, "cells": dict(row.cells)}


@router.get("/performance/grids", response={200: PageOut[TargetGridOut], codes_4xx: ErrorOut})
def list_grids(request: ApiRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """The grids holding a row you may read, newest year first."""
    page = paginate(grid_list(request.auth), query.page, query.page_size)
    return {**page_out(page), "items": [grid_out(g) for g in page.items]}


@router.post("/performance/grids", response={201: TargetGridOut, codes_4xx: ErrorOut})
def create_grid(request: ApiRequest, payload: TargetGridIn) -> Status[dict[str, Any]]:
    """Make the grid of a unit for a year, target type and tier (403 unless you may set the unit's target;
    409 `duplicate` with `existing_id` when it exists)."""
    grid = services.grid_create(request.auth, **payload.dict())
    return Status(201, grid_out(access_grid_read(request.auth, grid.pk)))


@router.get("/performance/grids/{grid_id}", response={200: GridLevelOut, codes_4xx: ErrorOut})
def get_grid(request: ApiRequest, grid_id: IdPath, query: Query[GridLevelQuery]) -> dict[str, Any]:
    """One level of the grid: the row `row_id` (default the top row you read), the rows right below it,
    their sum and the gap (the row's figure minus that sum) for each period."""
    grid = access_grid_read(request.auth, grid_id)
    level = grid_level(request.auth, grid, query.row_id)
    return {
        "grid": grid_out(grid),
        "row": row_out(level.node) if level.node else None,
        "children": [row_out(c) for c in level.children],
        "children_sum": dict(level.children_sum),
        "gap": dict(level.gap),
        "balanced": level.balanced,
    }


@router.patch("/performance/grids/{grid_id}/cells", response={200: GridChangedOut, codes_4xx: ErrorOut})
def write_cells(request: ApiRequest, grid_id: IdPath, payload: GridCellsIn) -> dict[str, Any]:
    """Set cells: a month is set, a quarter or the year spread over its months by the remainder rule.
    Each cell names its row's `version` as read: when one moved, nothing is written (409 `stale` with the
    rows' current versions). A row you read but may not edit is a 403."""
    edits = [services.CellEdit(c.row_id, c.period, c.amount, c.version) for c in payload.cells]
    return {"changed": services.cells_write(request.auth, grid_id, edits)}


@router.post(
    "/performance/grids/{grid_id}/rows/{row_id}/spread", response={200: GridChangedOut, codes_4xx: ErrorOut}
)
def spread_row(
    request: ApiRequest, grid_id: IdPath, row_id: IdPath, payload: GridVersionIn
) -> dict[str, Any]:
    """Spread a unit row down to every row below it (in proportion to their figures, equally when zero)."""
    return {"changed": services.row_spread(request.auth, grid_id, row_id, version=payload.version)}


@router.post(
    "/performance/grids/{grid_id}/rows/{row_id}/roll-up", response={200: GridChangedOut, codes_4xx: ErrorOut}
)
def roll_up_row(
    request: ApiRequest, grid_id: IdPath, row_id: IdPath, payload: GridVersionIn
) -> dict[str, Any]:
    """Set a unit row (and the unit rows below it) to the sum of the rows below."""
    return {"changed": services.row_roll_up(request.auth, grid_id, row_id, version=payload.version)}


@router.post("/performance/grids/{grid_id}/approve", response={200: TargetGridOut, codes_4xx: ErrorOut})
def approve_grid(request: ApiRequest, grid_id: IdPath, payload: GridVersionIn) -> dict[str, Any]:
    """Approve the grid: every level must add up (422 `unbalanced`); a revenue grid of the base tier then
    becomes the target of record (planning targets for every row's year, quarters and months)."""
    return grid_out(services.grid_approve(request.auth, grid_id, version=payload.version))


assert set(rules.PERIODS) == set(get_args(PeriodIn))  # the Literal lists every period
