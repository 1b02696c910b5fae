"""`kadence import FILE --kind opportunities --user LOGIN [--mapping NAME] [--dry-run]`: an import from the
command line, in the foreground with a progress bar; the same services as the page and the API. The
import is recorded like any other (and can be undone: `kadence import --undo JOB`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kadence.core.errors import DomainError
from kadence.core.models import User
from kadence.transfer import services
from kadence.transfer.models import ImportJob, ImportKind, ImportProblem
from kadence.transfer.tasks import execute

SHOWN = 20


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--{what} takes FIELD=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


class Command(BaseCommand):
    help = (
        "Import a CSV or Excel file of accounts, contacts or opportunities (checked first; all or nothing)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="the CSV / xlsx / xls file")
        parser.add_argument("--kind", choices=ImportKind.values, default="opportunities")
        parser.add_argument("--user", help="the login the import is made as (its rights apply)")
        parser.add_argument("--mapping", default="", help="a saved mapping's name")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows, skip bad ones"
        )
        parser.add_argument("--on-duplicate", choices=ImportJob.OnDuplicate.values, default=None)
        parser.add_argument("--create-accounts", action="store_true", help="create accounts the file names")
        parser.add_argument("--encoding", default="", help="a CSV's encoding (detected when not given)")
        parser.add_argument("--sheet", default="", help="the workbook's sheet (the first when not given)")
        parser.add_argument("--column", action="append", metavar="FIELD=HEADER", help="map a column")
        parser.add_argument("--default", action="append", metavar="FIELD=VALUE", help="a field's default")
        parser.add_argument(
            "--values", default="", help='value maps as JSON: {"stage": {"Prospecting": "plan_call"}}'
        )
        parser.add_argument("--save-mapping", default="", help="save the mapping used under this name")
        parser.add_argument("--undo", type=int, metavar="JOB", help="undo import JOB instead")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"] or "", is_active=True).first()
        if user is None:
            raise CommandError("--user must name an active user (the import is made with their rights).")
        try:
            if options["undo"]:
                self._run(user, services.import_undo(user, options["undo"], background=False), "undo")
                return
            if not options["file"]:
                raise CommandError("Give the file to import.")
            self._import(user, Path(options["file"]), options)
        except DomainError as exc:
            raise CommandError(exc.detail) from None

    def _import(self, user: User, path: Path, options: dict[str, Any]) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open("rb") as handle:
            job = services.import_job_create(
                user,
                kind=options["kind"],
                upload=File(handle, name=path.name),
                encoding=options["encoding"],
                sheet=options["sheet"],
                mapping=options["mapping"],
            )
        self.stdout.write(
            f"Import #{job.pk}: {job.file_name}, {job.total_rows:,} rows"
            + (f", encoding {job.encoding}" if job.encoding else "")
        )
        columns = {**job.columns, **_pairs(options["column"], "column")}
        try:
            values = json.loads(options["values"]) if options["values"] else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--values is not JSON: {exc}") from None
        job = services.import_job_configure(
            user,
            job.pk,
            version=job.version,
            columns=columns,
            values=values,
            defaults={**job.defaults, **_pairs(options["default"], "default")}
            if options["default"]
            else None,
            on_duplicate=options["on_duplicate"],
            skip_invalid=options["skip_invalid"],
            create_accounts=options["create_accounts"],
            save_as=options["save_mapping"],
        )
        for key, header in sorted(job.columns.items()):
            self.stdout.write(f"  {header} → {key}")
        job = self._run(user, services.import_check(user, job.pk, background=False), "check")
        if job.status != ImportJob.Status.CHECKED:
            raise CommandError(job.error or job.status)
        self.stdout.write(f"Checked: {job.checked_counts or {}}; {job.bad_rows:,} bad row(s).")
        for problem in ImportProblem.objects.filter(job=job)[:SHOWN]:
            self.stdout.write(f"  row {problem.row}, {problem.column} “{problem.value}”: {problem.message}")
        if job.problem_count > SHOWN:
            self.stdout.write(f"  … {job.problem_count - SHOWN:,} more")
        if options["dry_run"]:
            return
        if job.bad_rows and not job.skip_invalid:
            raise CommandError("Nothing was imported: fix the rows, or pass --skip-invalid.")
        job = self._run(user, services.import_commit(user, job.pk, background=False), "commit")
        if job.status != ImportJob.Status.DONE:
            raise CommandError(job.error or job.status)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {job.counts}. Undo with: kadence import --undo {job.pk} --user {user.username}"
            )
        )

    def _run(self, user: User, job: ImportJob, action: str) -> ImportJob:
        bar = tqdm(total=job.total_rows or None, unit="row", desc=action, file=sys.stderr, disable=None)

        def report(phase: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_description(phase)
            bar.update(done - bar.n)

        try:
            job = execute(job.pk, action, report)
        finally:
            bar.close()
        if action == "undo":
            if job.status != ImportJob.Status.UNDONE:
                raise CommandError(job.error or job.status)
            self.stdout.write(self.style.SUCCESS(f"Undone: {job.counts.get('undo')}"))
        return job
