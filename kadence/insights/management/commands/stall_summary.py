"""kadence stall_summary: recompute every deal's stall summary (the facts the stalled deals report reads:
last customer activity, latest dated next step, close-date pushes; kadence.pipeline.stall) from the
activities, stall actions and audit trail, and list the deals whose stored summary differs. With
--check nothing is written and the exit status is 1 on drift (for cron or monitoring: then look for
the write that bypassed the services); with --rebuild the differing deals are rewritten."""

import time

from django.core.management.base import BaseCommand, CommandError

from kadence.insights.services.stall_summary import drift, rebuild

SHOWN = 50  # deals listed in full


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--check", action="store_true", help="Report the deals that differ; write nothing.")
        what.add_argument("--rebuild", action="store_true", help="Rewrite the deals that differ.")

    def handle(self, *args, **options):
        started = time.perf_counter()
        if options["rebuild"]:
            rewritten = rebuild()
            self.stdout.write(
                f"Stall summaries rebuilt: {rewritten:,} deals changed in {time.perf_counter() - started:.1f} s."
            )
            return
        found = drift()
        if not found:
            self.stdout.write(
                "The stall summaries match the deals' activities, next steps and pushes: no drift."
            )
            return
        for row in found[:SHOWN]:
            changed = {
                k: (row.stored[k], row.expected[k]) for k in row.stored if row.stored[k] != row.expected[k]
            }
            self.stdout.write(
                f"deal {row.opp_id}: "
                + ", ".join(f"{k} stored {a}, expected {b}" for k, (a, b) in changed.items())
            )
        if len(found) > SHOWN:
            self.stdout.write(f"… and {len(found) - SHOWN} more.")
        raise CommandError(
            f"Stall summary drift: {len(found)} deals differ. Run `kadence stall_summary --rebuild`."
        )
