"""`kadence compute_platforms [--day YYYY-MM-DD]`: every account's screening platform for the month holding
the day (without it: yesterday's month, what the nightly job computes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kadence.keyaccounts.platforms.services import platforms_compute
from kadence.keyaccounts.platforms.tasks import platforms_due


class Command(BaseCommand):
    help = "Compute every account's screening platform for a month."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--day", help="Any day of the month (YYYY-MM-DD); default yesterday.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = (
                date.fromisoformat(options["day"]) if options["day"] else platforms_due(timezone.localdate())
            )
        except ValueError as exc:
            raise CommandError("--day must be YYYY-MM-DD") from exc
        run = platforms_compute(None, day=day)
        self.stdout.write(f"{run.period.label}: {run.accounts} accounts")
