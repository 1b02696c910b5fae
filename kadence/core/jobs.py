"""Scheduled jobs: work that falls due on a clock (the daily forecast snapshot, the weekly pipeline
snapshot…) run by the background worker (`kadence worker`) instead of cron.

An app declares a job in its `tasks.py` with `schedule(name, Cadence(...))` on a django-tasks task. The
worker calls `enqueue_due()` about once a minute: each job whose latest due moment (its cadence, in the
server's time zone) has not been enqueued yet is enqueued once — the job's ScheduledJob row is locked
while deciding, so several workers never enqueue the same due moment twice. A worker that was down
catches up with one run, not one per missed moment. Cron keeps working too: every job is also a command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from kadence.core.models import ScheduledJob


@dataclass(frozen=True)
class Cadence:
    """`daily` at `at`, or `weekly` on `weekday` (0 = Monday) at `at`, local time."""

    every: Literal["daily", "weekly"]
    at: time
    weekday: int = 0

    def last_due(self, now: datetime) -> datetime:
        """The latest due moment at or before `now` (aware)."""
        local = timezone.localtime(now)
        due = timezone.make_aware(datetime.combine(local.date(), self.at))
        if self.every == "weekly":
            due -= timedelta(days=(local.weekday() - self.weekday) % 7)
        if due > now:
            due -= timedelta(days=1 if self.every == "daily" else 7)
        return due


@dataclass(frozen=True)
class Job:
    name: str
    cadence: Cadence
    task: Any  # a django-tasks Task: `.enqueue()` puts a run on the queue


_jobs: dict[str, Job] = {}


def schedule(name: str, cadence: Cadence) -> Callable[[Any], Any]:
    """Declare the decorated task a scheduled job (use it above @task)."""

    def register(task: Any) -> Any:
        _jobs[name] = Job(name, cadence, task)
        return task

    return register


def jobs() -> list[Job]:
    """Every declared job (the apps' `tasks` modules are imported first)."""
    autodiscover_modules("tasks")
    return sorted(_jobs.values(), key=lambda job: job.name)


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue each job whose latest due moment was not enqueued yet; the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs():
        due = job.cadence.last_due(now)
        try:
            ScheduledJob.objects.get_or_create(name=job.name)
        except IntegrityError:  # another worker created it at the same moment
            pass
        with transaction.atomic():
            row = ScheduledJob.objects.select_for_update().get(name=job.name)
            if row.last_due_at is not None and row.last_due_at >= due:
                continue
            result = job.task.enqueue()
            row.last_due_at, row.last_enqueued_at, row.last_task_id = due, now, str(result.id)
            row.save(update_fields=["last_due_at", "last_enqueued_at", "last_task_id"])
            enqueued.append(job.name)
    return enqueued
