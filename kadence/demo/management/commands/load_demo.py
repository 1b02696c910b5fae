"""`kadence load_demo`: put the demo company (华工智能装备) into the current database, once."""

from __future__ import annotations

import time
from argparse import ArgumentTypeError
from datetime import date

from django.core.management.base import BaseCommand

from kadence.core.models import OrgUnit
from kadence.demo.catalogues import COMPANY_CODE
from kadence.demo.loader import load_demo_company
from kadence.demo.world import login_lines


def iso_date(value: str) -> date:
    """argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Load the demo company (org tree, users, accounts, opportunities with history, activities and the "
        "deal control behind them: evidence, approvals, C139 and bid assessments, buying centre, milestones, "
        "tasks, expenses), targets, forecasts and calibration; prints the logins. Does nothing when the database "
        "already has a company."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed (same seed and day, same data)."
        )
        parser.add_argument(
            "--today",
            type=iso_date,
            default=None,
            help="The day the data is generated for (YYYY-MM-DD; default: today).",
        )
        parser.add_argument(
            "--no-deal-control",
            dest="deal_control",
            action="store_false",
            help="Skip the deal-control rows (evidence, assessments, buying centre, milestones, tasks, "
            "expenses); the deals then claim stages no evidence supports.",
        )

    def handle(self, *args, seed: int, today: date | None, deal_control: bool = True, **options):
        if OrgUnit.objects.filter(code=COMPANY_CODE).exists():
            self.stdout.write("The demo company already exists; nothing to do.")
            return
        started = time.perf_counter()
        counts = load_demo_company(seed, today, deal_control=deal_control, stdout=self.stdout.write)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Demo company loaded in {elapsed:.1f} s:"))
        for table, rows in counts.items():
            self.stdout.write(f"  {table:<40} {rows:>8,}")
        for line in login_lines():
            self.stdout.write(line)
