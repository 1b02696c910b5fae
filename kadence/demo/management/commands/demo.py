"""`kadence demo`: migrate, load the demo company once, print the logins, serve it with the background
worker."""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand

from kadence.core.models import OrgUnit
from kadence.demo.world import login_lines


class Command(BaseCommand):
    help = "Create (once) and serve the demo company. Re-running reuses the existing database."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-serve", action="store_true", help="Prepare the database only.")

    def handle(self, *args, port, host, seed, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if OrgUnit.objects.filter(code="company").exists():
            self.stdout.write("Demo database exists; reusing it.")
            for line in login_lines():
                self.stdout.write(line)
        else:
            self.stdout.write("Loading the demo company…")
            call_command("load_demo", seed=seed, stdout=self.stdout)  # prints the logins
        if not no_serve:
            call_command("serve", host=host, port=port, worker=True)  # with the background worker
