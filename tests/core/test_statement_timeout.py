"""No statement of a web request runs unbounded: PostgreSQL cancels it at the web time limit and the
request answers 503 too_slow (JSON under /api/, the error page elsewhere), never a 500 or a killed worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from kadence.pipeline import selectors

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")


@pytest.fixture
def slow_list(monkeypatch):
    """The opportunity list runs into the time limit (1 ms here) the way a web worker's statement does
    (in autocommit: a savepoint stands for the statement's own transaction inside the test's)."""

    def cancelled(*args, **kwargs):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")

    monkeypatch.setattr(selectors, "opportunity_list", cancelled)


@postgres_only
def test_a_cancelled_statement_is_a_503_json_in_the_api(org, client, token_for, slow_list):
    response = client.get("/api/opportunities", HTTP_ACCEPT_LANGUAGE="en", **token_for(org.rita))
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "too_slow" and "Narrow the scope" in body["detail"]


@postgres_only
def test_a_cancelled_statement_is_the_503_error_page(org, client, slow_list):
    client.force_login(org.rita)
    response = client.get("/opportunities/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert "Narrow the scope" in response.content.decode()


def settings_in(env: dict[str, str], *, web: bool = False) -> dict:
    code = (
        ("import config.wsgi; " if web else "import django; django.setup(); ")
        + "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KADENCE_WEB_PROCESS", "KADENCE_STATEMENT_TIMEOUT_MS")
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_only_web_workers_get_the_time_limit():
    pg = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/none"}
    assert "statement_timeout=20000" in settings_in(pg, web=True)["options"]  # gunicorn loads config.wsgi
    assert "statement_timeout" not in settings_in(pg)["options"]  # commands and the worker: no limit
    off = settings_in({**pg, "KADENCE_WEB_PROCESS": "1", "KADENCE_STATEMENT_TIMEOUT_MS": "0"})
    assert "statement_timeout" not in off["options"]
    assert (
        "statement_timeout=5000"
        in settings_in({**pg, "KADENCE_WEB_PROCESS": "1", "KADENCE_STATEMENT_TIMEOUT_MS": "5000"})["options"]
    )
