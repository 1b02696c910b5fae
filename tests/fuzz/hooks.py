"""Schemathesis hooks for the API fuzzing step (tests/fuzz/run.py loads them through
SCHEMATHESIS_HOOKS): the check that every error answer is the API's JSON error body."""

from __future__ import annotations

import json

import schemathesis


@schemathesis.check
def errors_are_json(ctx, response, case):
    """Every 4xx/5xx answer is JSON {"detail": str, "code": str, ...}, documented or not."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/json"):
        raise AssertionError(
            f"{response.status_code} answered {content_type or 'no content type'}, not JSON: "
            f"{response.content[:200]!r}"
        )
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} body is not JSON: {response.content[:200]!r}") from exc
    if not (
        isinstance(body, dict) and isinstance(body.get("detail"), str) and isinstance(body.get("code"), str)
    ):
        raise AssertionError(f"{response.status_code} body lacks detail/code: {response.content[:200]!r}")
    return None
