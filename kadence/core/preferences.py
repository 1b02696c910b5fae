"""A user's own preferences: the language of the pages and the unit amounts are shown in. The page is
kadence.core.views.preferences, its form kadence.core.forms.PreferencesForm; the admin edits the same
fields on the user."""

from __future__ import annotations

from django.conf import settings

from kadence.core.amounts import AmountUnit
from kadence.core.models import User


def user_preferences_update(user: User, *, language: str, amount_unit: str) -> User:
    """Keep the signed-in user's own preferences (no one else's: the admin edits those). Only the two
    fields are written, so a concurrent change of the user's role or unit is not overwritten."""
    if language not in ("", *dict(settings.LANGUAGES)):
        raise ValueError(f"unknown language {language!r}")
    if amount_unit not in AmountUnit.values:
        raise ValueError(f"unknown amount unit {amount_unit!r}")
    user.language, user.amount_unit = language, amount_unit
    user.save(update_fields=["language", "amount_unit"])
    return user
