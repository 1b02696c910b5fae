"""Schemas of the import API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from kadence.core.schemas import Clean, PageQuery, UserRef, Version

Kind = Literal["accounts", "contacts", "opportunities", "activities", "history", "org", "buying_power"]
Key = Annotated[str, StringConstraints(max_length=60)]
Text = Annotated[str, StringConstraints(max_length=500)]


class FieldOut(Schema):
    key: str
    label: str
    read: str = Field(description="text, date, amount, ref (a value looked up in a list) or refs (several)")
    required: bool
    help: str
    names: list[str] = Field(description="The column headers this field is recognised by.")


class ProgressOut(Schema):
    phase: str
    done: int
    total: int
    percent: int


class ImportJobOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    file_name: str
    sha256: str
    size: int
    file_type: str
    encoding: str
    detected_encoding: str
    sheet: str
    headers: list[str]
    mapping_name: str
    columns: dict[str, str] = Field(description="field → the column header it is read from")
    values: dict[str, dict[str, str]] = Field(description="field → {value in the file: what it means}")
    defaults: dict[str, str] = Field(description="field → the value used when its cell is empty")
    on_duplicate: str
    skip_invalid: bool
    create_accounts: bool
    total_rows: int
    bad_rows: int
    problem_count: int
    checked_counts: dict[str, Any]
    counts: dict[str, Any]
    checked_at: datetime | None
    error: str
    created_by: UserRef
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    undone_at: datetime | None
    version: int
    progress: ProgressOut | None


class ImportJobIn(Clean):
    kind: Kind
    encoding: Annotated[str, StringConstraints(max_length=20)] = ""
    sheet: Annotated[str, StringConstraints(max_length=100)] = ""
    mapping: Annotated[str, StringConstraints(max_length=100)] = Field(
        "", description="A saved mapping's name."
    )


class MappingIn(Clean):
    version: Version
    columns: dict[Key, Text] | None = Field(
        None, description="field → column header; an empty header unmaps it"
    )
    values: dict[Key, dict[Text, Text]] | None = None
    defaults: dict[Key, Text] | None = None
    on_duplicate: Literal["update", "skip", "create"] | None = None
    skip_invalid: bool | None = None
    create_accounts: bool | None = None
    encoding: Annotated[str, StringConstraints(max_length=20)] | None = None
    save_as: Annotated[str, StringConstraints(max_length=100)] = Field(
        "", description="Also save the mapping by this name."
    )


class PreviewRowOut(Schema):
    row: int
    action: str = Field(description="create, update or skip; empty when the row has problems")
    values: dict[str, str]
    problems: list[list[str]] = Field(description="[field, message] pairs")


class ProblemOut(Schema):
    row: int
    column: str
    value: str
    message: str


class ProblemQuery(PageQuery):
    pass


class SavedMappingOut(Schema):
    id: int
    name: str
    kind: str
    columns: dict[str, str]
    values: dict[str, dict[str, str]]
    defaults: dict[str, str]
    updated_at: datetime


# --- exports in the background (issue 12 §9) ------------------------------------------------------


class ExportJobOut(Schema):
    id: int
    list: str = Field(description="opportunities, accounts, contacts or activities")
    format: str = Field(description="csv or xlsx")
    status: Literal["queued", "running", "done", "failed"]
    status_label: str
    filters: dict[str, Any] = Field(
        description="The list's filters the export applies (empty ones left out)."
    )
    sort: str
    total_rows: int = Field(description="The rows the filters selected when the worker started (0 before).")
    rows_written: int = Field(description="The rows the file holds (an xlsx sheet stops at 1,048,575).")
    progress: ProgressOut | None = Field(description="While queued or running: rows written of total_rows.")
    file_name: str
    size: int = Field(description="The file's size in bytes, once done.")
    error: str
    url: str = Field(description="This job: poll it until status is done (or failed).")
    download_url: str | None = Field(
        description="The file, once done: only you (or an admin) may download it."
    )
    created_by: UserRef
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
