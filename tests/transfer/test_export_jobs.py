"""Exports in the background (issue 12 §9): an export of more rows than KADENCE_EXPORT_BACKGROUND_ROWS is
written by the worker into a file, byte for byte what the request would have streamed (the same rows, the
same visibility, the same filters, the same neutralised formulas), with its progress; only its author (or
an admin) sees and downloads it; old files are removed by a scheduled job."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from kadence.core import jobs
from kadence.pipeline import services
from kadence.transfer import progress
from kadence.transfer.models import ExportJob
from kadence.transfer.tasks import EXPORT_PROGRESS_EVERY, remove_old_exports, write_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    """Three rows are "too many" for one request here."""
    settings.KADENCE_EXPORT_BACKGROUND_ROWS = 2


def _deals(org, n=2):
    for i in range(n):
        services.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f'=HYPERLINK("http://evil","{i}")',
            amount="1000.5",
            expected_close_date=date.today() + timedelta(days=30),
        )


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _stamp_free(data: bytes, fmt: str) -> object:
    """What a file says (an xlsx's cells: its zip holds times of writing)."""
    if fmt == "csv":
        return data
    sheet = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_big_export_is_written_in_the_background_as_the_request_would_stream_it(client, org, settings, fmt):
    _deals(org)  # rita sees 3 deals; sara's she does not
    client.force_login(org.rita)
    streamed = _body(client.get(f"/export/opportunities.{fmt}", {"q": "", "sort": "name"}))
    settings.KADENCE_EXPORT_BACKGROUND_ROWS = 2
    offer = client.get(f"/export/opportunities.{fmt}", {"q": "", "sort": "name"})
    # a GET changes nothing: it offers the background (a POST to the same address, filters included)
    assert offer.status_code == 200 and 'data-testid="export-too-big"' in offer.content.decode()
    assert not ExportJob.objects.exists()
    response = client.post(f"/export/opportunities.{fmt}?q=&sort=name")
    assert response.status_code == 302 and response["Location"].startswith("/exports/#export-")
    job = ExportJob.objects.get()
    assert (job.created_by, job.list_name, job.format, job.status) == (
        org.rita,
        "opportunities",
        fmt,
        "queued",
    )
    assert job.sort == "name"
    page = client.get("/exports/")
    assert page.status_code == 200 and 'data-status="queued"' in page.content.decode()
    assert "hx-get" in page.content.decode()  # polled while it runs

    job = write_export(job.pk)
    assert (job.status, job.total_rows, job.rows_written) == ("done", 3, 3)
    assert job.file.name.startswith("exports/") and job.size > 0
    downloaded = client.get(f"/exports/{job.pk}/download")
    assert downloaded.status_code == 200 and "attachment" in downloaded["Content-Disposition"]
    data = _body(downloaded)
    assert _stamp_free(data, fmt) == _stamp_free(streamed, fmt)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8")[1:])))
        assert len(rows) == 3 and all(not r["商机"].startswith("=") for r in rows)  # neutralised
        assert org.sara_opp.name not in {r["商机"] for r in rows}
    else:
        assert zipfile.is_zipfile(io.BytesIO(data))
    page = client.get("/exports/").content.decode()
    assert f'href="/exports/{job.pk}/download"' in page and "hx-get" not in page


def test_the_filters_of_the_page_are_those_of_the_file(client, org, small_threshold):
    _deals(org)
    client.force_login(org.rita)
    response = client.post("/export/opportunities.csv?q=HYPERLINK")  # asked for in the background
    assert response.status_code == 302
    job = write_export(ExportJob.objects.get().pk)
    assert job.filters == {"q": "HYPERLINK", "mine": False}
    assert job.rows_written == 2  # the two deals the search finds, not the third


def test_activity_filters_with_dates_and_a_false_flag_come_back_as_they_were(org):
    from kadence.activities.selectors import ActivityFilters
    from kadence.transfer.exports import EXPORTS

    export = EXPORTS["activities"]
    filters = ActivityFilters(done=False, date_from=date(2026, 1, 2), owner_id=org.rita.pk)
    data = export.filters_data(filters)
    assert data == {"owner_id": org.rita.pk, "done": False, "date_from": "2026-01-02"}
    assert export.filters_from(data) == filters


def test_a_small_export_is_still_streamed(client, org, small_threshold):
    client.force_login(org.sara)  # one deal
    response = client.get("/export/opportunities.csv")
    assert response.status_code == 200 and response.streaming
    assert not ExportJob.objects.exists()


def test_the_same_export_twice_is_one_job_and_the_running_ones_are_limited(client, org, settings):
    settings.KADENCE_EXPORT_MAX_RUNNING = 2
    client.force_login(org.rita)
    client.post("/export/opportunities.csv")
    client.post("/export/opportunities.csv")
    assert ExportJob.objects.count() == 1
    client.post("/export/opportunities.xlsx")
    response = client.post("/export/accounts.csv", follow=True)
    assert ExportJob.objects.count() == 2
    assert "正在准备" in response.content.decode()  # "you have 2 exports being prepared" (zh-Hans)


def test_nobody_else_sees_or_downloads_an_export(client, org, token_for, small_threshold):
    _deals(org)
    client.force_login(org.rita)
    client.post("/export/opportunities.csv")
    job = write_export(ExportJob.objects.get().pk)
    for other in (org.mona, org.tom):  # her manager too: the file holds what rita sees
        client.force_login(other)
        assert client.get(f"/exports/{job.pk}/download").status_code == 404
        assert f"export-{job.pk}" not in client.get("/exports/").content.decode()
        assert client.get(f"/api/export-jobs/{job.pk}", **token_for(other)).status_code == 404
        assert client.get(f"/api/export-jobs/{job.pk}/download", **token_for(other)).status_code == 404
        assert client.get("/api/export-jobs", **token_for(other)).json()["count"] == 0
    client.force_login(org.ada)  # an admin may
    assert client.get(f"/exports/{job.pk}/download").status_code == 200
    assert client.get(f"/api/export-jobs/{job.pk}/download", **token_for(org.ada)).status_code == 200


def test_the_api_refuses_a_big_get_and_a_post_gives_a_job_to_poll_then_the_file(
    client, org, token_for, small_threshold
):
    _deals(org)
    auth = token_for(org.rita)
    refused = client.get("/api/exports/opportunities", {"format": "xlsx"}, **auth)
    assert refused.status_code == 422 and refused.json()["code"] == "too_many_rows"
    assert not ExportJob.objects.exists()  # a GET starts nothing
    response = client.post("/api/exports/opportunities?format=xlsx", **auth)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["download_url"] is None and body["list"] == "opportunities"
    assert body["progress"] == {"phase": "queued", "done": 0, "total": 0, "percent": 0}
    assert client.get(body["url"], **auth).json()["status"] == "queued"
    write_export(body["id"])
    done = client.get(body["url"], **auth).json()
    assert (done["status"], done["rows_written"], done["progress"]) == ("done", 3, None)
    file = client.get(done["download_url"], **auth)
    assert file.status_code == 200
    assert load_workbook(io.BytesIO(_body(file))).active.max_row == 4  # header + 3
    listed = client.get("/api/export-jobs", **auth).json()
    assert [j["id"] for j in listed["items"]] == [body["id"]]
    # an explicit start, whatever the size; while queued its file is not ready (422 export_not_ready)
    started = client.post("/api/exports/accounts", {}, **auth)
    assert started.status_code == 202 and started.json()["list"] == "accounts"
    not_ready = client.get(started.json()["url"] + "/download", **auth)
    assert not_ready.status_code == 422 and not_ready.json()["code"] == "export_not_ready"


def test_progress_is_reported_while_the_file_is_written(org, small_threshold, monkeypatch):
    from kadence.transfer import tasks

    _deals(org)
    job = ExportJob.objects.create(created_by=org.rita, list_name="opportunities", format="csv")
    seen = []
    monkeypatch.setattr(tasks, "EXPORT_PROGRESS_EVERY", 1)
    real = progress.report
    monkeypatch.setattr(
        progress, "report", lambda *a, **k: (seen.append((a[2], a[3], k.get("kind"))), real(*a, **k))
    )
    write_export(job.pk)
    assert seen == [(0, 3, "export"), (1, 3, "export"), (2, 3, "export"), (3, 3, "export")]
    assert progress.read(job.pk, kind="export") is None  # cleared when done
    assert EXPORT_PROGRESS_EVERY > 1  # in production, a report every few thousand rows


def test_the_worker_writes_the_export(
    client, org, small_threshold, monkeypatch, django_capture_on_commit_callbacks
):
    import django_tasks_db.management.commands.db_worker as db_worker

    import kadence.core.management.commands.worker as worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    _deals(org)
    client.force_login(org.rita)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/export/opportunities.csv")
    job = ExportJob.objects.get()
    assert job.task_id
    call_command("worker", batch=True, stdout=StringIO())
    result = DBTaskResult.objects.get(task_path="kadence.transfer.tasks.run_export_job")
    assert result.status == "SUCCESSFUL", result.exception_class_path
    job.refresh_from_db()
    assert (job.status, job.rows_written) == ("done", 3)


def test_old_exports_are_removed_with_their_files(org, settings):
    settings.KADENCE_EXPORT_KEEP_DAYS = 7
    old = ExportJob.objects.create(created_by=org.rita, list_name="contacts", format="csv")
    old = write_export(old.pk)
    fresh = write_export(ExportJob.objects.create(created_by=org.rita, list_name="contacts", format="csv").pk)
    storage, name = old.file.storage, old.file.name
    assert storage.exists(name)
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    never_run = ExportJob.objects.create(
        created_by=org.rita, list_name="contacts", format="csv", created_at=timezone.now() - timedelta(days=8)
    )
    ExportJob.objects.create(created_by=org.rita, list_name="accounts", format="csv")  # queued today: kept
    assert remove_old_exports() == 2
    assert not ExportJob.objects.filter(pk=never_run.pk).exists()
    assert ExportJob.objects.filter(status="queued").count() == 1
    assert not storage.exists(name) and not ExportJob.objects.filter(pk=old.pk).exists()
    assert ExportJob.objects.filter(pk=fresh.pk).exists() and storage.exists(fresh.file.name)
    assert "export-cleanup" in {job.name for job in jobs.jobs()}  # the worker runs it daily


def test_the_page_polls_the_progress_of_a_running_export(client, org):
    job = ExportJob.objects.create(
        created_by=org.rita, list_name="activities", format="csv", status="running", total_rows=3
    )
    progress.report(job.pk, "writing", 1, 3, kind="export")
    progress.report(job.pk, "reading", 7, 9)  # an import of the same id: its own key
    client.force_login(org.rita)
    html = client.get("/exports/status").content.decode()
    assert 'hx-get="/exports/status"' in html and "1 / 3" in html and "33%" in html
    assert progress.read(job.pk).done == 7  # the import's progress untouched
    progress.clear(job.pk, kind="export")
    progress.clear(job.pk)


def test_an_export_whose_worker_died_is_shown_failed(client, org, token_for):
    job = ExportJob.objects.create(
        created_by=org.rita,
        list_name="accounts",
        format="csv",
        status="running",
        started_at=timezone.now() - timedelta(seconds=progress.STALE + 60),
    )
    body = client.get(f"/api/export-jobs/{job.pk}", **token_for(org.rita)).json()
    assert body["status"] == "failed" and body["error"]
