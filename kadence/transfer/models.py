"""Imports (issue 12): the saved mappings, each import as a record with its problems, and what it wrote,
so that it can be undone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")
    OPPORTUNITIES = "opportunities", _("Opportunities")
    ORG = "org", _("Organisation (regions, teams, people)")
    ACTIVITIES = "activities", _("Activities")
    HISTORY = "history", _("Stage history of imported deals")
    # read and written by kadence.keyaccounts.value.importing (registered from that app)
    BUYING_POWER = "buying_power", _("Buying power (per account and year)")


class ImportMapping(models.Model):
    """A named, reusable mapping for one kind of import: which column each field is read from
    (`columns`: field → header text), how a column's values translate (`values`: field → {value as in
    the file → what it means: a stage code, a user's login, won / lost…}) and the value a field takes
    when its column is missing or empty (`defaults`: field → value)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    columns = models.JSONField(default=dict, blank=True)
    values = models.JSONField(default=dict, blank=True)
    defaults = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="import_mapping_unique_name")]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One import of one file: who, when, the file (name, SHA-256, encoding, sheet), the mapping it
    used, the options chosen, its progress and its outcome. A check (dry run) validates every row and
    records the problems without writing; the import writes in one transaction (all rows, or the valid
    ones when `skip_invalid` was chosen); an undo removes what it created and restores what it updated."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")

    class OnDuplicate(models.TextChoices):
        UPDATE = "update", _("Update the existing record")
        SKIP = "skip", _("Skip the row")
        CREATE = "create", _("Create a new record anyway")

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    file_type = models.CharField(max_length=5)  # csv, xlsx, xls, ods
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    detected_encoding = models.CharField(max_length=20, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping_name = models.CharField(_("mapping"), max_length=100, blank=True)
    columns = models.JSONField(default=dict, blank=True)
    values = models.JSONField(default=dict, blank=True)
    defaults = models.JSONField(default=dict, blank=True)
    on_duplicate = models.CharField(
        _("when a record exists"), max_length=6, choices=OnDuplicate.choices, default=OnDuplicate.UPDATE
    )
    skip_invalid = models.BooleanField(_("import the valid rows, skip the bad ones"), default=False)
    create_accounts = models.BooleanField(
        _("create accounts the file names that do not exist"), default=False
    )
    total_rows = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    problem_count = models.PositiveIntegerField(default=0)
    checked_counts = models.JSONField(
        default=dict, blank=True
    )  # what the check found: create / update / skip
    counts = models.JSONField(default=dict, blank=True)  # what the import wrote
    checked_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "created_at"], name="import_job_by_user")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_kind_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING, self.Status.UNDOING)


class ImportProblem(models.Model):
    """A problem with one row of an import's file: its row number as the spreadsheet shows it (the
    header is row 1), the column's header, the value as read, and what is wrong."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    value = models.CharField(_("value"), max_length=500, blank=True)
    message = models.CharField(_("problem"), max_length=500)

    class Meta:
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="import_problem_row")]

    def __str__(self) -> str:
        return f"{self.row}: {self.message}"


class ImportedRecord(models.Model):
    """A record an import wrote: created, or updated (with the values it had before, to restore on undo).
    `version` is the record's version after the import: an undo leaves alone (and lists) a record whose
    version has moved since."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")

    # import_record_job leads with it: no index of its own (migration 0005)
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="records", db_index=False)
    entity = models.CharField(max_length=40)  # accounts.account, accounts.contact, pipeline.opportunity
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=7, choices=Action.choices)
    before = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["job", "entity", "action"], name="import_record_job"),
            # what the imports did to one record (a history import asks whether a deal is as an import left it)
            models.Index(fields=["object_id", "entity"], name="import_record_object"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_id} ({self.action})"


# --- exports in the background (issue 12 §9) ------------------------------------------------------


class ExportJob(models.Model):
    """One export of a list too big for one request, written by the background worker into a file to
    download: who asked, which list (`list_name`, a key of kadence.transfer.exports.EXPORTS), the format,
    the filters and order the list had (`filters`: its filters' dataclass as JSON, `sort`) and the
    language of its headers and names. `total_rows` is the count when it started, `rows_written` what the
    file holds (an xlsx sheet stops at 1,048,575 rows). Its file is deleted after
    KADENCE_EXPORT_KEEP_DAYS days, the job with it (kadence.transfer.tasks.export_cleanup)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "xlsx"

    list_name = models.CharField(_("list"), max_length=20)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    filters = models.JSONField(default=dict, blank=True)
    sort = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "created_at"], name="export_job_by_user"),
            models.Index(fields=["finished_at"], name="export_job_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.list_name}.{self.format} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
