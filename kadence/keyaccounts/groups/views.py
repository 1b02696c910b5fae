"""Account group pages (issue 15 §1, §9):

- /key-accounts/groups/ — the groups you may see (accounts heading a tree), paginated;
- /key-accounts/groups/<id>/ — a group: its tree with each account's own figures and its subtree's
  totals, a chart of the top's direct children, ?format=xlsx|csv;
- /key-accounts/groups/<id>/panel/ — the panel the account page loads (htmx): the tree, the group's totals
  and the account's collaborators;
- /key-accounts/accounts/<id>/members/ (POST), …/members/<mid>/remove/ (POST) — collaborators;
- /key-accounts/accounts/<id>/merge/ — choose a duplicate, see what moves, confirm (POST)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.accounts.duplicates import find_duplicates
from kadence.accounts.models import AccountMember
from kadence.core.errors import DomainError
from kadence.core.export import Column, report_format, report_response
from kadence.core.prg import action_post, pop_failed_post, refuse, saved
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_int
from kadence.core.visibility import (
    access_account,
    assignable_users,
    can_manage_account_members,
    can_merge_accounts,
    visible_accounts,
)
from kadence.keyaccounts.groups import selectors, services

PAGE_SIZE = 50


def _year(request: PageRequest) -> int | None:
    return parse_int(request.GET.get("year"), low=2000, high=2100)


@login_required
@require_GET
def group_list(request: PageRequest) -> HttpResponse:
    q = (request.GET.get("q") or "")[:200]
    page = Paginator(selectors.group_tops(request.user, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "keyaccounts/groups/list.html", {"section": "keyaccounts", "page": page, "q": q})


def group_export(tree: selectors.GroupTree, fmt: str) -> HttpResponse:
    rows = [
        [
            n.depth,
            ("  " * n.depth) + n.name,
            n.owner,
            n.own.open_count,
            n.own.open_amount,
            n.own.won_count,
            n.own.won_amount,
            n.own.buying_power,
            n.total.accounts,
            n.total.open_count,
            n.total.open_amount,
            n.total.won_count,
            n.total.won_amount,
            n.total.buying_power,
        ]
        for n in tree.nodes
    ]
    return report_response(
        fmt,
        f"group-{tree.top.id}-{tree.year}",
        [
            (
                _("Group"),
                [
                    Column(_("Level"), kind="number"),
                    Column(_("Account"), width=40),
                    _("Owner"),
                    Column(_("Open deals"), kind="number"),
                    Column(_("Open pipeline"), kind="money"),
                    Column(_("Won deals"), kind="number"),
                    Column(_("Won revenue"), kind="money"),
                    Column(_("Buying power"), kind="money"),
                    Column(_("Accounts in subtree"), kind="number"),
                    Column(_("Subtree open deals"), kind="number"),
                    Column(_("Subtree open pipeline"), kind="money"),
                    Column(_("Subtree won deals"), kind="number"),
                    Column(_("Subtree won revenue"), kind="money"),
                    Column(_("Subtree buying power"), kind="money"),
                ],
                rows,
            )
        ],
    )


@login_required
@require_GET
def group_page(request: PageRequest, account_id: int) -> HttpResponse:
    tree = selectors.group_tree(request.user, account_id, year=_year(request))
    if fmt := report_format(request):
        return group_export(tree, fmt)
    children = tree.top.children
    names = [c.name for c in children]
    figure = {
        "data": [
            {
                "type": "bar",
                "name": _("Won revenue"),
                "x": names,
                "y": [float(c.total.won_amount) for c in children],
            },
            {
                "type": "bar",
                "name": _("Open pipeline"),
                "x": names,
                "y": [float(c.total.open_amount) for c in children],
            },
            {
                "type": "bar",
                "name": _("Buying power"),
                "x": names,
                "y": [float(c.total.buying_power) for c in children],
            },
        ],
        "layout": {"barmode": "group", "height": 320, "yaxis": {"tickformat": ",.0f"}},
    }
    return render(
        request,
        "keyaccounts/groups/group.html",
        {"section": "keyaccounts", "tree": tree, "figure": figure, "year": tree.year},
    )


@login_required
@require_GET
def group_panel(request: PageRequest, account_id: int) -> HttpResponse:
    """The account page's group panel (loaded by htmx): tree, totals, collaborators."""
    tree = selectors.group_tree(request.user, account_id, year=_year(request))
    account = access_account(request.user, account_id, related=("owner",))
    can_manage = can_manage_account_members(request.user, account)
    context: dict[str, Any] = {
        "tree": tree,
        "account": account,
        "members": selectors.members_of(account),
        "can_manage": can_manage,
        "can_merge": can_merge_accounts(request.user, account, account),
        "access_choices": AccountMember.Access.choices,
        "candidates": assignable_users(request.user)
        .exclude(pk=account.owner_id)
        .order_by("display_name", "username")[:200]
        if can_manage
        else [],
    }
    return render(request, "keyaccounts/groups/_panel.html", context)


def _account_url(account_id: int) -> str:
    return reverse("account_detail", args=[account_id]) + "#group"


@login_required
@require_POST
def member_add(request: PageRequest, account_id: int) -> HttpResponse:
    user_id = id_param(request.POST.get("user_id"))
    return action_post(
        request,
        lambda: services.member_add(
            request.user,
            account_id,
            user_id=user_id or 0,
            access=request.POST.get("access") or "read",
            role=request.POST.get("role") or "",
        ),
        back=_account_url(account_id),
        done=_("Collaborator saved."),
    )


@login_required
@require_POST
def member_remove(request: PageRequest, account_id: int, member_id: int) -> HttpResponse:
    return action_post(
        request,
        lambda: services.member_remove(request.user, account_id, member_id),
        back=_account_url(account_id),
        done=_("Collaborator removed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def merge_page(request: PageRequest, account_id: int) -> HttpResponse:
    """Merge a duplicate into this account: choose it (the likely duplicates are offered), see what moves,
    confirm."""
    survivor = access_account(request.user, account_id)
    back = reverse("keyaccounts_merge", args=[account_id])
    if request.method == "POST":
        posted_id = id_param(request.POST.get("merged_id")) or 0
        try:
            services.merge_accounts(
                request.user,
                survivor.pk,
                posted_id,
                survivor_version=parse_int(request.POST.get("survivor_version"), low=1, high=2**31 - 1),
                merged_version=parse_int(request.POST.get("merged_version"), low=1, high=2**31 - 1),
                reason=request.POST.get("reason") or "",
            )
        except DomainError as exc:
            return refuse(request, f"{back}?merged={posted_id}", exc)
        return saved(request, _("Accounts merged."), reverse("account_detail", args=[survivor.pk]))
    merged_id = id_param(request.GET.get("merged"))
    preview, error, status = None, None, 200
    if (failed := pop_failed_post(request)) is not None:
        error, status = failed.error.detail, failed.error.status
    if merged_id:
        try:
            preview = services.merge_preview(request.user, survivor.pk, merged_id)
        except DomainError as exc:
            error = exc.detail
    visible = visible_accounts(request.user)
    candidates = [
        d
        for d in find_duplicates(survivor.name, survivor.credit_code, exclude_id=survivor.pk)
        if visible.filter(pk=d.id).exists()
    ]
    return render(
        request,
        "keyaccounts/groups/merge.html",
        {
            "section": "keyaccounts",
            "survivor": survivor,
            "candidates": candidates,
            "preview": preview,
            "error": error,
            "merged_id": merged_id,
        },
        status=status,
    )
