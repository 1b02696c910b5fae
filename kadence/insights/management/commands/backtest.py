"""`kadence backtest [--period quarter|month|year] [--periods 8] [--unit ID | --owner ID] [--user NAME]`:
the forecast each model (weighted pipeline, configured, calibrated, time-aware) would have made at the
start of every past period, beside the actual won amount (issue 11 §6; kadence.insights.selectors
.backtest). Prints the table and the summary per model; `--markdown` prints them as Markdown."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import parse_date_param
from kadence.insights.selectors.backtest import LABELS, backtest


def _pct(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f} %"


class Command(BaseCommand):
    help = "Backtest the forecast models over past periods: P10 / P50 / P90 at each period's start beside the actual."

    def add_arguments(self, parser):
        parser.add_argument("--period", default="quarter", help="month, quarter (default) or year.")
        parser.add_argument("--periods", type=int, default=8, help="How many past periods (default 8).")
        parser.add_argument("--unit", type=int, default=None, help="A unit id (default: the company).")
        parser.add_argument("--owner", type=int, default=None, help="A seller's user id.")
        parser.add_argument(
            "--user", default=None, help="Whose view (username; default: the first superuser)."
        )
        parser.add_argument(
            "--until", default=None, help="Periods before the one holding this day (default today)."
        )
        parser.add_argument("--trials", type=int, default=None)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--markdown", action="store_true", help="Print Markdown tables.")
        parser.add_argument("--language", default=None, help="en or zh-hans (default: the site's language).")

    def handle(self, *args, **options):
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._handle(**options)

    def _handle(self, **options):
        user = (
            User.objects.filter(username=options["user"]).first()
            if options["user"]
            else User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError("No such user (give --user USERNAME).")
        try:
            until = (
                parse_date_param(options["until"], "until") if options["until"] else None
            ) or timezone.localdate()
            report = backtest(
                user,
                until=until,
                unit_id=options["unit"],
                owner_id=options["owner"],
                period_kind=options["period"],
                periods=options["periods"],
                trials=options["trials"],
                seed=options["seed"],
            )
        except (DomainError, ValidationFailed) as exc:
            raise CommandError(exc.detail) from None
        md = options["markdown"]
        head = (
            ["Period", "Actual", *[f"{LABELS[r.model]} P10 / P50 / P90" for r in report.periods[0].rows]]
            if report.periods
            else []
        )
        if md:
            self.stdout.write("| " + " | ".join(head) + " |")
            self.stdout.write("|" + "---|" * len(head))
        for period in report.periods:
            cells = [
                f"{r.p10:,.0f} / {r.p50:,.0f} / {r.p90:,.0f} {'✓' if r.covered else '✗'} ({r.error:+,.0f})"
                for r in period.rows
            ]
            line = [f"{period.start:%Y-%m}", f"{period.actual:,.0f}", *cells]
            self.stdout.write(("| " + " | ".join(line) + " |") if md else "  ".join(line))
        self.stdout.write("")
        summary_head = ["Model", "Covered", "MAPE", "Bias", "Mean abs. error", "Brier"]
        if md:
            self.stdout.write("| " + " | ".join(summary_head) + " |")
            self.stdout.write("|" + "---|" * len(summary_head))
        for s in report.summaries:
            line = [
                str(LABELS[s.model]),
                _pct(s.coverage),
                _pct(s.mape),
                _pct(s.bias),
                f"{s.mean_abs_error:,.0f}",
                "—" if s.brier is None else f"{s.brier}",
            ]
            self.stdout.write(("| " + " | ".join(line) + " |") if md else "  ".join(line))
