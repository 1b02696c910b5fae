"""The KPI job, run by `kadence worker` (kadence.core.jobs): every night, score the month and the
quarter holding yesterday for every seller (on the 1st that closes the month before). Also a command:
`kadence score_kpis`."""

from __future__ import annotations

from datetime import time

from django.utils import timezone
from django_tasks import task

from kadence.core.jobs import Cadence, schedule
from kadence.performance.kpi.services import scorecards_compute, scoring_due


@schedule("kpi-score", Cadence("daily", time(4, 15)))
@task()
def kpi_score() -> str:
    """Score the periods due for every seller."""
    done = []
    for period in scoring_due(timezone.localdate()):
        n = scorecards_compute(None, period=period.kind, day=period.start)
        done.append(f"{period.label}: {n}")
    return "; ".join(done)
