"""Security headers (issue 8 §4): every answer that shows customer data says `Cache-Control: private,
no-store`; every page sends a Content-Security-Policy that forbids inline script, and no template
carries inline script (a <script> block or an on* attribute) that the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kadence.deals.services import gates

TEMPLATES = Path(__file__).resolve().parents[2] / "kadence"


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


def csp(response) -> dict[str, list[str]]:
    policy = {}
    for part in response.get("Content-Security-Policy", "").split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


@pytest.fixture
def evidence(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return gates.evidence_add(
        org.rita,
        org.opp.pk,
        title="纪要",
        upload=SimpleUploadedFile("m.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/pipeline/",
        "/opportunities/",
        "/reports/funnel/",
        "/reports/analysis/?format=xlsx",
        "/forecast/",
    ],
)
def test_pages_and_exports_are_not_stored(org, login, url):
    response = login(org.rita).get(url)
    assert response.status_code == 200, url
    assert no_store(response), (url, response.get("Cache-Control"))


def test_opportunity_page_is_not_stored(org, login):
    assert no_store(login(org.rita).get(reverse("opportunity_detail", args=[org.opp.pk])))


@pytest.mark.parametrize("url", ["/api/opportunities", "/api/users/me", "/api/reports/funnel"])
def test_api_answers_are_not_stored(org, client, token_for, url):
    response = client.get(url, **token_for(org.rita))
    assert response.status_code == 200, url
    assert no_store(response), (url, response.get("Cache-Control"))


def test_api_evidence_download_is_not_stored(org, client, token_for, evidence):
    response = client.get(f"/api/evidence/{evidence.pk}/download", **token_for(org.rita))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4"
    assert no_store(response), response.get("Cache-Control")


def test_page_evidence_download_is_not_stored(org, login, evidence):
    response = login(org.rita).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 200 and no_store(response)


def test_errors_are_not_stored(org, client, token_for):
    assert no_store(client.get("/api/opportunities/999999", **token_for(org.rita)))
    assert no_store(client.get("/api/opportunities"))  # 401


@pytest.mark.parametrize(
    "url", ["/login/", "/password/reset/", "/", "/pipeline/", "/reports/funnel/", "/admin/", "/api/docs"]
)
def test_pages_send_a_policy_without_inline_script(org, client, url):
    if url not in ("/login/", "/password/reset/"):
        client.force_login(org.ada)
    response = client.get(url)
    assert response.status_code == 200, url
    policy = csp(response)
    assert policy.get("script-src") == ["'self'"], response.get("Content-Security-Policy")
    assert policy.get("object-src") == ["'none'"] and policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("default-src") == ["'self'"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.IGNORECASE)
HTMX_ON = re.compile(r"""\shx-on[:-]""", re.IGNORECASE)


def test_no_template_has_inline_script():
    offenders = []
    for path in sorted(TEMPLATES.rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, HTMX_ON):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert offenders == []


def test_security_headers_come_right_after_whitenoise():
    """Static files are served before the middleware: no no-store on them (they carry no customer data)."""
    from django.conf import settings

    assert (
        settings.MIDDLEWARE.index("kadence.core.middleware.SecurityHeadersMiddleware")
        == settings.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
    )
