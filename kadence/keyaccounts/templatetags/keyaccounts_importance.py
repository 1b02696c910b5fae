"""The account page's key-account panel: importance score, type, KAM stage, last CSI (two queries)."""

from __future__ import annotations

from typing import Any

from django import template

from kadence.keyaccounts.importance.models import AccountImportance
from kadence.keyaccounts.kam.models import AccountKam

register = template.Library()


@register.simple_tag
def importance_panel(account: Any) -> dict[str, Any]:
    importance = AccountImportance.objects.filter(pk=account.pk).first()
    kam = AccountKam.objects.filter(pk=account.pk).select_related("stage").first()
    return {"importance": importance, "kam": kam}
