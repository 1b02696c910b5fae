"""Pages of importance and the five types (issue 15 §5–6).

- /key-accounts/importance/ — the ranking of a scope (?unit_id=, ?owner_id=, ?type=), paginated;
  ?format=xlsx|csv exports every row;
- /key-accounts/importance/types/ — the accounts by type: counts as a chart, each type's treatment, the
  accounts of the chosen type; ?format=xlsx|csv;
- /key-accounts/importance/account/<id>/ — the account's score card: how each criterion was scored, the
  history as a chart; the owner enters scores, recomputes, overrides the type with a reason (POST);
- /key-accounts/importance/settings/ — the criteria, weights, bands and type rules (an admin edits)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kadence.core.errors import DomainError, PermissionDenied
from kadence.core.export import Column, export_response, report_format
from kadence.core.pagination import paginate
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_int
from kadence.core.visibility import can_configure_importance, can_write_account, scope_choices
from kadence.domain.kam import importance as di
from kadence.keyaccounts.importance import selectors, services
from kadence.keyaccounts.importance.models import CustomerType, ImportanceCriterion
from kadence.keyaccounts.importance.tasks import recompute_later

PAGE_SIZE = 50


def _scope_params(request: PageRequest) -> dict[str, int | None]:
    return {
        "unit_id": id_param(request.GET.get("unit_id")),
        "owner_id": id_param(request.GET.get("owner_id")),
    }


def _type_param(request: PageRequest) -> str | None:
    kind = request.GET.get("type") or None
    return kind if kind in CustomerType.values else None


def _owner_label(row: Mapping[str, Any]) -> str:
    return row.get("owner__display_name") or row.get("owner__username") or ""


def _export(qs: Any, fmt: str, filename: str, title: str) -> HttpResponseBase:
    labels = dict(CustomerType.choices)
    rows = qs.values(
        "pk",
        "name",
        "owner__display_name",
        "owner__username",
        "importance__score",
        "importance__scored_on",
        "kind",
    ).iterator(chunk_size=2000)
    columns = [
        Column(_("Account"), "name", width=30),
        Column(_("Owner"), _owner_label),
        Column(_("Importance score"), "importance__score", kind="number"),
        Column(_("Scored on"), "importance__scored_on", kind="date"),
        Column(_("Type"), lambda r: str(labels.get(r["kind"], "")) if r["kind"] else ""),
    ]
    return export_response(fmt, filename, title, columns, rows)


@login_required
@require_GET
def ranking_page(request: PageRequest) -> HttpResponseBase:
    """The scored accounts of the scope, highest first."""
    scope_params = _scope_params(request)
    kind = _type_param(request)
    scope, qs = selectors.ranking(request.user, customer_type=kind, **scope_params)
    if fmt := report_format(request):
        return _export(qs, fmt, "importance-ranking", _("Importance"))
    page = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    start = ((page.page or 1) - 1) * page.page_size
    return render(
        request,
        "keyaccounts/importance/ranking.html",
        {
            "section": "keyaccounts",
            "scope": scope,
            "choices": scope_choices(request.user),
            "page": page,
            "rows": [(start + n, a) for n, a in enumerate(page.items, start=1)],
            "type_options": CustomerType.choices,
            "type": kind or "",
            "can_configure": can_configure_importance(request.user),
        },
    )


@login_required
@require_GET
def types_page(request: PageRequest) -> HttpResponseBase:
    """The accounts of the scope by type: counts (a chart), treatments, the chosen type's accounts."""
    scope_params = _scope_params(request)
    kind = _type_param(request)
    counts = selectors.type_counts(request.user, **scope_params)
    scope, qs = selectors.ranking(request.user, customer_type=kind, **scope_params)
    if kind is None:
        qs = qs.exclude(**{"kind": ""})  # the annotation of selectors.ranking
    if fmt := report_format(request):
        return _export(qs, fmt, "importance-types", _("Types"))
    page = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    types = [
        {
            "code": t["code"],
            "label": t["label"],
            "treatment": t["treatment"],
            "count": counts.get(t["code"], 0),
        }
        for t in selectors.type_choices()
    ]
    figure = {
        "data": [
            {
                "type": "bar",
                "x": [t["label"] for t in types],
                "y": [t["count"] for t in types],
                "text": [t["count"] for t in types],
                "textposition": "auto",
            }
        ],
        "layout": {"height": 300, "yaxis": {"title": {"text": _("Accounts")}}},
    }
    return render(
        request,
        "keyaccounts/importance/types.html",
        {
            "section": "keyaccounts",
            "scope": scope,
            "choices": scope_choices(request.user),
            "types": types,
            "untyped": counts.get("", 0),
            "type_options": CustomerType.choices,
            "type": kind or "",
            "page": page,
            "figure": figure,
        },
    )


def _whole(raw: str) -> Any:
    """A typed whole number as an int (the service checks its range), anything else as typed (refused)."""
    number = parse_int(raw, low=-1000, high=1000)
    return raw if number is None else number


def _account_post(request: PageRequest, account_id: int) -> None:
    post, user = request.POST, request.user
    action = post.get("action")
    if action == "entries":
        scores = {}
        for c in ImportanceCriterion.objects.filter(source=ImportanceCriterion.Source.ENTERED):
            raw = post.get(f"score_{c.code}")
            if raw:
                scores[c.code] = _whole(raw)
        services.entries_set(user, account_id, scores, note=post.get("note", ""))
        messages.success(request, _("Scores saved; the account was scored again."))
    elif action == "compute":
        services.compute_account(user, account_id)
        messages.success(request, _("The account was scored again."))
    elif action == "type":
        services.type_override(
            user,
            account_id,
            version=parse_int(post.get("version"), low=0),  # type: ignore[arg-type]
            customer_type=post.get("customer_type", ""),
            reason=post.get("reason", ""),
        )
        messages.success(request, _("Type saved."))


def _card_context(request: PageRequest, account_id: int) -> dict[str, Any]:
    card = selectors.card(request.user, account_id)
    cur = card.current
    kind = cur.customer_type if cur else ""
    return {
        "section": "keyaccounts",
        "card": card,
        "account": card.account,
        "current": cur,
        "version": cur.version if cur else 0,
        "kind": kind,
        "kind_label": CustomerType(kind).label if kind else "",
        "treatment": selectors.treatment(kind) if kind else "",
        "can_edit": can_write_account(request.user, card.account),
        "types": CustomerType.choices,
        "score_range": range(1, 6),
        "figure": {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": [d.isoformat() for d, _s in card.history],
                    "y": [float(s) if s is not None else None for _d, s in card.history],
                    "name": _("Importance score"),
                }
            ],
            "layout": {"height": 260, "yaxis": {"range": [0, 100], "title": {"text": _("Importance score")}}},
        },
    }


@login_required
@require_http_methods(["GET", "POST"])
def account_page(request: PageRequest, account_id: int) -> HttpResponse:
    """The account's score card; its writers enter scores, recompute, override the type (POST)."""
    if request.method == "POST":
        try:
            _account_post(request, account_id)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.detail)
            if exc.status == 409:
                context = _card_context(request, account_id) | {"conflict": exc.detail}
                return render(request, "keyaccounts/importance/account.html", context, status=409)
        return redirect(reverse("keyaccounts_importance_account", args=[account_id]))
    return render(request, "keyaccounts/importance/account.html", _card_context(request, account_id))


def _settings_post(request: PageRequest) -> None:
    post, user = request.POST, request.user
    action = post.get("action")
    version = parse_int(post.get("version"))
    if action == "criteria":
        weights: dict[str, Any] = {}
        bands: dict[str, Any] = {}
        for c in selectors.criteria():
            raw = post.get(f"weight_{c.code}", "")
            weights[c.code] = _whole(raw)
            if c.source == ImportanceCriterion.Source.COMPUTED:
                bands[c.code] = [post.get(f"band_{c.code}_{n}", "") for n in range(2, 6)]
        services.criteria_set(user, version=version, weights=weights, bands=bands)  # type: ignore[arg-type]
        messages.success(request, _("Criteria saved. Scores change at the next computation."))
    elif action == "rules":
        values = {name: post.get(name) for name in services.RULE_LIMITS if post.get(name)}
        services.rules_set(user, version=version, **values)  # type: ignore[arg-type]
        messages.success(request, _("Type rules saved. Types change at the next computation."))
    elif action == "recompute":
        if not can_configure_importance(user):
            raise PermissionDenied(_("Only an admin configures the importance criteria."))
        recompute_later()
        messages.success(request, _("Every account is being scored again in the background."))


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: PageRequest) -> HttpResponse:
    """The criteria (weights adding to 100, bands) and the type rules; an admin changes them (POST)."""
    if request.method == "POST":
        try:
            _settings_post(request)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.detail)
            if exc.status == 409:
                return render(
                    request,
                    "keyaccounts/importance/settings.html",
                    _settings_context(request) | {"conflict": exc.detail},
                    status=409,
                )
        return redirect("keyaccounts_importance_settings")
    return render(request, "keyaccounts/importance/settings.html", _settings_context(request))


def _settings_context(request: PageRequest) -> dict[str, Any]:
    config = selectors.config()
    rows = selectors.criteria()
    return {
        "section": "keyaccounts",
        "config": config,
        "criteria": [
            (c, list(c.bands) + [""] * (4 - len(c.bands)) if c.source == "computed" else []) for c in rows
        ],
        "total": sum(c.weight for c in rows),
        "admin": can_configure_importance(request.user),
        "rules": [
            (name, getattr(config, name), RULE_LABELS.get(name, name), getattr(di.TypeRules(), name))
            for name in services.RULE_LIMITS
        ],
        "types": selectors.type_choices(),
        "units": UNITS,
    }


RULE_LABELS = {
    "profit_min_profit": gettext_lazy("Profit contributor: profit score at least"),
    "profit_min_sales": gettext_lazy("Profit contributor: sales score at least"),
    "brand_min_influence": gettext_lazy(
        "Problem customer kept for the brand: market position or industry influence at least"
    ),
    "brand_max_profit": gettext_lazy("Problem customer kept for the brand: profit score at most"),
    "loyal_min_years": gettext_lazy("Loyal long-time customer: years as customer at least"),
    "loyal_min_continuity": gettext_lazy(
        "Loyal long-time customer: consecutive years with a won deal at least"
    ),
    "small_max_sales": gettext_lazy("Small customer with growth potential: sales score at most"),
    "small_min_growth": gettext_lazy("Small customer with growth potential: growth score at least"),
    "new_max_months": gettext_lazy("New customer: first won deal less than this many months ago"),
}
UNITS = {
    di.SALES: gettext_lazy("won revenue, last 12 months"),
    di.GROWTH: gettext_lazy("growth in percent over the 12 months before"),
    di.SHARE: gettext_lazy("share of wallet in percent (revenue ÷ buying power)"),
    di.LOYALTY: gettext_lazy("years since the first won deal"),
    di.CONTINUITY: gettext_lazy("consecutive years with a won deal"),
}
