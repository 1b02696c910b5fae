"""The account tree (集团 → 子公司 → 分支机构, `Account.parent`), read with one recursive query (WITH
RECURSIVE, the same SQL on SQLite and PostgreSQL) whatever its depth — never one query per node. These
read the whole tree, whoever asks: callers narrow what they show by visibility
(kadence.core.visibility.visible_accounts)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from kadence.accounts.models import Account

MAX_DEPTH = 50  # a guard: the services never let a cycle in, but a stray one must not loop forever


def _run(sql: str, params: list[int]) -> list[tuple[int, int | None, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]


def descendants(root_ids: Iterable[int]) -> list[tuple[int, int | None, int]]:
    """(id, parent id, depth) of the roots (depth 0) and of every account below them, any depth."""
    roots = sorted({int(i) for i in root_ids})
    if not roots:
        return []
    table = connection.ops.quote_name(Account._meta.db_table)
    marks = ", ".join(["%s"] * len(roots))
    sql = f"""
        WITH RECURSIVE sub(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM {table} WHERE id IN ({marks})
            UNION ALL
            SELECT a.id, a.parent_id, sub.depth + 1 FROM {table} a JOIN sub ON a.parent_id = sub.id
            WHERE sub.depth < %s
        )
        SELECT id, parent_id, MIN(depth) FROM sub GROUP BY id, parent_id ORDER BY MIN(depth), id
    """
    return _run(sql, [*roots, MAX_DEPTH])


def ancestors(account_id: int) -> list[tuple[int, int | None, int]]:
    """(id, parent id, distance) of the account's parent (1), its parent's parent (2), … to the root."""
    table = connection.ops.quote_name(Account._meta.db_table)
    sql = f"""
        WITH RECURSIVE up(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT a.id, a.parent_id, up.depth + 1 FROM {table} a JOIN up ON a.id = up.parent_id
            WHERE up.depth < %s
        )
        SELECT id, parent_id, depth FROM up WHERE depth > 0 ORDER BY depth
    """
    return _run(sql, [int(account_id), MAX_DEPTH])


def ancestor_ids(account_id: int) -> list[int]:
    return [row[0] for row in ancestors(account_id)]


def root_of(account_id: int) -> int:
    """The top of the account's group (the account itself when it has no parent)."""
    up = ancestors(account_id)
    return up[-1][0] if up else int(account_id)
