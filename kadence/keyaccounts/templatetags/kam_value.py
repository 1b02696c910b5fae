"""The account page's value card: `{% kam_account_value account %}` (loaded by keyaccounts/value/_account_value.html,
the one line the account page includes)."""

from __future__ import annotations

from typing import Any

from django import template

from kadence.core.errors import DomainError
from kadence.keyaccounts.value import selectors

register = template.Library()


@register.inclusion_tag("keyaccounts/value/_account_value_card.html", takes_context=True)
def kam_account_value(context: Any, account: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if account is None or user is None or not user.is_authenticated:
        return {"v": None}
    try:
        value = selectors.account_value(user, account.pk, selectors.this_year())
    except DomainError:
        value = None
    return {"v": value, "request": request, "csrf_token": context.get("csrf_token")}
