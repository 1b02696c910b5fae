"""Adding to and subtracting from a row of a maintained summary table, race-safe and in a fixed
order (the summaries of kadence.pipeline.summary and kadence.pipeline.month_ends)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field, Model

Bump = tuple[type[Model], dict, int, dict]


def bump(model: type[Model], key: dict, sign: int, values: dict, count: int = 1) -> None:
    """Add `values` (× sign) and `count` (× sign) on the row of `key`, creating it if needed.

    Race-safe: when the row does not exist yet, two transactions may both try to create it; the
    second one's INSERT waits for the first on the unique key, fails in its savepoint once the first
    commits, and then adds to the row the first one created (its UPDATE, a new statement, sees it)."""
    changes = {name: F(name) + sign * value for name, value in values.items()}
    if model._default_manager.filter(**key).update(count=F("count") + sign * count, **changes):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(
                **key, count=sign * count, **{n: sign * v for n, v in values.items()}
            )
    except IntegrityError:  # created meanwhile by another transaction: add to it
        if not model._default_manager.filter(**key).update(count=F("count") + sign * count, **changes):
            raise


def in_order(bumps: list[Bump]) -> list[Bump]:
    """Summary rows in one fixed order (table, then key): two transactions moving deals between the
    same keys in opposite directions then lock those rows in the same order and cannot deadlock."""
    return sorted(bumps, key=lambda b: (b[0].__name__, tuple(str(v) for v in b[1].values())))


def add_rows(
    model: type[Model],
    rows: Sequence[Model],
    keys: tuple[str, ...],
    measures: tuple[str, ...],
    sign: int = 1,
) -> None:
    """Add the `measures` of `rows` (unsaved instances of `model`, one per key) to the stored rows of
    the same `keys`, creating the missing ones: the bulk form of `bump` (after a bulk load, e.g. an
    import's new deals), a few statements whatever the number of rows, race-safe (INSERT … ON CONFLICT
    DO UPDATE, PostgreSQL and SQLite alike; `keys` must be the columns of a unique constraint), in the
    order of `in_order`. With `sign` -1 the measures are subtracted (an undone import's deals; rows
    left at zero are then removed by `drop_empty`)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields: list[Field] = [model._meta.get_field(name) for name in (*keys, *measures)]  # type: ignore[misc]
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(f.column) for f in fields[: len(keys)])
    added = ", ".join(
        f"{quote(f.column)} = {table}.{quote(f.column)} + excluded.{quote(f.column)}"
        for f in fields[len(keys) :]
    )
    rows = sorted(rows, key=lambda r: tuple(str(getattr(r, k)) for k in keys))
    holes = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            params = [
                f.get_db_prep_value(
                    _signed(getattr(row, f.attname), sign if i >= len(keys) else 1),
                    connection,
                    prepared=False,
                )
                for row in batch
                for i, f in enumerate(fields)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([holes] * len(batch))} "  # noqa: S608 - names are ours
                f"ON CONFLICT ({conflict}) DO UPDATE SET {added}",
                params,
            )


def _signed(value: object, sign: int) -> object:
    return value if sign == 1 or value is None else -value  # type: ignore[operator]


def drop_empty(model: type[Model], measures: tuple[str, ...]) -> int:
    """Remove the rows of a summary whose measures are all zero (what subtracting leaves where every
    contribution was taken away): a row of zeros stands for no row, and a rebuild writes none."""
    return model._default_manager.filter(**{name: 0 for name in measures}).delete()[0]
