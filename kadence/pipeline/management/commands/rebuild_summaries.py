"""kadence rebuild_summaries: recompute the report summary tables (PipelineTotal, StageFlow, the stays) from the
opportunities and their stage history. The services keep them exact as they write; run this after
loading data in bulk outside the services, or to check (it prints the row counts)."""

import time

from django.core.management.base import BaseCommand

from kadence.pipeline.summary import rebuild


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        started = time.perf_counter()
        totals, flows = rebuild()
        self.stdout.write(
            f"{totals:,} pipeline totals, {flows:,} stage flows in {time.perf_counter() - started:.1f} s."
        )
