"""The importance jobs, run by `kadence worker` (kadence.core.jobs): every night every account is scored
as of the day (`importance-nightly`), and a recomputation an admin asks for after changing the
configuration runs in the background (`importance_recompute`). Also a command:
`kadence compute_importance`."""

from __future__ import annotations

from datetime import time

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from kadence.core.jobs import Cadence, schedule
from kadence.keyaccounts.importance import services


@task()
def importance_recompute() -> str:
    """Score every account as of today."""
    return f"{services.compute(as_of=timezone.localdate())} accounts"


def recompute_later() -> None:
    """Queue a recomputation of every account (after the transaction commits)."""
    transaction.on_commit(lambda: importance_recompute.enqueue())


@schedule("importance-nightly", Cadence("daily", time(4, 45)))
@task()
def importance_nightly() -> str:
    """Score every account as of today (the revenue windows move by a day; the entries of the day count)."""
    return f"{services.compute(as_of=timezone.localdate())} accounts"
