"""`kadence compute_commissions [--period month|quarter] [--day YYYY-MM-DD] [--unit ID]`: compute a
period's commission statements for every seller (without options: what the nightly job computes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kadence.core.errors import DomainError
from kadence.performance.commission.services import statements_compute
from kadence.performance.commission.tasks import commission_due


class Command(BaseCommand):
    help = "Compute the commission statements of a month or quarter for every seller."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", choices=("month", "quarter"))
        parser.add_argument("--day", help="Any day of the period (YYYY-MM-DD); default yesterday.")
        parser.add_argument("--unit", type=int, help="Only the sellers of this unit (id).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else None
        except ValueError as exc:
            raise CommandError("--day must be YYYY-MM-DD") from exc
        due = commission_due(timezone.localdate())
        kinds = [options["period"]] if options["period"] else [p.kind for p in due]
        for kind in kinds:
            when = day or next(p.start for p in due if p.kind == kind)
            try:
                run = statements_compute(None, period=kind, day=when, unit_id=options["unit"])
            except DomainError as exc:
                raise CommandError(exc.detail) from exc
            self.stdout.write(f"{kind} {when.isoformat()}: {run.statements} statements")
