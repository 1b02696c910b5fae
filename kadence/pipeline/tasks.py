"""Background tasks of the pipeline, run by `kadence worker` (kadence.core.jobs)."""

from __future__ import annotations

from datetime import time

from django_tasks import task

from kadence.core.jobs import Cadence, schedule
from kadence.pipeline import snapshots


@schedule("pipeline-snapshot", Cadence("daily", time(0, 30)))
@task()
def pipeline_snapshot() -> str:
    """Every due pipeline snapshot not written yet (what `kadence pipeline-snapshot` does from cron): after
    the day a snapshot is due on has ended; on a new database, the whole past back-filled from the history
    once. Looked at daily, so any cadence of SnapshotPolicy is kept."""
    built = snapshots.build(snapshots.missing_days(backfill=True))
    return f"{len(built)} snapshot(s) written" + (f", the last of {built[-1].taken_on}" if built else "")
