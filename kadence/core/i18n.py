"""The one choice between the Chinese and the English text of shipped, bilingual data (names of org
units, stages, industries, task standards…: `name_zh` / `name_en` and the like). Interface text is
translated by gettext; this is for data that carries both languages in its own columns."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language


def chinese_active() -> bool:
    """Whether the active language is Chinese (zh-hans, zh-hant…). With translations switched off
    (a migration), the site's default language (settings.LANGUAGE_CODE) decides."""
    return (get_language() or settings.LANGUAGE_CODE).lower().startswith("zh")


def in_language(zh: str | None, en: str | None) -> str:
    """`zh` when Chinese is active, else `en`; the Chinese text when the English one is empty (Chinese
    is always filled in: it is the language the data is written in)."""
    if chinese_active():
        return zh or ""
    return en or zh or ""
