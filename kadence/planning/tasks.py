"""Background tasks of planning, run by `kadence worker` (kadence.core.jobs)."""

from __future__ import annotations

from datetime import time

from django.utils import timezone
from django_tasks import task

from kadence.core.jobs import Cadence, schedule
from kadence.planning.services.forecast import forecast_snapshot_take


@schedule("forecast-snapshot", Cadence("daily", time(6, 0)))
@task()
def forecast_snapshot() -> str:
    """Today's forecast of every seller and org unit for the current quarter (what `kadence
    forecast_snapshot` does from cron): forecast accuracy compares it with what is won."""
    run = forecast_snapshot_take(taken_on=timezone.localdate(), period_kind="quarter")
    return f"{run.taken_on} {run.period.label}: {run.created} written, {run.skipped} already there"
