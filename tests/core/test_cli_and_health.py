"""CLI commands and the health check."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kadence.core.models import ApiToken

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] == "up"


def test_healthz_refuses_post(client, db):
    assert client.post("/healthz").status_code == 405


def test_token_create_prints_a_working_token(org):
    out = io.StringIO()
    call_command("token", "create", "rita", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("kd_")
    row = ApiToken.objects.get(digest=ApiToken.hash(token))
    assert row.user == org.rita and not row.revoked
    call_command("token", "revoke", token[:8], stdout=io.StringIO())
    assert ApiToken.objects.get(pk=row.pk).revoked


def test_token_create_unknown_user_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("token", "create", "nobody", stdout=io.StringIO())


def test_console_script_runs_django_commands(tmp_path):
    """`kadence shell -c ...` works: the console script is Django's command line."""
    env = {
        **os.environ,
        "KADENCE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    code = "from kadence.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "shell", "-c", "print(6 * 7)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "42" in result.stdout


def test_unknown_page_gets_the_translated_404(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
