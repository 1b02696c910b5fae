"""The cache holds only derived data that can be computed again (DESIGN: Redis when REDIS_URL is set,
local memory otherwise). So a cache that cannot be reached costs time, never an answer: reads go
through `cached`, and the health check and `check --deploy` report the outage (`cache_problem`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

logger = logging.getLogger(__name__)

T = TypeVar("T")
PROBE_KEY = "kadence:health"


def cache_problem(alias: str = "default") -> str | None:
    """None when the cache takes a value and gives it back; otherwise what went wrong. Any failure
    counts (a missing client package, a refused connection, a timeout): the point is to report it."""
    try:
        cache = caches[alias]
        cache.set(PROBE_KEY, "ok", 30)
        if cache.get(PROBE_KEY) != "ok":
            return "a value written could not be read back"
    except Exception as exc:  # whatever the backend raises is the answer
        return f"{exc.__class__.__name__}: {exc}"
    return None


def cached(key: str, compute: Callable[[], T], timeout: int, *, valid: Callable[[object], bool]) -> T:
    """The value cached under `key` if `valid(value)`, else `compute()` (then cached for `timeout`
    seconds). A cache error is logged and the value computed as if nothing were cached."""
    cache = caches["default"]
    try:
        found = cache.get(key)
    except Exception:  # any backend failure: compute instead
        logger.warning("Cache unreachable; computing %s without it", key, exc_info=True)
        return compute()
    if valid(found):
        return found
    value = compute()
    try:
        cache.set(key, value, timeout)
    except Exception:  # any backend failure: the value is still returned
        logger.warning("Cache unreachable; %s not stored", key, exc_info=True)
    return value
