"""Accounts and contacts over the API: parse, call the selector or service, render."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router
from ninja.responses import Status, codes_4xx

from kadence.accounts import selectors, services
from kadence.accounts.duplicates import find_duplicates
from kadence.accounts.models import Account, Contact, Industry
from kadence.accounts.schemas import (
    AccountDetailOut,
    AccountDuplicateOut,
    AccountDuplicateQuery,
    AccountIn,
    AccountOut,
    AccountPatch,
    AccountQuery,
    ContactIn,
    ContactOut,
    ContactPatch,
    ContactQuery,
    IndustryOut,
)
from kadence.core.api import ApiRequest
from kadence.core.schemas import ErrorOut, IdPath, PageOut, page_out

router = Router(tags=["accounts"])
catalog_router = Router(tags=["configuration"])

AccountId = IdPath
ContactId = IdPath


@router.get("/accounts", response={200: PageOut[AccountOut], codes_4xx: ErrorOut})
def list_accounts(request: ApiRequest, query: Query[AccountQuery]) -> dict[str, Any]:
    """Accounts you may see, filtered and sorted; `count` counts only those."""
    page = selectors.account_list(
        request.auth,
        query.filters(),
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
        cursor=query.cursor,
    )
    return page_out(page)


@router.get("/accounts/duplicates", response={200: list[AccountDuplicateOut], codes_4xx: ErrorOut})
def account_duplicates(request: ApiRequest, query: Query[AccountDuplicateQuery]) -> Any:
    """Existing accounts a new one may duplicate: the same unified social credit code, or a similar name
    (legal-form words, spaces and punctuation ignored), best first."""
    return find_duplicates(query.name, query.credit_code)


@router.get("/accounts/{account_id}", response={200: AccountDetailOut, codes_4xx: ErrorOut})
def get_account(request: ApiRequest, account_id: AccountId) -> Account:
    """One account, with what you may do to it."""
    return selectors.account_detail(request.auth, account_id)


@router.post("/accounts", response={201: AccountDetailOut, codes_4xx: ErrorOut})
def create_account(request: ApiRequest, payload: AccountIn) -> Status[Account]:
    """Create an account (owned by you unless `owner_id` names someone in your scope). One with the
    unified social credit code of an existing account answers 409 `duplicate_account` (listing them)
    unless `confirm_duplicate` is true."""
    values = payload.dict(exclude={"owner_id", "confirm_duplicate"})
    account = services.account_create(
        request.auth, owner_id=payload.owner_id, confirm_duplicate=payload.confirm_duplicate, **values
    )
    return Status(201, selectors.account_detail(request.auth, account.pk))


@router.patch("/accounts/{account_id}", response={200: AccountDetailOut, codes_4xx: ErrorOut})
def update_account(request: ApiRequest, account_id: AccountId, payload: AccountPatch) -> Account:
    """Change the fields sent. `version` must be the one you read (409 `conflict` otherwise)."""
    services.account_update(
        request.auth,
        account_id,
        version=payload.version,
        reason=payload.reason,
        **payload.changes("version", "reason"),
    )
    return selectors.account_detail(request.auth, account_id)


@router.get("/contacts", response={200: PageOut[ContactOut], codes_4xx: ErrorOut})
def list_contacts(request: ApiRequest, query: Query[ContactQuery]) -> dict[str, Any]:
    """Contacts at the accounts you may see."""
    page = selectors.contact_list(
        request.auth,
        account_id=query.account_id,
        q=query.q,
        page=query.page,
        page_size=query.page_size,
        cursor=query.cursor,
    )
    return page_out(page)


@router.get("/contacts/{contact_id}", response={200: ContactOut, codes_4xx: ErrorOut})
def get_contact(request: ApiRequest, contact_id: ContactId) -> Contact:
    """One contact with their personal profile and buying roles."""
    return selectors.contact_detail(request.auth, contact_id)


@router.post("/contacts", response={201: ContactOut, codes_4xx: ErrorOut})
def create_contact(request: ApiRequest, payload: ContactIn) -> Status[Contact]:
    """Add a contact to an account (its writers and the owners of its opportunities may)."""
    values = payload.dict(exclude={"account_id"})
    contact = services.contact_create(request.auth, account_id=payload.account_id, **values)
    return Status(201, selectors.contact_detail(request.auth, contact.pk))


@router.patch("/contacts/{contact_id}", response={200: ContactOut, codes_4xx: ErrorOut})
def update_contact(request: ApiRequest, contact_id: ContactId, payload: ContactPatch) -> Contact:
    """Change the fields sent. `version` must be the one you read (409 `conflict` otherwise)."""
    services.contact_update(request.auth, contact_id, version=payload.version, **payload.changes("version"))
    return selectors.contact_detail(request.auth, contact_id)


@catalog_router.get("/industries", response={200: list[IndustryOut], codes_4xx: ErrorOut})
def list_industries(request: ApiRequest) -> Any:
    """Industries accounts belong to."""
    return Industry.objects.order_by("order", "code")
