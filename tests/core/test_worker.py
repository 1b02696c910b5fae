"""The background worker (`kadence worker`): scheduled jobs are enqueued once per due moment, whichever
worker looks first, and the worker runs what is queued."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kadence.core import jobs
from kadence.core.jobs import Cadence
from kadence.core.models import ScheduledJob
from kadence.planning.models import ForecastSnapshot


def _at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def test_the_latest_due_moment_of_a_cadence():
    daily = Cadence("daily", time(6, 0))
    assert daily.last_due(_at("2026-12-04 06:00")) == _at("2026-12-04 06:00")
    assert daily.last_due(_at("2026-12-04 05:59")) == _at("2026-12-03 06:00")
    weekly = Cadence("weekly", time(1, 30), weekday=0)  # Mondays 01:30; 2026-11-30 is a Monday
    assert weekly.last_due(_at("2026-12-04 12:00")) == _at("2026-11-30 01:30")
    assert weekly.last_due(_at("2026-11-30 01:29")) == _at("2026-11-23 01:30")
    assert weekly.last_due(_at("2026-11-30 01:30")) == _at("2026-11-30 01:30")


@pytest.mark.django_db
def test_a_job_is_enqueued_once_per_due_moment():
    names = {job.name for job in jobs.jobs()}
    assert "forecast-snapshot" in names
    morning = _at("2026-12-04 07:00")
    assert "forecast-snapshot" in jobs.enqueue_due(morning)
    queued = DBTaskResult.objects.filter(task_path="kadence.planning.tasks.forecast_snapshot").count()
    assert queued == 1
    # a second worker looking in the same day, or a minute later: nothing new
    assert "forecast-snapshot" not in jobs.enqueue_due(morning)
    assert "forecast-snapshot" not in jobs.enqueue_due(morning + timedelta(hours=20))
    # the next morning it is due again; a worker down for a week catches up with one run, not seven
    assert "forecast-snapshot" in jobs.enqueue_due(morning + timedelta(days=1))
    assert "forecast-snapshot" in jobs.enqueue_due(morning + timedelta(days=8))
    assert "forecast-snapshot" not in jobs.enqueue_due(morning + timedelta(days=8, hours=1))
    assert DBTaskResult.objects.filter(task_path="kadence.planning.tasks.forecast_snapshot").count() == 3
    row = ScheduledJob.objects.get(name="forecast-snapshot")
    assert row.last_due_at == _at("2026-12-12 06:00")


@pytest.mark.django_db
def test_the_worker_runs_the_due_jobs_and_what_is_queued(org, monkeypatch):
    # The worker closes connections it finds outside autocommit between tasks: right for a worker, but
    # it would close the test's transaction (the test database is rolled back, not flushed).
    import django_tasks_db.management.commands.db_worker as db_worker

    import kadence.core.management.commands.worker as worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    out = StringIO()
    call_command("worker", batch=True, stdout=out)
    result = DBTaskResult.objects.get(task_path="kadence.planning.tasks.forecast_snapshot")
    assert result.status == "SUCCESSFUL", result.exception_class_path
    assert ForecastSnapshot.objects.filter(taken_on=timezone.localdate()).exists()
    assert ScheduledJob.objects.get(name="forecast-snapshot").last_task_id == str(result.id)
    call_command("worker", batch=True, stdout=StringIO())  # nothing new is due: nothing runs twice
    assert DBTaskResult.objects.filter(task_path="kadence.planning.tasks.forecast_snapshot").count() == 1


def test_serve_stops_the_worker_and_the_server_together():
    import signal
    import sys
    import time as clock

    from kadence.core.management.commands.serve import run_together

    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    started = clock.monotonic()
    try:
        # the "server" exits at once: the long-running "worker" is stopped, not left behind
        run_together([[sys.executable, "-c", "import time; time.sleep(60)"], [sys.executable, "-c", "pass"]])
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    assert clock.monotonic() - started < 30  # not the worker's 60 s: it was stopped


def test_the_pipeline_snapshot_is_a_scheduled_job(org, monkeypatch):
    import django_tasks_db.management.commands.db_worker as db_worker

    import kadence.core.management.commands.worker as worker
    from kadence.pipeline.models import PipelineSnapshot
    from kadence.pipeline.snapshots import missing_days

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    from kadence.pipeline.models import StageChange

    assert "pipeline-snapshot" in {job.name for job in jobs.jobs()}
    StageChange.objects.filter(opportunity=org.opp).update(changed_at=timezone.now() - timedelta(days=20))
    due = missing_days(backfill=True)
    assert due  # two or three weeks of due days since the deal's history began
    call_command("worker", batch=True, stdout=StringIO())
    result = DBTaskResult.objects.get(task_path="kadence.pipeline.tasks.pipeline_snapshot")
    assert result.status == "SUCCESSFUL", result.exception_class_path
    assert set(PipelineSnapshot.objects.filter(complete=True).values_list("taken_on", flat=True)) >= set(due)
    assert missing_days(backfill=True) == []
