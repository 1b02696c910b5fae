"""`kadence worker`: the background worker. Runs the queued tasks (django-tasks, database backend) and
enqueues the scheduled jobs when they fall due (kadence.core.jobs). Run one or more next to the web
server (`kadence serve --worker` and `kadence demo` start one). `--batch` runs what is due and queued,
then exits (for cron, or a test)."""

from __future__ import annotations

import logging
import threading
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from kadence.core import jobs

logger = logging.getLogger("kadence.worker")
SCHEDULE_EVERY = 60.0  # seconds between two looks at the schedule


def look_at_schedule() -> None:
    """Enqueue the scheduled jobs that fell due (a database error is logged and retried next time)."""
    try:
        for name in jobs.enqueue_due():
            logger.info("Scheduled job enqueued: %s", name)
    except DatabaseError:
        logger.exception("Could not look at the schedule; trying again in a minute.")
    finally:
        close_old_connections()


def schedule_loop() -> None:
    """The worker's second thread: a look at the schedule every SCHEDULE_EVERY seconds."""
    while True:
        look_at_schedule()
        time.sleep(SCHEDULE_EVERY)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is due and queued, then exit.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between looks at an empty queue (1)."
        )

    def handle(self, *args, batch, interval, verbosity, **options):
        logging.getLogger("kadence.worker").setLevel(logging.INFO if verbosity else logging.WARNING)
        if not logger.handlers:
            logger.addHandler(logging.StreamHandler(self.stdout))
            logger.propagate = False
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if batch:
            look_at_schedule()
        else:
            worker.configure_signals()
            threading.Thread(target=schedule_loop, name="kadence-schedule", daemon=True).start()
            self.stdout.write("Kadence worker: running queued tasks and scheduled jobs. Ctrl-C stops it.")
        worker.run()
