"""`kadence calibrate [--template CODE] [--date YYYY-MM-DD]`: count the observed win rates per level,
stage and C139 band of every process from its closed history (METHODOLOGY §9.6) and store them
(planning.Calibration, each row with computed_at). Reports switched to calibrated probabilities read
the stored rows, so run it regularly, e.g. nightly from cron:

    30 5 * * *  cd /srv/kadence && .venv/bin/kadence calibrate >> var/calibrate.log 2>&1
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.validation import parse_date_param
from kadence.pipeline.models import ProcessTemplate
from kadence.planning.services.calibration import calibration_recompute


class Command(BaseCommand):
    help = (
        "Recompute the calibration (observed win rates per level, stage and C139 band) from closed history."
    )

    def add_arguments(self, parser):
        parser.add_argument("--template", help="Only this process template (its code); default: all of them.")
        parser.add_argument("--date", help="Count history up to this day (YYYY-MM-DD; default today).")

    def handle(self, *args, **options):
        as_of = None
        if options["date"]:
            try:  # the date rule of the pages and the API: ISO, within the accepted years
                as_of = parse_date_param(options["date"], "date")
            except ValidationFailed as exc:
                raise CommandError(f"--date: {exc.detail}") from None
        template_id = None
        if options["template"]:
            template_id = (
                ProcessTemplate.objects.filter(code=options["template"]).values_list("pk", flat=True).first()
            )
            if template_id is None:
                raise CommandError(f"Unknown process template {options['template']!r}.")
        try:
            written = calibration_recompute(None, template_id=template_id, as_of=as_of)
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(f"Calibration recomputed: {written} buckets written.")
