"""Pages of the KAM stages and the CSI (issue 15 §7).

- /key-accounts/kam/ — the accounts of a scope by KAM stage (?unit_id=, ?owner_id=, ?stage=): counts as
  a chart, the accounts paginated; ?format=xlsx|csv;
- /key-accounts/kam/account/<id>/ — the account's stage with its work focus and checklist, the stage
  changes, the CSI surveys with the CSI over time (a chart); its writers change the stage (the version
  read: a stale one is a 409), tick items and record a survey (POST)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kadence.core.errors import DomainError
from kadence.core.export import Column, export_response, report_format
from kadence.core.pagination import paginate
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param, parse_int
from kadence.core.visibility import can_write_account, scope_choices
from kadence.keyaccounts.kam import selectors, services

PAGE_SIZE = 50


@login_required
@require_GET
def board_page(request: PageRequest) -> HttpResponseBase:
    """The accounts of the scope by KAM stage."""
    stage = request.GET.get("stage") or None
    all_stages = selectors.stages()
    if stage not in {s.code for s in all_stages}:
        stage = None
    scope, qs, counts = selectors.board(
        request.user,
        unit_id=id_param(request.GET.get("unit_id")),
        owner_id=id_param(request.GET.get("owner_id")),
        stage=stage,
    )
    if fmt := report_format(request):
        names = {s.code: s.name for s in all_stages}
        rows = qs.values(
            "name",
            "owner__display_name",
            "owner__username",
            "kam__stage__code",
            "kam__last_csi",
            "kam__last_csi_on",
        ).iterator(chunk_size=2000)
        columns = [
            Column(_("Account"), "name", width=30),
            Column(_("Owner"), lambda r: r["owner__display_name"] or r["owner__username"]),
            Column(_("KAM stage"), lambda r: names.get(r["kam__stage__code"], "")),
            Column(_("Last CSI"), "kam__last_csi", kind="number"),
            Column(_("Surveyed on"), "kam__last_csi_on", kind="date"),
        ]
        return export_response(fmt, "kam-stages", _("KAM stages"), columns, rows)
    page = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    rows_by_stage = [(s, counts.get(s.code, 0)) for s in all_stages]
    figure = {
        "data": [
            {
                "type": "bar",
                "x": [s.name for s, _n in rows_by_stage],
                "y": [n for _s, n in rows_by_stage],
                "text": [n for _s, n in rows_by_stage],
                "textposition": "auto",
            }
        ],
        "layout": {"height": 280, "yaxis": {"title": {"text": _("Accounts")}}},
    }
    return render(
        request,
        "keyaccounts/kam/board.html",
        {
            "section": "keyaccounts",
            "scope": scope,
            "choices": scope_choices(request.user),
            "stages": rows_by_stage,
            "not_started": counts.get("", 0),
            "stage": stage or "",
            "page": page,
            "figure": figure,
        },
    )


def _answers(post: Any) -> dict[int, Any]:
    answers: dict[int, Any] = {}
    for key, raw in post.items():
        if key.startswith("q_") and raw:
            qid = parse_int(key[2:])
            number = parse_int(raw, low=-1000, high=1000)
            answers[qid or 0] = raw if number is None else number
    return answers


def _account_post(request: PageRequest, account_id: int) -> None:
    post, user = request.POST, request.user
    action = post.get("action")
    if action == "stage":
        services.stage_set(
            user,
            account_id,
            stage=post.get("stage", ""),
            version=parse_int(post.get("version"), low=0),  # type: ignore[arg-type]
            note=post.get("note", ""),
        )
        messages.success(request, _("Stage saved."))
    elif action == "tick":
        services.tick_set(user, account_id, parse_int(post.get("item_id")) or 0, done=post.get("done") == "1")
    elif action == "survey":
        services.survey_create(
            user,
            account_id,
            surveyed_on=parse_date_param(post.get("surveyed_on"), "surveyed_on") or timezone.localdate(),
            answers=_answers(post),
            note=post.get("note", ""),
        )
        messages.success(request, _("Survey saved."))


def _context(request: PageRequest, account_id: int) -> dict[str, Any]:
    card = selectors.card(request.user, account_id)
    return {
        "section": "keyaccounts",
        "card": card,
        "account": card.account,
        "can_edit": can_write_account(request.user, card.account),
        "checklist": [(s, [(i, card.ticked.get(i.pk)) for i in s.items.all()]) for s in card.stages],
        "score_range": range(1, 6),
        "today": timezone.localdate(),
        "figure": selectors.csi_figure(card.surveys, _("CSI")),
    }


@login_required
@require_http_methods(["GET", "POST"])
def account_page(request: PageRequest, account_id: int) -> HttpResponse:
    """The account's KAM stage, checklist, changes and CSI; its writers change them (POST)."""
    if request.method == "POST":
        try:
            _account_post(request, account_id)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.detail)
            if exc.status == 409:
                return render(
                    request,
                    "keyaccounts/kam/account.html",
                    _context(request, account_id) | {"conflict": exc.detail},
                    status=409,
                )
        return redirect(reverse("keyaccounts_kam_account", args=[account_id]))
    return render(request, "keyaccounts/kam/account.html", _context(request, account_id))
