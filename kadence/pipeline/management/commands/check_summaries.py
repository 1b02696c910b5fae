"""kadence check_summaries: recompute the report summary tables (PipelineTotal, WonTotal, StageFlow,
StaySummary and each deal's stay_began_at)
in memory from the opportunities and their stage history, and report every key whose stored row
differs (nothing is written). Exit status 1 on drift, so cron or monitoring can alert; then run
`kadence rebuild_summaries` and look for the write that bypassed the services."""

from django.core.management.base import BaseCommand, CommandError

from kadence.pipeline.summary import drift

SHOWN = 50  # keys listed in full; the count covers them all


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        found = drift()
        if not found:
            self.stdout.write("The summaries match the deals and their history: no drift.")
            return
        for row in found[:SHOWN]:
            self.stdout.write(f"{row.model} {row.key}: stored {row.stored}, expected {row.expected}")
        if len(found) > SHOWN:
            self.stdout.write(f"… and {len(found) - SHOWN} more.")
        by_model: dict[str, int] = {}
        for row in found:
            by_model[row.model] = by_model.get(row.model, 0) + 1
        counts = ", ".join(f"{n} {model}" for model, n in sorted(by_model.items()))
        raise CommandError(
            f"Summary drift: {len(found)} keys differ ({counts}). Run `kadence rebuild_summaries`."
        )
