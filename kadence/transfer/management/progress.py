"""Progress of `kadence backup` and `kadence restore` on the console: one line per table when it is done
(rows, seconds), and a line every few seconds while a long table is under way."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class TableProgress:
    """A `Progress` callback (kadence.transfer.backup) that writes to `write` (a command's stdout)."""

    EVERY = 3.0  # seconds between two lines about the same table

    def __init__(self, write: Callable[[str], Any], verbosity: int = 1):
        self.write = write
        self.verbosity = verbosity
        self.table = ""
        self.started = self.last = time.perf_counter()

    def __call__(self, table: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if table != self.table:  # a table starts (done is 0 then)
            self.table, self.started, self.last = table, now, now
            if done == 0:
                return
        if self.verbosity < 1:
            return
        if done >= total:
            self.write(f"  {table:<45} {done:>12,} rows  {now - self.started:6.1f} s")
        elif now - self.last >= self.EVERY:
            self.last = now
            self.write(f"  {table:<45} {done:>12,} / {total:,} rows …")
