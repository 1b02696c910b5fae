"""`kadence score_kpis [--period month|quarter] [--day YYYY-MM-DD]`: score a period's KPI scorecards
for every seller (without options: what the nightly job scores)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kadence.core.errors import ValidationFailed
from kadence.performance.kpi.services import scorecards_compute, scoring_due


class Command(BaseCommand):
    help = "Score the KPI scorecards of a month or quarter for every seller."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", choices=("month", "quarter"))
        parser.add_argument("--day", help="Any day of the period (YYYY-MM-DD); default yesterday.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else None
        except ValueError as exc:
            raise CommandError("--day must be YYYY-MM-DD") from exc
        due = scoring_due(timezone.localdate())
        kinds = [options["period"]] if options["period"] else [p.kind for p in due]
        for kind in kinds:
            when = day or next(p.start for p in due if p.kind == kind)
            try:
                n = scorecards_compute(None, period=kind, day=when)
            except ValidationFailed as exc:
                raise CommandError(str(exc.detail)) from exc
            self.stdout.write(f"{kind} {when.isoformat()}: {n} scorecards")
