"""Account groups over the API (issue 15 §1, §9):

- GET /api/key-accounts/groups/{account_id}?year= — the group the account belongs to, as a tree of the
  accounts you may see, each with its own figures and its subtree's totals (open pipeline, won revenue
  of the year, deal counts, buying power); `totals_cover_visible_only` says the totals leave out the
  `hidden` accounts you may not see;
- GET/POST /api/key-accounts/accounts/{account_id}/members, DELETE …/members/{member_id} — the
  account's collaborators (read or write access; the owner or a manager over the account changes them);
- GET /api/key-accounts/merge/preview?survivor_id=&merged_id= — what a merge would move;
- POST /api/key-accounts/merge — merge a duplicate into the account that stays (`*_version` as read).

An account's parent is set with PATCH /api/accounts/{id} (`parent_id`); duplicates of a new account are
listed by GET /api/accounts/duplicates. Money is a decimal string."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.responses import Status, codes_4xx

from kadence.core.api import ApiRequest
from kadence.core.schemas import Clean, ErrorOut, Id, IdPath, In, Money, Reason, Version
from kadence.core.visibility import access_account
from kadence.keyaccounts.groups import selectors, services
from kadence.keyaccounts.groups.models import MergedAccount

router = Router(tags=["key accounts: groups"])
PREFIX = "/key-accounts"


class KamGroupFiguresOut(Schema):
    open_amount: Money
    open_count: int
    won_amount: Money
    won_count: int
    buying_power: Money
    accounts: int


class KamGroupNodeOut(Schema):
    id: int
    name: str
    parent_id: int | None
    depth: int
    status: str
    owner: str
    own: KamGroupFiguresOut
    total: KamGroupFiguresOut


class KamGroupTreeOut(Schema):
    account_id: int
    top_id: int
    year: int
    ancestors: list[int]
    nodes: list[KamGroupNodeOut] = Field(description="Depth first: each account followed by its subtree.")
    totals: KamGroupFiguresOut = Field(description="The group's totals (the top's subtree).")
    hidden: int = Field(description="Accounts of the group you may not see: neither listed nor counted.")
    totals_cover_visible_only: bool = True


class KamGroupYearQuery(Clean):
    year: int | None = Field(None, ge=2000, le=2100)


def _figures(f: selectors.Figures) -> dict[str, Any]:
    return f.as_dict()


def tree_out(tree: selectors.GroupTree) -> dict[str, Any]:
    return {
        "account_id": tree.focus_id,
        "top_id": tree.top.id,
        "year": tree.year,
        "ancestors": [pk for pk, _name in tree.ancestors],
        "nodes": [
            {
                "id": n.id,
                "name": n.name,
                "parent_id": n.parent_id,
                "depth": n.depth,
                "status": n.status,
                "owner": n.owner,
                "own": _figures(n.own),
                "total": _figures(n.total),
            }
            for n in tree.nodes
        ],
        "totals": _figures(tree.top.total),
        "hidden": tree.hidden,
        "totals_cover_visible_only": True,
    }


@router.get(f"{PREFIX}/groups/{{account_id}}", response={200: KamGroupTreeOut, codes_4xx: ErrorOut})
def group_tree(request: ApiRequest, account_id: IdPath, query: Query[KamGroupYearQuery]) -> dict[str, Any]:
    """The account's group tree with its roll-ups (only accounts you may see)."""
    return tree_out(selectors.group_tree(request.auth, account_id, year=query.year))


class KamAccountMemberOut(Schema):
    id: int
    user_id: int
    user: str
    access: str
    role: str
    added_by: str
    added_at: datetime


class KamAccountMemberIn(In):
    user_id: Id
    access: str = Field("read", pattern="^(read|write)$")
    role: str = Field("", max_length=100)


def member_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "user_id": m.user_id,
        "user": m.user.label,
        "access": m.access,
        "role": m.role,
        "added_by": m.added_by.label if m.added_by else "",
        "added_at": m.added_at,
    }


@router.get(
    f"{PREFIX}/accounts/{{account_id}}/members",
    response={200: list[KamAccountMemberOut], codes_4xx: ErrorOut},
)
def list_members(request: ApiRequest, account_id: IdPath) -> list[dict[str, Any]]:
    """The account's collaborators (whoever sees the account sees its team)."""
    account = access_account(request.auth, account_id)
    return [member_out(m) for m in selectors.members_of(account)]


@router.post(
    f"{PREFIX}/accounts/{{account_id}}/members", response={201: KamAccountMemberOut, codes_4xx: ErrorOut}
)
def add_member(
    request: ApiRequest, account_id: IdPath, payload: KamAccountMemberIn
) -> Status[dict[str, Any]]:
    """Add a collaborator, or change one's access (read: sees the account and its contacts; write: may
    also change it). The owner or a manager over the account."""
    member = services.member_add(
        request.auth, account_id, user_id=payload.user_id, access=payload.access, role=payload.role
    )
    member = type(member).objects.select_related("user", "added_by").get(pk=member.pk)
    return Status(201, member_out(member))


@router.delete(
    f"{PREFIX}/accounts/{{account_id}}/members/{{member_id}}", response={204: None, codes_4xx: ErrorOut}
)
def remove_member(request: ApiRequest, account_id: IdPath, member_id: IdPath) -> Status[None]:
    services.member_remove(request.auth, account_id, member_id)
    return Status(204, None)


class KamMergeQuery(Clean):
    survivor_id: Id
    merged_id: Id


class KamMergeMoveOut(Schema):
    label: str
    name: str
    rows: int


class KamMergePreviewOut(Schema):
    survivor_id: int
    survivor_name: str
    survivor_version: int
    merged_id: int
    merged_name: str
    merged_version: int
    moves: list[KamMergeMoveOut]


class KamMergeIn(In):
    survivor_id: Id
    merged_id: Id
    survivor_version: Version
    merged_version: Version
    reason: Reason = ""


class KamMergedAccountOut(Schema):
    id: int
    old_id: int
    old_name: str
    credit_code: str
    survivor_id: int
    merged_by_id: int | None
    merged_at: datetime
    reason: str
    moved: dict[str, int]


def preview_out(preview: dict[str, Any]) -> dict[str, Any]:
    s, m = preview["survivor"], preview["merged"]
    return {
        "survivor_id": s.pk,
        "survivor_name": s.name,
        "survivor_version": s.version,
        "merged_id": m.pk,
        "merged_name": m.name,
        "merged_version": m.version,
        "moves": preview["moves"],
    }


@router.get(f"{PREFIX}/merge/preview", response={200: KamMergePreviewOut, codes_4xx: ErrorOut})
def merge_preview(request: ApiRequest, query: Query[KamMergeQuery]) -> dict[str, Any]:
    """What merging `merged_id` into `survivor_id` would move (nothing changes)."""
    return preview_out(services.merge_preview(request.auth, query.survivor_id, query.merged_id))


@router.post(f"{PREFIX}/merge", response={201: KamMergedAccountOut, codes_4xx: ErrorOut})
def merge(request: ApiRequest, payload: KamMergeIn) -> Status[MergedAccount]:
    """Merge a duplicate into the account that stays: every related record moves, the duplicate's id,
    name and credit code are kept (MergedAccount) and both audit trails record it. An admin, or a manager
    over both; 409 when either version is stale."""
    record = services.merge_accounts(
        request.auth,
        payload.survivor_id,
        payload.merged_id,
        survivor_version=payload.survivor_version,
        merged_version=payload.merged_version,
        reason=payload.reason,
    )
    return Status(201, record)
