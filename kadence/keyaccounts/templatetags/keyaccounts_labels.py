"""Labels of the codes a plan's data snapshot keeps (buying roles, attitude, influence): the snapshot stores
codes, language-neutral, and each reader sees them in their own language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from kadence.accounts.models import Contact

register = template.Library()

ROLES = dict(Contact.BuyingRole.choices)
ATTITUDES = dict(Contact.Attitude.choices)
INFLUENCES = dict(Contact.Influence.choices)


@register.filter
def role_labels(codes: Any) -> str:
    """Buying-role codes → their labels, joined (an unknown code shown as it is)."""
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(str(ROLES.get(code, code)) for code in codes or [])


@register.filter
def attitude_label(code: Any) -> str:
    return str(ATTITUDES.get(code, code or ""))


@register.filter
def influence_label(code: Any) -> str:
    return str(INFLUENCES.get(code, code or ""))
