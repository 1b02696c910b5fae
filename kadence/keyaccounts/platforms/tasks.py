"""The platform job, run by `kadence worker` (kadence.core.jobs): every night the month holding yesterday
(`keyaccounts-platforms-nightly`); a lead's "compute in the background" queues `platforms_compute_task`.
Also a command: `kadence compute_platforms [--day YYYY-MM-DD]`."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from kadence.core.jobs import Cadence, schedule
from kadence.core.models import User
from kadence.keyaccounts.platforms import services


def platforms_due(today: date) -> date:
    """The day whose month the nightly job computes: yesterday."""
    return today - timedelta(days=1)


@task()
def platforms_compute_task(day_iso: str) -> str:
    run = services.platforms_compute(None, day=date.fromisoformat(day_iso))
    return f"{run.period.label}: {run.accounts} accounts"


def platforms_compute_later(actor: User, *, day: date) -> None:
    services.check_can_compute(actor)
    transaction.on_commit(lambda: platforms_compute_task.enqueue(day.isoformat()))


@schedule("keyaccounts-platforms-nightly", Cadence("daily", time(4, 45)))
@task()
def platforms_nightly() -> str:
    run = services.platforms_compute(None, day=platforms_due(timezone.localdate()))
    return f"{run.period.label}: {run.accounts} accounts"
