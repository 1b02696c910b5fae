"""`kadence forecast_snapshot [--date YYYY-MM-DD] [--period-kind quarter]`: keep today's forecast of
every seller and every org unit for the current period (METHODOLOGY §9.4–§9.5), so that accuracy can
later compare it with what was won. Idempotent per day: run it again the same day and nothing changes.

Run it daily from cron, e.g. at 06:00:

    0 6 * * *  cd /srv/kadence && .venv/bin/kadence forecast_snapshot >> var/forecast_snapshot.log 2>&1
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kadence.core.errors import ValidationFailed
from kadence.core.validation import parse_date_param
from kadence.planning.services.forecast import forecast_snapshot_take

CRON_LINE = (
    "0 6 * * *  cd /srv/kadence && .venv/bin/kadence forecast_snapshot >> var/forecast_snapshot.log 2>&1"
)


class Command(BaseCommand):
    help = (
        "Write one scheduled forecast snapshot per seller and per org unit for the current period "
        "(idempotent per day: a second run the same day is skipped). For cron, daily: " + CRON_LINE
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="The day the snapshot is for (YYYY-MM-DD; default today). "
            "The figures are those of the deals as they stand now.",
        )
        parser.add_argument(
            "--period-kind",
            default="quarter",
            choices=["month", "quarter", "year"],
            help="The period whose forecast is kept (default quarter).",
        )

    def handle(self, *args, **options):
        taken_on = timezone.localdate()
        if options["date"]:
            try:  # the date rule of the pages and the API: ISO, within the accepted years
                taken_on = parse_date_param(options["date"], "date")
            except ValidationFailed as exc:
                raise CommandError(f"--date: {exc.detail}") from None
        try:
            run = forecast_snapshot_take(taken_on=taken_on, period_kind=options["period_kind"])
        except ValidationFailed as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(
            f"Forecast snapshot {run.taken_on} for {run.period.label}: {run.created} written, "
            f"{run.skipped} already there (skipped)."
        )
