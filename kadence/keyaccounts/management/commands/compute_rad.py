"""`kadence compute_rad [--year YYYY] [--only rad|abc]`: recompute every account's RAD cell and ABC classes
for a year (without --year: what the nightly job computes)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kadence.core.errors import DomainError
from kadence.keyaccounts.value.services import value_compute
from kadence.keyaccounts.value.tasks import years_due


class Command(BaseCommand):
    help = "Recompute the RAD cells and ABC classes of every account for a year."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, help="The year (default: the nightly job's years).")
        parser.add_argument(
            "--only", choices=("rad", "abc"), help="Only the RAD cells or only the ABC classes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        years = [options["year"]] if options["year"] else years_due(timezone.localdate())
        only = options["only"]
        for year in years:
            started = time.perf_counter()
            try:
                result = value_compute(None, year=year, rad=only != "abc", abc=only != "rad")
            except DomainError as exc:
                raise CommandError(exc.detail) from exc
            took = time.perf_counter() - started
            self.stdout.write(
                f"{year}: {result.rad_cells} RAD cells, {result.abc_rows} ABC rows in {took:.2f}s"
            )
