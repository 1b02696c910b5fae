"""Our revenue from an account over a window — the one definition every key-account figure uses (SOW, RAD,
ABC, importance, the five types, platforms, account plans): the amounts of the deals won with a close date
inside the window, [start, end] inclusive, summed per account."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from kadence.pipeline.models import Opportunity


def won_revenue(account_ids: Iterable[int] | None, start: date, end: date) -> dict[int, Decimal]:
    """{account id: won amount} for the accounts given (all when None) over [start, end]; accounts with
    nothing won are absent."""
    qs = won_by_account(start, end)
    if account_ids is not None:
        qs = qs.filter(account_id__in=list(account_ids))
    return {row["account_id"]: row["total"] for row in qs}


def won_by_account(start: date, end: date) -> QuerySet:
    """The same definition as rows {account_id, total, deals} (deals: how many were won), for set-based
    computations that join it as a subquery (the RAD and ABC computes)."""
    return (
        Opportunity.objects.filter(status=Opportunity.Status.WON, closed_on__gte=start, closed_on__lte=end)
        .values("account_id")
        .order_by()
        .annotate(total=Sum("amount"), deals=Count("id"))
    )
