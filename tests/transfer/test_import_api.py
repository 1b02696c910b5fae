"""The import API: upload, correct the mapping, preview, check in the background worker, read the problems and
download the bad rows, import, undo; who may do what; bad input answers 4xx and changes nothing."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from kadence.pipeline.models import Opportunity
from kadence.transfer.models import ImportJob
from kadence.transfer.tasks import execute
from tests.transfer.test_import import _deals_file

pytestmark = pytest.mark.django_db


def _upload(client, headers, org, kind="opportunities", **extra):
    return client.post("/api/imports", {"kind": kind, "file": _deals_file(org), **extra}, **headers)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_whole_round_trip_through_the_api_and_the_worker(
    client, token_for, org, monkeypatch, django_capture_on_commit_callbacks
):
    import django_tasks_db.management.commands.db_worker as db_worker

    import kadence.core.management.commands.worker as worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    mona = token_for(org.mona)
    response = _upload(client, mona, org)
    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["status"] == "uploaded" and job["detected_encoding"] == "gb18030" and job["total_rows"] == 4
    assert job["columns"]["amount"] == "金额"

    fields = client.get("/api/imports/fields", {"kind": "opportunities"}, **mona).json()
    assert {"external_id", "account", "owner", "stage", "amount"} <= {f["key"] for f in fields}

    preview = client.get(f"/api/imports/{job['id']}/preview", **mona).json()
    assert [r["action"] for r in preview] == ["create", "create", "create", ""]
    assert preview[0]["values"]["amount"] == "1,200,000.00"
    assert any("nobody" in message for _field, message in preview[3]["problems"])

    # map "nobody" to tom; a stale version is refused
    response = client.put(
        f"/api/imports/{job['id']}/mapping",
        {"version": job["version"], "values": {"owner": {"nobody": "tom"}}},
        content_type="application/json",
        **mona,
    )
    assert response.status_code == 200, response.json()
    stale = client.put(
        f"/api/imports/{job['id']}/mapping",
        {"version": job["version"]},
        content_type="application/json",
        **mona,
    )
    assert stale.status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/imports/{job['id']}/check", **mona)
    assert response.status_code == 202 and response.json()["status"] == "checking"
    call_command("worker", batch=True, stdout=StringIO())
    assert DBTaskResult.objects.filter(
        task_path="kadence.transfer.tasks.run_import_job", status="SUCCESSFUL"
    ).exists()
    job = client.get(f"/api/imports/{job['id']}", **mona).json()
    assert job["status"] == "checked" and job["bad_rows"] == 1
    problems = client.get(f"/api/imports/{job['id']}/problems", **mona).json()
    assert problems["items"] == [
        {
            "row": 5,
            "column": "金额",
            "value": "很多",
            "message": "不是金额：请写成 1234567.89、¥1,234,567 或 120万。",
        }
    ] or (problems["count"] == 1 and problems["items"][0]["row"] == 5)
    bad = load_workbook(io.BytesIO(_body(client.get(f"/api/imports/{job['id']}/bad-rows", **mona)))).active
    rows = list(bad.values)
    assert rows[0][-1] in ("问题", "Problems") and rows[1][0] == "X-4" and "金额" in rows[1][-1]

    # all or nothing: refused while a row is bad
    refused = client.post(f"/api/imports/{job['id']}/commit", **mona)
    assert refused.status_code == 422 and refused.json()["code"] == "bad_rows"
    client.put(
        f"/api/imports/{job['id']}/mapping",
        {"version": job["version"], "skip_invalid": True},
        content_type="application/json",
        **mona,
    )
    client.post(f"/api/imports/{job['id']}/check", **mona)
    execute(job["id"], "check")
    assert client.post(f"/api/imports/{job['id']}/commit", **mona).status_code == 202
    execute(job["id"], "commit")
    job = client.get(f"/api/imports/{job['id']}", **mona).json()
    assert job["status"] == "done" and job["counts"]["created"] == 3
    assert client.post(f"/api/imports/{job['id']}/undo", **mona).status_code == 202
    execute(job["id"], "undo")
    assert client.get(f"/api/imports/{job['id']}", **mona).json()["status"] == "undone"
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()

    listed = client.get("/api/imports", **mona).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]


def test_who_sees_and_acts_on_an_import(client, token_for, org):
    job = _upload(client, token_for(org.mona), org).json()
    assert _upload(client, token_for(org.rita), org).status_code == 403
    assert client.get(f"/api/imports/{job['id']}", **token_for(org.rita)).status_code == 404
    assert client.get(f"/api/imports/{job['id']}", **token_for(org.sam)).status_code == 404
    assert (
        client.get(f"/api/imports/{job['id']}", **token_for(org.dora)).status_code == 200
    )  # mona's director
    assert client.post(f"/api/imports/{job['id']}/check", **token_for(org.dora)).status_code == 403
    assert client.get(f"/api/imports/{job['id']}", **token_for(org.ada)).status_code == 200
    assert client.get("/api/imports", **token_for(org.sam)).json()["count"] == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"columns": {"no_such_field": "金额"}},
        {"columns": {"amount": "没有这一列"}},
        {"columns": {"amount": "", "name": "商机名称"}},  # a required field unmapped
        {"columns": {"amount": "金额", "name": "金额"}},  # one column, two fields
        {"values": {"stage": "not a map"}},
        {"on_duplicate": "explode"},
        {"encoding": "klingon"},
    ],
)
def test_a_bad_mapping_is_refused_and_changes_nothing(client, token_for, org, payload):
    mona = token_for(org.mona)
    job = _upload(client, mona, org).json()
    response = client.put(
        f"/api/imports/{job['id']}/mapping",
        {"version": job["version"], **payload},
        content_type="application/json",
        **mona,
    )
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]
    assert ImportJob.objects.get(pk=job["id"]).columns == job["columns"]


@pytest.mark.parametrize(
    "name,content",
    [
        ("x.exe", b"MZ..."),
        ("x.xlsx", b"not a zip at all"),
        ("x.csv", b""),
        ("x.csv", "金额\n".encode("utf-16-le")),
    ],
)
def test_a_bad_file_is_refused_with_a_message(client, token_for, org, name, content):
    response = client.post(
        "/api/imports",
        {"kind": "opportunities", "file": SimpleUploadedFile(name, content)},
        **token_for(org.mona),
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"]
    assert not ImportJob.objects.exists()


def test_a_file_that_breaks_off_midway_is_refused_and_nothing_is_stored(
    client, token_for, org, settings, tmp_path
):
    from pathlib import Path

    settings.MEDIA_ROOT = str(tmp_path / "media")  # this test's own: nothing stored in it

    # valid UTF-8 as far as the encoding is sniffed (64 KB), then bytes that are not
    body = "客户名称,金额\n".encode() + "甲方单位,1\n".encode() * 40000 + b"\xff\xfe\xfd,2\n"
    response = client.post(
        "/api/imports",
        {"kind": "accounts", "file": SimpleUploadedFile("断尾.csv", body)},
        **token_for(org.mona),
    )
    assert response.status_code == 422 and response.json()["detail"]
    assert not ImportJob.objects.exists()
    imports = Path(settings.MEDIA_ROOT) / "imports"
    assert not (imports.exists() and any(p.is_file() for p in imports.rglob("*")))
