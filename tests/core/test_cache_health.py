"""The cache (Redis when REDIS_URL is set): the `redis` package is installed, `/healthz` and
`check --deploy` report a cache they cannot reach, and the one cached read (the slip history of the
probabilistic forecast) still answers while the cache is down."""

from __future__ import annotations

import os
import socket

import pytest
from django.core import checks
from django.core.cache import caches

REAL_REDIS = os.environ.get("KADENCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


def redis_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable_redis(settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port()}/3")


@pytest.fixture
def real_redis(settings):
    """Redis at KADENCE_TEST_REDIS_URL (CI's machine runs one); emptied before and after."""
    host_port = REAL_REDIS.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        pytest.skip(f"no Redis server at {REAL_REDIS}")
    settings.CACHES = redis_cache(REAL_REDIS)
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


def deploy_cache_errors() -> list:
    return [
        m
        for m in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.caches])
        if m.id == "kadence.E001"
    ]


def test_healthz_reports_a_cache_it_cannot_reach(client, db, unreachable_redis):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() | {"vendor": None} == {
        "status": "error",
        "database": "up",
        "cache": "down",
        "vendor": None,
    }


def test_check_deploy_reports_a_cache_it_cannot_reach(db, unreachable_redis):
    errors = deploy_cache_errors()
    assert len(errors) == 1 and "ConnectionError" in errors[0].msg and errors[0].level == checks.ERROR


def test_the_probabilistic_forecast_answers_while_the_cache_is_down(
    org, token_for, client, unreachable_redis
):
    response = client.get("/api/forecast/probabilistic?trials=200&seed=1", **token_for(org.rita))
    assert response.status_code == 200, response.content[:300]


def test_with_a_real_redis_healthz_and_check_deploy_are_clean(client, db, real_redis):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["cache"] == "up"
    assert deploy_cache_errors() == []


def test_with_a_real_redis_the_probabilistic_forecast_caches_its_slip_history(
    org, token_for, client, real_redis
):
    response = client.get("/api/forecast/probabilistic?trials=200&seed=1", **token_for(org.rita))
    assert response.status_code == 200, response.content[:300]
    assert any(key.startswith(b":1:kadence:slips:") for key in real_redis._cache.get_client().keys("*"))
