"""`kadence serve`: collect static files and run Kadence under gunicorn (a production server)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Kadence with gunicorn on HOST:PORT (defaults 127.0.0.1 and $PORT or 8000)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument(
            "--worker",
            action="store_true",
            help="Also run the background worker (`kadence worker`: queued tasks and scheduled jobs).",
        )

    def handle(self, *args, host, port, workers, no_collectstatic, worker, **options):
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        argv = [
            gunicorn or sys.executable,
            *([] if gunicorn else ["-m", "gunicorn"]),
            "config.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--timeout",
            "120",
        ]
        with_worker = " and the background worker" if worker else ""
        self.stdout.write(
            f"Kadence on http://{host}:{port}/ (gunicorn, {workers} workers{with_worker}). Ctrl-C stops it."
        )
        self.stdout.flush()
        sys.stdout.flush()
        if not worker:
            os.execv(argv[0], argv)
        run_together([[sys.executable, "-m", "kadence.cli", "worker"], argv])


def run_together(commands: list[list[str]]) -> None:
    """Run the processes side by side until one ends or a stop signal comes; then stop them all."""
    processes = [subprocess.Popen(command) for command in commands]

    def stop(signum, frame):
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(process.poll() is None for process in processes):
            try:
                processes[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    finally:
        stop(None, None)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
