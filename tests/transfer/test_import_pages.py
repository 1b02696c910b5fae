"""The import pages: upload, mapping, preview, check, problems and bad rows, import, undo, the status panel
that the page polls while the worker runs; only managers, directors and admins import."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from kadence.pipeline.models import Opportunity
from kadence.transfer.models import ImportJob
from kadence.transfer.tasks import execute
from tests.transfer.test_import import _deals_file

pytestmark = pytest.mark.django_db


def _mapping_post(job: ImportJob, **changes) -> dict:
    data = {"version": job.version, "on_duplicate": job.on_duplicate, "encoding": job.encoding}
    data.update({f"col_{k}": h for k, h in job.columns.items()})
    if job.skip_invalid:
        data["skip_invalid"] = "on"
    data.update(changes)
    return data


def test_a_manager_imports_through_the_pages(client, org):
    client.force_login(org.mona)
    page = client.get("/imports/")
    assert page.status_code == 200 and 'data-testid="nav-imports"' in page.content.decode()
    response = client.post("/imports/", {"kind": "opportunities", "file": _deals_file(org), "encoding": ""})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "商机.csv" in detail and "GB18030" in detail and 'data-testid="import-mapping"' in detail
    preview = client.get(f"/imports/{job.pk}/preview").content.decode()
    assert "1,200,000.00" in preview and "nobody" in preview

    # map the unknown owner in the value map, skip bad rows
    response = client.post(
        f"/imports/{job.pk}/", _mapping_post(job, map_owner="nobody = tom", skip_invalid="on")
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.values["owner"] == {"nobody": "tom"} and job.skip_invalid

    assert client.post(f"/imports/{job.pk}/check").status_code == 302
    status = client.get(f"/imports/{job.pk}/status")
    assert 'hx-trigger="every 1s"' in status.content.decode()
    execute(job.pk, "check")
    finished = client.get(f"/imports/{job.pk}/status", {"running": "1"})
    assert finished["HX-Refresh"] == "true"
    detail = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-problems"' in detail and "很多" in detail
    bad = load_workbook(
        io.BytesIO(b"".join(client.get(f"/imports/{job.pk}/bad-rows.xlsx").streaming_content))
    ).active
    assert [r[0] for r in bad.iter_rows(min_row=2, values_only=True)] == ["X-4"]

    assert client.post(f"/imports/{job.pk}/commit").status_code == 302
    execute(job.pk, "commit")
    assert Opportunity.objects.filter(external_id__startswith="X-").count() == 3
    detail = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-undo"' in detail
    client.post(f"/imports/{job.pk}/undo")
    execute(job.pk, "undo")
    assert not Opportunity.objects.filter(external_id__startswith="X-").exists()


def test_a_bad_mapping_comes_back_on_the_page_with_the_message(client, org):
    client.force_login(org.mona)
    client.post("/imports/", {"kind": "opportunities", "file": _deals_file(org)})
    job = ImportJob.objects.get()
    response = client.post(f"/imports/{job.pk}/", _mapping_post(job, col_amount="", col_name="商机名称"))
    assert response.status_code == 303
    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 422 and "金额" in page.content.decode()
    assert ImportJob.objects.get().columns == job.columns


def test_a_failed_upload_says_why(client, org):
    client.force_login(org.mona)
    response = client.post("/imports/", {"kind": "opportunities", "file": io.BytesIO(b"MZ")})
    assert response.status_code == 303
    assert client.get("/imports/").status_code == 422


def test_reps_do_not_import_and_see_no_link(client, org):
    client.force_login(org.rita)
    assert client.get("/imports/").status_code == 403
    assert "nav-imports" not in client.get("/").content.decode()
