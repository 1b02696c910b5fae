"""`kadence compute_importance [--day YYYY-MM-DD] [--account ID ...]`: score accounts' importance as of a
day (without options: every account as of today, what the nightly job does)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kadence.keyaccounts.importance.services import compute


class Command(BaseCommand):
    help = "Score the importance of every account (or those given) as of a day."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--day", help="The day scored (YYYY-MM-DD); default today.")
        parser.add_argument(
            "--account", type=int, action="append", help="Only this account (id); repeatable."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--day must be YYYY-MM-DD") from exc
        done = compute(options["account"], as_of=day)
        self.stdout.write(f"{day.isoformat()}: {done} accounts scored")
