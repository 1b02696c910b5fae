"""The one choice between a record's Chinese and English text (kadence.core.i18n)."""

from __future__ import annotations

import pytest
from django.utils import translation

from kadence.core.i18n import chinese_active, in_language


@pytest.mark.parametrize(
    ("language", "zh", "en", "shown"),
    [
        ("zh-hans", "华东大区", "East", "华东大区"),
        ("zh-hant", "华东大区", "East", "华东大区"),
        ("en", "华东大区", "East", "East"),
        ("en", "华东大区", "", "华东大区"),  # no English: the Chinese
        ("en", "华东大区", None, "华东大区"),
        ("zh-hans", None, "East", ""),
    ],
)
def test_in_language_picks_the_active_languages_text(language, zh, en, shown):
    with translation.override(language):
        assert in_language(zh, en) == shown


def test_without_an_active_language_the_sites_default_decides(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override(None):
        assert chinese_active()
    settings.LANGUAGE_CODE = "en"
    with translation.override(None):
        assert not chinese_active()
