"""kadence pipeline-snapshot: write the pipeline snapshots that are due (kadence.pipeline.snapshots).

Without options (for cron, e.g. every night): every due day that has ended and has no snapshot, back to
the first history row (the first run back-fills the past from the history; later runs add the latest
one). `--latest` writes only the latest due day; `--day D` (repeatable) writes the snapshot of D whether
due or not. `--check` compares every snapshot with the history and exits 1 on a difference; with
`--repair` it rewrites the deals that differ. Safe to run twice at once: builders take a lock and skip
what is already written."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from kadence.pipeline import snapshots


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--latest", action="store_true", help="only the latest due day")
        parser.add_argument(
            "--day", action="append", default=[], help="the snapshot of this day (YYYY-MM-DD)"
        )
        parser.add_argument("--check", action="store_true", help="compare the snapshots with the history")
        parser.add_argument("--repair", action="store_true", help="with --check: rewrite what differs")

    def handle(self, *args, **options):
        if options["check"]:
            self._check(options["repair"])
            return
        try:
            days = [date.fromisoformat(d) for d in options["day"]]
        except ValueError as error:
            raise CommandError(f"--day: {error}") from error
        if any(day >= snapshots.latest_ended_day() + timedelta(days=1) for day in days):
            raise CommandError("--day: only a day that has ended can be snapshotted.")
        if not days:
            days = snapshots.missing_days(backfill=not options["latest"])
        if not days:
            self.stdout.write("Every due snapshot is written.")
            return
        total = len(days)
        done = [0]

        def progress(snap):
            done[0] += 1
            self.stdout.write(f"[{done[0]}/{total}] {snap.taken_on}: {snap.deals} open deals")

        built = snapshots.build(days, progress)
        self.stdout.write(f"Wrote {len(built)} snapshot(s).")

    def _check(self, repair: bool) -> None:
        found = snapshots.drift(repair=repair)
        if not found:
            self.stdout.write("The snapshots match the history.")
            return
        for day, n in found.items():
            self.stdout.write(f"{day}: {n} deal(s) differ{' (repaired)' if repair else ''}")
        if not repair:
            raise CommandError(
                f"{len(found)} snapshot(s) differ from the history. Run `kadence pipeline-snapshot --check --repair`."
            )
