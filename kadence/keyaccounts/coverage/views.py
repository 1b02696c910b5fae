"""Pages of the coverage of the account pool (issue 15 §9).

- /key-accounts/coverage/ — per territory (team, region, total) the accounts, unowned, neglected, covered and
  the coverage rate, with a chart; each seller's load against their limit (over the limit flagged); the
  policy form (an admin); ?format=xlsx|csv;
- /key-accounts/coverage/accounts/ — the accounts of a list (?kind=all|unowned|neglected|covered) with
  checkboxes and the bulk-assign form (managers, directors, admins); paginated; ?format=xlsx|csv;
- POST /key-accounts/coverage/assign/ — bulk assignment (ticked ids, or the whole list);
- POST /key-accounts/coverage/policy/ — an admin edits the limits and the neglect window;
- /key-accounts/coverage/activation/ — inside sales' new-customer activation per rep and period, with a
  chart; ?format=xlsx|csv.

Parameters: ?unit_id= / ?owner_id= (leads and admins; outside one's reach 404), ?day=YYYY-MM-DD (as of;
default today), ?period=month|quarter|year (activation; another value 422)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.export import Column, report_format, report_response
from kadence.core.pagination import paginate
from kadence.core.requests import PageRequest
from kadence.core.validation import clean_ids, id_param, parse_date_param, parse_int
from kadence.core.visibility import (
    can_assign_accounts,
    can_configure_coverage,
    coverage_assignees,
    scope_choices,
)
from kadence.keyaccounts.coverage import selectors, services
from kadence.keyaccounts.coverage.models import CoveragePolicy
from kadence.rhythm.quotas.views import period_nav

EXPORT_ROWS = 50000


def _scope(request: PageRequest) -> dict[str, Any]:
    return {
        "unit_id": id_param(request.GET.get("unit_id")),
        "owner_id": id_param(request.GET.get("owner_id")),
        "as_of": parse_date_param(request.GET.get("day"), "day") or timezone.localdate(),
    }


def _counts_cells(c: Any) -> list[Any]:
    return [c.total, c.unowned, c.neglected, c.covered, c.rate]


COUNT_HEADS = (
    gettext_lazy("Accounts"),
    gettext_lazy("Unowned"),
    gettext_lazy("Neglected"),
    gettext_lazy("Covered"),
    # xgettext:no-python-format
    gettext_lazy("Coverage rate %"),
)


def coverage_export(report: selectors.CoverageReport, fmt: str) -> HttpResponse:
    heads = [Column(str(h), kind="number") for h in COUNT_HEADS]
    territory = [
        [
            _("Team"),
            row.region.name if row.region else "",
            row.unit.name if row.unit else "",
            *_counts_cells(row.counts),
        ]
        for row in report.teams
    ]
    territory += [
        [_("Region"), row.region.name if row.region else "", "", *_counts_cells(row.counts)]
        for row in report.regions
    ]
    territory.append([_("Total"), "", "", *_counts_cells(report.total)])
    loads = [
        [
            r.seller.label,
            r.seller.org_unit.name if r.seller.org_unit else "",
            _("Inside sales") if r.kind == "inside" else _("Outside sales"),
            r.load.accounts,
            r.load.limit,
            r.load.excess,
            _("Over the limit") if r.load.over else "",
        ]
        for r in report.loads
    ]
    return report_response(
        fmt,
        f"coverage-{report.as_of.isoformat()}",
        [
            (_("Territories"), [_("Level"), _("Region"), _("Team"), *heads], territory),
            (
                _("Seller loads"),
                [
                    Column(_("Seller"), width=24),
                    _("Team"),
                    _("Kind"),
                    Column(_("Accounts"), kind="number"),
                    Column(_("Limit"), kind="number"),
                    Column(_("Over by"), kind="number"),
                    _("Flag"),
                ],
                loads,
            ),
        ],
    )


def coverage_figure(report: selectors.CoverageReport) -> dict[str, Any]:
    names = [row.unit.name if row.unit else "—" for row in report.teams]
    parts = (
        ([row.counts.covered for row in report.teams], _("Covered"), "#2e7d32"),
        ([row.owned_neglected for row in report.teams], _("Owned but neglected"), "#f9a825"),
        ([row.counts.unowned for row in report.teams], _("Unowned"), "#c62828"),
    )
    return {
        "data": [
            {"type": "bar", "name": label, "x": names, "y": ys, "marker": {"color": color}}
            for ys, label, color in parts
        ],
        "layout": {"barmode": "stack", "height": 300, "yaxis": {"title": {"text": _("Accounts")}}},
    }


@login_required
@require_GET
def coverage_page(request: PageRequest) -> HttpResponse:
    """Coverage per territory and each seller's load against their limit."""
    params = _scope(request)
    report = selectors.coverage_report(request.user, **params)
    if fmt := report_format(request):
        return coverage_export(report, fmt)
    context = {
        "section": "keyaccounts",
        "report": report,
        "scope": report.scope,
        "params": params,
        "choices": scope_choices(request.user),
        "figure": coverage_figure(report),
        "policy": report.policy,
        "can_configure": can_configure_coverage(request.user),
    }
    return render(request, "keyaccounts/coverage/coverage.html", context)


def accounts_export(rows: Any, fmt: str, kind: str) -> HttpResponse:
    data = [
        [
            a.name,
            a.owner.label,
            a.team.name,
            a.region.name,
            a.get_status_display(),
            a.buying_power,
            a.last_activity,
        ]
        for a in rows[:EXPORT_ROWS]
    ]
    return report_response(
        fmt,
        f"coverage-accounts-{kind}",
        [
            (
                _("Accounts"),
                [
                    Column(_("Account"), width=30),
                    _("Owner"),
                    _("Team"),
                    _("Region"),
                    _("Business status"),
                    Column(_("Buying power"), kind="number"),
                    Column(_("Last activity"), kind="date"),
                ],
                data,
            )
        ],
    )


@login_required
@require_GET
def accounts_page(request: PageRequest) -> HttpResponse:
    """The accounts of a coverage list, with the bulk-assign form for leads."""
    params = _scope(request)
    kind = selectors.clean_kind(request.GET.get("kind"))
    rows = selectors.account_rows(request.user, kind=kind, **params)
    if fmt := report_format(request):
        return accounts_export(rows, fmt, kind)
    page = paginate(rows, request.GET.get("page"), request.GET.get("page_size"))
    context = {
        "section": "keyaccounts",
        "page": page,
        "kind": kind,
        "kinds": [
            ("all", _("All")),
            ("unowned", _("Unowned")),
            ("neglected", _("Neglected")),
            ("covered", _("Covered")),
        ],
        "params": params,
        "scope_unit_id": params["unit_id"],
        "choices": scope_choices(request.user),
        "scope": None,
        "can_assign": can_assign_accounts(request.user),
        "assignees": list(coverage_assignees(request.user)) if can_assign_accounts(request.user) else [],
        "policy": CoveragePolicy.current(),
    }
    return render(request, "keyaccounts/coverage/accounts.html", context)


def _back(request: PageRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
@require_POST
def assign(request: PageRequest) -> HttpResponse:
    """Bulk assignment from the list page: the ticked accounts, or the whole list when asked."""
    post = request.POST
    back = _back(request, reverse("keyaccounts_coverage_accounts"))
    try:
        whole = post.get("scope") == "list"
        result = services.bulk_assign(
            request.user,
            owner_id=parse_int(post.get("owner_id")),
            account_ids=None if whole else clean_ids(post.getlist("account_ids"), "account_ids"),
            kind=post.get("kind") if whole else None,
            unit_id=id_param(post.get("unit_id")) if whole else None,
            confirm_over_limit=bool(post.get("confirm_over_limit")),
            reason=post.get("reason", ""),
        )
    except DomainError as exc:
        if exc.status in (404,):
            raise
        messages.error(request, exc.detail)
        return redirect(back)
    messages.success(
        request,
        _("%(n)d accounts assigned to %(seller)s (%(load)d of %(limit)d).")
        % {
            "n": result.assigned,
            "seller": result.seller.label,
            "load": result.load.accounts,
            "limit": result.load.limit,
        },
    )
    if result.load.over:
        messages.warning(request, _("%(seller)s is now over their limit.") % {"seller": result.seller.label})
    return redirect(back)


@login_required
@require_POST
def policy(request: PageRequest) -> HttpResponse:
    """An admin edits the coverage policy."""
    post = request.POST
    try:
        services.policy_update(
            request.user,
            version=parse_int(post.get("version")),  # type: ignore[arg-type]
            outside_limit=post.get("outside_limit"),
            inside_limit=post.get("inside_limit"),
            neglect_days=post.get("neglect_days"),
        )
    except ValidationFailed as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Coverage policy saved."))
    return redirect(reverse("keyaccounts_coverage"))


# --- activation ------------------------------------------------------------------------------------


def activation_export(report: selectors.ActivationReport, fmt: str) -> HttpResponse:
    names = {row.seller.pk: row.seller.label for row in report.rows}
    return report_response(
        fmt,
        f"activation-{report.period.label}",
        [
            (
                _("Inside sales"),
                [
                    Column(_("Seller"), width=24),
                    Column(_("Accounts activated"), kind="number"),
                    Column(_("With a first opportunity"), kind="number"),
                    Column(_("Conversion %"), kind="number"),
                    Column(_("Median days to first opportunity"), kind="number"),
                ],
                [
                    [
                        r.seller.label,
                        r.figures.accounts,
                        r.figures.converted,
                        r.figures.rate,
                        r.figures.median_days,
                    ]
                    for r in report.rows
                ]
                + [
                    [
                        _("Total"),
                        report.total.accounts,
                        report.total.converted,
                        report.total.rate,
                        report.total.median_days,
                    ]
                ],
            ),
            (
                _("Accounts"),
                [
                    Column(_("Account"), width=30),
                    _("Seller"),
                    Column(_("First activity"), kind="date"),
                    Column(_("First opportunity"), kind="date"),
                    Column(_("Days"), kind="number"),
                ],
                [
                    [a.name, names.get(a.seller_id, ""), a.first_activity, a.first_opportunity, a.days]
                    for a in selectors.activation_cohort(report)
                ],
            ),
        ],
    )


@login_required
@require_GET
def activation_page(request: PageRequest) -> HttpResponse:
    """Inside sales' new-customer activation for a period."""
    day = parse_date_param(request.GET.get("day"), "day") or timezone.localdate()
    period = request.GET.get("period") or "month"
    report = selectors.activation_report(
        request.user,
        period=period,
        day=day,
        unit_id=id_param(request.GET.get("unit_id")),
        owner_id=id_param(request.GET.get("owner_id")),
    )
    if fmt := report_format(request):
        return activation_export(report, fmt)
    names = [r.seller.label for r in report.rows]
    context = {
        "section": "keyaccounts",
        "report": report,
        "scope": report.scope,
        "params": {"period": period, "day": day},
        "periods": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
        "choices": scope_choices(request.user),
        "nav": period_nav(request, report.period),
        "cohort": selectors.activation_cohort(report)[:200],
        "figure": {
            "data": [
                {
                    "type": "bar",
                    "name": _("Accounts activated"),
                    "x": names,
                    "y": [r.figures.accounts for r in report.rows],
                },
                {
                    "type": "bar",
                    "name": _("With a first opportunity"),
                    "x": names,
                    "y": [r.figures.converted for r in report.rows],
                },
                {
                    "type": "scatter",
                    "mode": "markers+lines",
                    "name": _("Conversion %"),
                    "x": names,
                    "y": [float(r.figures.rate) if r.figures.rate is not None else None for r in report.rows],
                    "yaxis": "y2",
                },
            ],
            "layout": {
                "barmode": "group",
                "height": 300,
                "yaxis": {"title": {"text": _("Accounts")}},
                "yaxis2": {"title": {"text": "%"}, "overlaying": "y", "side": "right", "range": [0, 100]},
            },
        },
    }
    return render(request, "keyaccounts/coverage/activation.html", context)
