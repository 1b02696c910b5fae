"""Deployment checks (`manage.py check --deploy`): what a production server needs beyond Django's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from kadence.core.caching import cache_problem


def caches_reachable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every configured cache answers (e.g. Redis at REDIS_URL is running, reachable, and the `redis`
    package is installed): a deployment should not start with a cache it cannot reach."""
    errors: list[checks.CheckMessage] = []
    for alias, config in settings.CACHES.items():
        problem = cache_problem(alias)
        if problem:
            errors.append(
                checks.Error(
                    f"The cache {alias!r} ({config.get('BACKEND')}) cannot be reached: {problem}",
                    hint="Start Redis, or correct REDIS_URL (or unset it to use a per-process memory cache).",
                    id="kadence.E001",
                )
            )
    return errors
