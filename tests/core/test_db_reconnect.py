"""A database that drops its connections (a restart, a failover, an idle timeout, an operator's
pg_terminate_backend) costs each worker one reconnect, not one 500: kept connections are checked
before a request reuses them (CONN_HEALTH_CHECKS)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from kadence.core.models import ApiToken

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates a PostgreSQL backend")


def get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_settings_check_kept_connections_before_reuse():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


APP_NAME = "kadence-reconnect-test"  # the server's connections, told apart from the test's own and others'


@pytest.fixture
def server(django_db_serialized_rollback, transactional_db):
    """gunicorn (one sync worker, as in production) on the test database; its worker keeps its
    connection between requests (CONN_MAX_AGE)."""
    port = free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}?application_name={APP_NAME}",
        "DB_CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(300):
            if process.poll() is not None:
                pytest.fail(process.stderr.read().decode()[-2000:])
            try:
                get(f"{url}/healthz", {})
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


# Committed data (the server reads it from its own connection); the rows the migrations ship are put
# back afterwards, as the other transactional tests expect (serialized rollback).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_terminated_backend_costs_the_next_request_no_500(server, org):
    _row, token = ApiToken.issue(org.rita, "reconnect")
    headers = {"Authorization": f"Bearer {token}"}
    assert get(f"{server}/api/users/me", headers)[0] == 200  # the worker now keeps a connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        )
        terminated = cursor.fetchone()[0]
    assert terminated == 1  # the worker's kept connection is gone

    status, body = get(f"{server}/api/users/me", headers)
    assert status == 200, body[:500]
    assert json.loads(body)["username"] == "rita"
