"""`kadence restore FILE`: load an archive of `kadence backup` into this database, which must be empty
(only migrated) and at the archive's migration state; the checksums are verified before anything is
written, and the load is one transaction. See docs/backup.md."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from kadence.transfer.backup import BackupError, archive_summary, restore
from kadence.transfer.management.progress import TableProgress


class Command(BaseCommand):
    help = (
        "Restore a `kadence backup` archive into an empty, migrated database (SQLite or PostgreSQL, "
        "whichever the backup came from) and its files into MEDIA_ROOT. See docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The archive written by `kadence backup`.")

    def handle(self, *args, file: str, verbosity: int = 1, **options):
        started = time.perf_counter()
        try:
            manifest = restore(file, progress=TableProgress(self.stdout.write, verbosity))
        except BackupError as exc:
            raise CommandError(exc.detail) from exc
        tables, rows, files = archive_summary(manifest)
        source = manifest.get("source", {})
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {tables} tables ({rows:,} rows) and {files:,} files from {file} (made "
                f"{manifest.get('created_at', '?')} on {source.get('vendor', '?')}) in "
                f"{time.perf_counter() - started:.1f} s."
            )
        )
