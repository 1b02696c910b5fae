"""`kadence seed --opportunities N`: a large simulated data set for benchmarks."""

from __future__ import annotations

import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kadence.core.demo_data import seed_opportunities
from kadence.core.management.commands.load_demo import iso_date


class Command(BaseCommand):
    help = ("Add N simulated opportunities (with stage history, deal teams, product lines and competitors) and "
            "N/20 accounts with contacts, on top of the existing organisation (the demo org is created first "
            "when there is none). Uses COPY on PostgreSQL.")

    def add_arguments(self, parser):
        parser.add_argument("--opportunities", "-n", type=int, required=True, help="How many opportunities.")
        parser.add_argument("--accounts", type=int, default=None, help="How many accounts (default: N / 20).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed.")
        parser.add_argument("--batch", type=int, default=20_000, help="Rows per COPY / bulk insert.")
        parser.add_argument("--today", type=iso_date, default=None, help="The day the data is generated for.")
        parser.add_argument("--no-activities", action="store_true", help="Skip the one activity per opportunity.")

    def handle(self, *args, opportunities: int, accounts: int | None, seed: int, batch: int, today: date | None,
               no_activities: bool, **options):
        if opportunities < 1 or batch < 1 or (accounts is not None and accounts < 1):
            raise CommandError("--opportunities, --accounts and --batch must be positive.")
        started = time.perf_counter()
        with tqdm(total=opportunities, unit="opp", unit_scale=True, file=sys.stderr, desc="seeding",
                  disable=options.get("verbosity", 1) == 0) as bar:
            try:
                counts = seed_opportunities(opportunities, seed=seed, today=today, batch_size=batch,
                                            accounts=accounts, activities=not no_activities, progress=bar.update, stdout=self.stdout.write)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        for table, rows in counts.items():
            self.stdout.write(f"  {table:<40} {rows:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Seeded {opportunities:,} opportunities in {elapsed:.1f} s."))
