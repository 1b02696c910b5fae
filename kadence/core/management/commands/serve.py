"""`kadence serve`: collect static files and run Kadence under gunicorn (a production server)."""

from __future__ import annotations

import os
import shutil
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

    def handle(self, *args, host, port, workers, no_collectstatic, **options):
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
        self.stdout.write(f"Kadence on http://{host}:{port}/ (gunicorn, {workers} workers). Ctrl-C stops it.")
        self.stdout.flush()
        sys.stdout.flush()
        os.execv(argv[0], argv)
