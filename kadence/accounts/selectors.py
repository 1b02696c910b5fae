"""Account and contact reads, all through core.visibility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from kadence.accounts.models import Account, Contact
from kadence.core.models import User
from kadence.core.pagination import Page, paginate
from kadence.core.validation import clean_search
from kadence.core.visibility import (
    access_account,
    access_contact,
    can_write_account,
    can_write_contacts_of,
    visible_accounts,
    visible_activities,
    visible_contacts,
    visible_opportunities,
)

SORTS = {
    "name": "name",
    "-name": "-name",
    "bp": "buying_power",
    "-bp": "-buying_power",
    "updated": "updated_at",
    "-updated": "-updated_at",
}


@dataclass
class AccountFilters:
    q: str = ""
    industry_id: int | None = None
    region_id: int | None = None
    owner_id: int | None = None
    status: str = ""


def account_list(
    user: User,
    f: AccountFilters | None = None,
    *,
    sort: str = "name",
    page: int = 1,
    page_size: int = 25,
    cursor: str | None = None,
) -> Page:
    qs = account_rows(user, f, sort=sort).select_related("industry", "region", "owner")
    return paginate(qs, page, page_size, cursor=cursor, keyset=True)


def account_rows(user: User, f: AccountFilters | None = None, *, sort: str = "name") -> QuerySet[Account]:
    """The accounts `user` may see, filtered and in the list's order (the list pages them, an export
    reads them all)."""
    f = f or AccountFilters()
    qs: QuerySet[Account] = visible_accounts(user)
    q = clean_search(f.q)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    for attr in ("industry_id", "region_id", "owner_id"):
        if getattr(f, attr):
            qs = qs.filter(**{attr: getattr(f, attr)})
    if f.status:
        qs = qs.filter(status=f.status)
    return qs.order_by(SORTS.get(sort, "name"), "id")


def account_detail(user: User, account_id: int) -> Account:
    account = access_account(user, account_id)
    return Account.objects.select_related("industry", "region", "owner", "team").get(pk=account.pk)


def account_360(user: User, account_id: int) -> dict[str, Any]:
    """The account page: the account, its contacts, the deals and activities the user may see,
    and deal totals from one aggregate."""
    account = account_detail(user, account_id)
    opps = visible_opportunities(user).filter(account=account).select_related("stage", "level", "owner")
    totals = opps.aggregate(
        open_count=Count("id", filter=Q(status="open")),
        open_amount=Sum("amount", filter=Q(status="open")),
        won_count=Count("id", filter=Q(status="won")),
        won_amount=Sum("amount", filter=Q(status="won")),
    )
    return {
        "account": account,
        "contacts": list(Contact.objects.filter(account=account).order_by("name")),
        "opportunities": list(opps.order_by("status", "-expected_close_date")[:100]),
        "activities": list(
            visible_activities(user)
            .filter(account=account)
            .select_related("owner", "opportunity")
            .prefetch_related("contacts")
            .order_by("-date", "-id")[:50]
        ),
        "totals": totals,
        "can_edit": can_write_account(user, account),
        "can_edit_contacts": can_write_contacts_of(user, account),
    }


def contact_list(
    user: User,
    *,
    account_id: int | None = None,
    q: str = "",
    page: int = 1,
    page_size: int = 25,
    cursor: str | None = None,
) -> Page:
    qs = contact_rows(user, account_id=account_id, q=q).select_related("account")
    return paginate(qs, page, page_size, cursor=cursor, keyset=True)


def contact_rows(user: User, *, account_id: int | None = None, q: str = "") -> QuerySet[Contact]:
    """The contacts `user` may see, filtered and in the list's order."""
    qs = visible_contacts(user)
    if account_id:
        qs = qs.filter(account_id=account_id)
    q = clean_search(q)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(title__icontains=q))
    return qs.order_by("account__name", "name", "id")


def contact_detail(user: User, contact_id: int) -> Contact:
    return access_contact(user, contact_id)
