"""`kadence backup FILE`: write the whole Kadence (every table, the uploaded files, a manifest with
checksums) to a portable zip archive that `kadence restore` loads into SQLite or PostgreSQL.
See docs/backup.md."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kadence.transfer.backup import BackupError, archive_summary, backup
from kadence.transfer.management.progress import TableProgress


class Command(BaseCommand):
    help = (
        "Back up the database (every table) and the uploaded files to a zip archive with a manifest of "
        "row counts and SHA-256 checksums; `kadence restore FILE` loads it into an empty database of either "
        "engine. See docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The archive to write (e.g. kadence-2026-12-05.zip).")
        parser.add_argument("--force", action="store_true", help="Replace FILE if it exists.")

    def handle(self, *args, file: str, force: bool, verbosity: int = 1, **options):
        target = Path(file)
        if target.exists() and not force:
            raise CommandError(f"{target} exists; choose another name or add --force to replace it.")
        started = time.perf_counter()
        try:
            manifest = backup(target, progress=TableProgress(self.stdout.write, verbosity))
        except BackupError as exc:
            raise CommandError(exc.detail) from exc
        tables, rows, files = archive_summary(manifest)
        size = target.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {tables} tables ({rows:,} rows) and {files:,} files to {target} "
                f"({size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s."
            )
        )
