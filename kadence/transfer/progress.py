"""The progress of an import (or of an export: `kind="export"`) running in the background, and the request
to cancel an import, shared between the worker and the web processes through the "progress" cache (Redis,
or files in the data directory). Each kind of job has its own keys (`<kind>:<id>`).

An import writes in one transaction, so nothing it does is visible in the database until it commits:
its progress goes here instead. A worker that dies leaves its last heartbeat; a job whose heartbeat is
older than STALE is reported failed (kadence.transfer.services.import_job_refresh)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches

STALE = 15 * 60  # seconds without a heartbeat after which a running job is taken for dead
TTL = 7 * 24 * 3600


def _cache() -> Any:
    return caches["progress"]


@dataclass(frozen=True)
class Progress:
    """`done` of `total` rows in `phase` (reading, checking, writing, summaries), at `at` (epoch seconds)."""

    phase: str
    done: int
    total: int
    at: float

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def stale(self) -> bool:
        return time.time() - self.at > STALE


def report(job_id: int, phase: str, done: int, total: int, *, kind: str = "import") -> None:
    _cache().set(f"{kind}:{job_id}", (phase, done, total, time.time()), TTL)


def read(job_id: int, *, kind: str = "import") -> Progress | None:
    found = _cache().get(f"{kind}:{job_id}")
    return Progress(*found) if found else None


def clear(job_id: int, *, kind: str = "import") -> None:
    _cache().delete_many([f"{kind}:{job_id}", f"{kind}-cancel:{job_id}"])


def request_cancel(job_id: int) -> None:
    _cache().set(f"import-cancel:{job_id}", True, TTL)


def cancel_requested(job_id: int) -> bool:
    return bool(_cache().get(f"import-cancel:{job_id}"))
