"""Every page URL, for tests that must not forget a page added later."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver, reverse

NOT_PAGES = ("admin/", "api/", "i18n/")
NOT_VISITED = ("logout", "set_language_pref", "javascript-catalog", "healthz")


def page_urls(ids: dict[str, int]) -> list[str]:
    """Every named page (not the API, the admin or the language switches) whose URL parameters `ids`
    fills, e.g. {"pk": <opportunity id>, "account_id": ...}."""
    urls: list[str] = []

    def walk(resolver: URLResolver) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace is None and str(pattern.pattern) not in NOT_PAGES:
                    walk(pattern)
            elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in NOT_VISITED:
                params = set(pattern.pattern.regex.groupindex)
                if params <= set(ids):
                    urls.append(reverse(pattern.name, kwargs={p: ids[p] for p in params}))

    walk(get_resolver())
    return urls
