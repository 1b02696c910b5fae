"""`kadence notify collect|digest [--date YYYY-MM-DD]`: what the background jobs `notify-collect` and
`notify-digest` do (kadence.rhythm.notify.tasks), for cron or by hand. Both are safe to rerun: collecting
is idempotent, and a user's digest of a day is sent at most once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kadence.core.errors import ValidationFailed
from kadence.core.validation import parse_date_param
from kadence.rhythm.notify.services import collect, send_digests


class Command(BaseCommand):
    help = "Collect what is due into the notifications (collect), or collect and send today's e-mail digests (digest)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["collect", "digest"])
        parser.add_argument("--date", help="The day (YYYY-MM-DD; default today).")

    def handle(self, *args, **options):
        try:
            day = parse_date_param(options["date"], "date") if options["date"] else timezone.localdate()
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"collected: {collect(day)}")
        if options["action"] == "digest":
            self.stdout.write(f"digests: {send_digests(day)}")
