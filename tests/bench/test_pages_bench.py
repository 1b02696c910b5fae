"""bench/pages.py without gunicorn: its URL discovery, persona choice, in-process query count and table."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pages.py"


@pytest.fixture(scope="module")
def pages():
    spec = importlib.util.spec_from_file_location("bench_pages", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_discovery_finds_every_get_page_and_api_list(pages):
    targets, skipped = pages.discover()
    labels = {t.label for t in targets}
    # The main lists, pages with a record, reports, and the API lists with page_size=100.
    for label in (
        "/",
        "/pipeline/",
        "/opportunities/",
        "/accounts/",
        "/activities/",
        "/reports/stalled/",
        "/forecast/",
        "/opportunities/{opportunity}/",
        "/opportunities/{opportunity}/gates/",
        "/accounts/{account}/",
        "/activities/{activity}/edit/",
        "/api/opportunities",
        "/api/opportunities?page_size=100",
        "/api/opportunities/{opportunity}",
        "/api/activities?page_size=100",
        "/api/reports/funnel",
    ):
        assert label in labels, label
    # POST-only actions, sign-in pages, the admin and downloads are not requested.
    for label in (
        "/opportunities/{opportunity}/move/",
        "/logout/",
        "/login/",
        "/api/evidence/{evidence_id}/download",
        "/forecast/calibration/recompute/",
    ):
        assert label not in labels, label
    assert not any(t.label.startswith("/admin/") for t in targets)
    assert len(labels) == len(targets)
    only, _ = pages.discover("^/api/opportunities")
    assert only and all(t.label.startswith("/api/opportunities") for t in only)
    assert skipped == []  # every path argument has a representative record


def test_allowed_methods_reads_the_decorators(pages):
    from kadence.core.views import LogoutView
    from kadence.pipeline import views

    assert pages.allowed_methods(views.opportunity_list) == {"GET"}
    assert pages.allowed_methods(views.opportunity_move) == {"POST"}
    assert pages.allowed_methods(views.opportunity_create) == {"GET", "POST"}
    assert "GET" not in pages.allowed_methods(LogoutView.as_view())


def test_personas_records_and_query_counts(pages, org):
    users, ids = pages.personas_and_records()
    assert {role: u.role for role, u in users.items()} == {
        "rep": "rep",
        "manager": "manager",
        "director": "director",
        "admin": "admin",
    }
    # The rep's manager and director lead the rep's team and region, and the deal is the rep's.
    rep = users["rep"]
    assert users["manager"].managed_units.filter(pk=rep.org_unit_id).exists()
    assert users["director"].managed_units.filter(pk=rep.org_unit.parent_id).exists()
    assert ids["opportunity"] in (org.opp.pk, org.sara_opp.pk)
    targets, _ = pages.discover(
        r"^/$|^/pipeline/$|^/opportunities/(\{opportunity\}/)?$|^/api/opportunities(\?page_size=100)?$"
    )
    for role in ("rep", "admin"):
        client = pages.Client(raise_request_exception=False)
        client.force_login(users[role])
        for target in targets:
            status, queries = pages.count_queries(client, target.url(ids))
            assert status == 200, (role, target.label, status)
            assert queries > 0


def test_render_table_flags_the_targets(pages, monkeypatch):
    monkeypatch.setattr(pages, "REPEAT", 7)
    fast = pages.Row("/", "rep", Counter({200: 8}), [10.0, 12.0, 11.0], queries=9, floor_ms=1.5)
    slow = pages.Row(
        "/pipeline/",
        "admin",
        Counter({200: 6, 500: 1}),
        [140.0, 160.0, 1200.0],
        queries=18,
        rps=3.5,
        conc_p95=900,
    )
    table = pages.render_table([fast, slow])
    lines = table.splitlines()
    assert lines[0].startswith("| what | persona | status | median ms | p95 ms | queries | floor ms |")
    assert lines[2] == "| `/` | rep | 200 | 11.0 (n=3) | 12.0 | 9 | 1.5 |  |  |  |"
    assert "**HTTP 500**" in lines[3] and "**median≥150**" in lines[3]
    assert "**p95≥300**" in lines[3] and "**>1 s**" in lines[3] and "| 3.5 | 900 |" in lines[3]
    assert "median ≥ 150 ms: 1" in pages.summary([fast, slow])
    assert pages.p95([float(n) for n in range(1, 8)]) == 7.0
    assert pages.p95([float(n) for n in range(1, 101)]) == 95.0
