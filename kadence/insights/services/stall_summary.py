"""Recomputing the deals' stall summaries (kadence.pipeline.stall) from their raw rows with set-based
SQL: what each deal's summary should hold (`expected_sql`: one grouped read of the activities, the
stall actions and the close-date audit trail, joined to the deals), the deals whose stored summary
differs (`drift`) and an UPDATE that writes only those (`rebuild`). The services keep the summaries
exact as they write; this is for bulk loads (kadence.demo), the migration that adds them to an
existing database, and the `kadence stall_summary` command.

It lives in insights, the layer that sees all three sources (activities, deals, pipeline); each
source's rule is the one its app states (customer_side, next_steps' filter, close_date_pushes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps as registry
from django.db import connection, transaction
from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber

from kadence.activities.stall import customer_side
from kadence.deals.models import StallAction
from kadence.pipeline.stall import close_date_pushes

GetModel = Callable[[str, str], Any]
# (column of the summary, column of the expected row)
PAIRS = (
    ("stall_last_activity_on", "last_activity_on"),
    ("stall_next_step_on", "next_step_on"),
    ("stall_next_step_at", "next_step_at"),
    ("stall_close_pushes", "close_pushes"),
)


def _sql(qs: Any) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def expected_sql(get_model: GetModel | None = None) -> tuple[str, tuple[Any, ...]]:
    """SQL of (id, last_activity_on, next_step_on, next_step_at, close_pushes) for every deal: its
    stall summary recomputed from the raw rows. `get_model` (a migration's apps.get_model) reads
    the historical models."""
    get = get_model or registry.get_model
    opportunity = get("pipeline", "Opportunity")
    activity, action, audit = (
        get("activities", "Activity"),
        get("deals", "StallAction"),
        get("core", "AuditEntry"),
    )
    last, last_params = _sql(
        activity.objects.filter(customer_side(), opportunity_id__isnull=False)
        .order_by()
        .values("opportunity_id")
        .annotate(last=Max("date"))
    )
    steps, steps_params = _sql(
        action.objects.filter(outcome=StallAction.Outcome.NEXT_STEP, next_step_on__isnull=False)
        .order_by()
        .annotate(
            rank=Window(
                RowNumber(), partition_by=F("opportunity_id"), order_by=[F("acted_at").desc(), F("id").desc()]
            )
        )
        .values("opportunity_id", "next_step_on", "acted_at", "rank")
    )
    pushes, pushes_params = _sql(
        close_date_pushes(audit=audit).order_by().values("entity_id").annotate(n=Count("id"))
    )
    table = connection.ops.quote_name(opportunity._meta.db_table)
    sql = (
        f"SELECT o.id AS id, a.last AS last_activity_on, s.next_step_on AS next_step_on, "
        f"s.acted_at AS next_step_at, COALESCE(p.n, 0) AS close_pushes "
        f"FROM {table} o "
        f"LEFT JOIN ({last}) a ON a.opportunity_id = o.id "
        f"LEFT JOIN ({steps}) s ON s.opportunity_id = o.id AND s.rank = 1 "
        f"LEFT JOIN ({pushes}) p ON p.entity_id = o.id"
    )
    return sql, (*last_params, *steps_params, *pushes_params)


def _differs() -> str:
    return " OR ".join(f"o.{stored} IS DISTINCT FROM e.{expected}" for stored, expected in PAIRS)


@dataclass(frozen=True)
class StallDrift:
    """One deal whose stored stall summary differs from its raw rows: (summary column → value)."""

    opp_id: int
    stored: dict[str, Any]
    expected: dict[str, Any]


def drift(limit: int | None = None) -> list[StallDrift]:
    """The deals whose stored stall summary differs from a recomputation (nothing is written), by
    id; at most `limit` of them."""
    inner, params = expected_sql()
    stored = ", ".join(f"o.{s}" for s, _e in PAIRS)
    expected = ", ".join(f"e.{e}" for _s, e in PAIRS)
    table = connection.ops.quote_name(registry.get_model("pipeline", "Opportunity")._meta.db_table)
    window = f" LIMIT {int(limit)}" if limit is not None else ""
    sql = (
        f"SELECT o.id, {stored}, {expected} FROM {table} o JOIN ({inner}) e ON e.id = o.id "
        f"WHERE {_differs()} ORDER BY o.id{window}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    n, names = len(PAIRS), [stored for stored, _e in PAIRS]
    return [
        StallDrift(
            row[0], dict(zip(names, row[1 : 1 + n], strict=True)), dict(zip(names, row[1 + n :], strict=True))
        )
        for row in rows
    ]


@transaction.atomic
def rebuild(get_model: GetModel | None = None) -> int:
    """Write every deal's stall summary from its raw rows, in one UPDATE that touches only the deals
    whose stored summary differs; returns how many it changed. Run it where no service writes at
    the same time (a bulk load, a migration) or accept that a deal written meanwhile is rewritten by
    its own service."""
    get = get_model or registry.get_model
    inner, params = expected_sql(get_model)
    table = connection.ops.quote_name(get("pipeline", "Opportunity")._meta.db_table)
    sets = ", ".join(f"{stored} = e.{expected}" for stored, expected in PAIRS)
    sql = f"UPDATE {table} AS o SET {sets} FROM ({inner}) e WHERE o.id = e.id AND ({_differs()})"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
