"""Adding to and subtracting from a row of a maintained summary table, race-safe and in a fixed
order (the summaries of kadence.pipeline.summary and kadence.pipeline.month_ends)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Model

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
