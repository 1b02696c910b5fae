"""kadence.core.arrays: integer rows read into numpy (binary COPY on PostgreSQL, fetchall elsewhere) are the
rows the query returns, in its order, on both databases."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from kadence.core.arrays import int_matrix, unpack


@pytest.mark.django_db
def test_rows_in_the_query_order_with_bound_parameters():
    sql = (
        "SELECT a, b, a * b FROM (SELECT 3 AS a, -2 AS b UNION ALL SELECT 1, %s UNION ALL SELECT 2, %s) AS t "
        "ORDER BY a"
    )
    found = int_matrix(sql, [2**40, -7], 3)
    assert found.dtype == np.int64
    assert found.tolist() == [[1, 2**40, 2**40], [2, -7, -14], [3, -2, -6]]


@pytest.mark.django_db
def test_no_rows():
    found = int_matrix("SELECT 1, 2 WHERE 1 = %s", [0], 2)
    assert found.shape == (0, 2)


@pytest.mark.django_db
def test_a_text_parameter_is_quoted():
    found = int_matrix("SELECT length(%s), 1", ["it's; DROP TABLE x"], 2)
    assert found.tolist() == [[len("it's; DROP TABLE x"), 1]]


def test_unpacked_rows_follow_the_first_column():
    packed = b"".join(v.to_bytes(8, "big", signed=True) for v in [3, -1, 1, 5, 2, 2**40])
    assert unpack(packed, 2).tolist() == [[1, 5], [2, 2**40], [3, -1]]
    with pytest.raises(ValueError):
        unpack(packed[:-8], 2)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY")
def test_a_null_from_the_database_raises():
    with pytest.raises(ValueError):
        int_matrix("SELECT NULL::int, 1", [], 2)
    with pytest.raises(ValueError):
        int_matrix("SELECT 1, NULL::int UNION ALL SELECT 2, 3 ORDER BY 1", [], 2)


@pytest.mark.django_db
def test_counted_as_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        int_matrix("SELECT 1, 2", [], 2)
