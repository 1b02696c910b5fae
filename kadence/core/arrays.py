"""Reading many integer rows into numpy without Python objects: on PostgreSQL the query's rows come by
binary COPY and are parsed in place (each value a big-endian int8 after its length), elsewhere through the
driver's fetchall. Used where a report reads a quarter of a million rows of ids, cents and day numbers
(kadence.insights.selectors.probabilistic: the open deals of the forecast)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.db import connection

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = len(SIGNATURE) + 8  # the signature, the flags and the header extension's length (int32 each)


def int_matrix(sql: str, params: Any, columns: int) -> np.ndarray:
    """The rows of `sql` (every one of its `columns` columns an integer, never NULL) as an int64 array of
    shape (rows, columns), in the query's order."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return np.array(rows, dtype=np.int64).reshape(len(rows), columns)
    names = ", ".join(f"c{i}" for i in range(columns))
    casts = ", ".join(f"c{i}::int8" for i in range(columns))
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        # the query's own placeholders are bound client-side (psycopg's mogrify) before the COPY is sent
        statement = connection.ops.compose_sql(sql, params)
        copy_sql = f"COPY (SELECT {casts} FROM ({statement}) AS q ({names})) TO STDOUT (FORMAT BINARY)"
        with cursor.cursor.copy(copy_sql) as copy:
            for block in copy:
                buffer.write(block)
    return parse_binary_ints(buffer.getbuffer(), columns)


def parse_binary_ints(data: Any, columns: int) -> np.ndarray:
    """PostgreSQL's binary COPY of `columns` int8 columns → int64 array (rows, columns). Every row is the
    field count (int16), then per field its length (int32, 8) and value (int8); the trailer is −1."""
    view = memoryview(data)
    if bytes(view[: len(SIGNATURE)]) != SIGNATURE:
        raise ValueError("not PostgreSQL's binary COPY format")
    extension = int.from_bytes(view[HEADER - 4 : HEADER], "big")
    start = HEADER + extension
    row = np.dtype([("n", ">i2"), *((f"c{i}", [("len", ">i4"), ("v", ">i8")]) for i in range(columns))])
    body = len(view) - start - 2  # the trailer: int16 −1
    if body % row.itemsize:
        raise ValueError("a row of the COPY is not of fixed width (a NULL?)")
    records = np.frombuffer(view, dtype=row, count=body // row.itemsize, offset=start)
    out = np.empty((len(records), columns), dtype=np.int64)
    for i in range(columns):
        field = records[f"c{i}"]
        if len(records) and (field["len"] != 8).any():
            raise ValueError("a value of the COPY is not an 8-byte integer (a NULL?)")
        out[:, i] = field["v"]
    return out
