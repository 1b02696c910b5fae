"""Post-redirect-get, as a page test checks it: a refused form never answers at its POST address."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.test import Client


def refused_post(
    client: Client, url: str, data: dict[str, Any], *, status: int, page: str | None = None
) -> HttpResponse:
    """POST `data` to `url` and check the refusal: a 303 to the form's page (`page`, by default `url`),
    whose next GET shows it with `status` (returned, to look at what it shows); a second GET shows the
    page clean (200, its form not bound to the refused input): the refusal is shown once."""
    response = client.post(url, data)
    assert response.status_code == 303, (response.status_code, response.content.decode()[:2000])
    assert response["Location"] == (page or url), response["Location"]
    shown = client.get(response["Location"])
    assert shown.status_code == status, (shown.status_code, shown.content.decode()[:2000])
    again = client.get(response["Location"])
    assert again.status_code == 200, again.status_code
    form = (again.context or {}).get("form")
    assert not getattr(form, "is_bound", False), "the refused input is shown once"
    return shown
