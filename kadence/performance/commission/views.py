"""Pages of the commissions (issue 14 §7).

- /performance/commission/ — a seller's statement (their own; a lead's seller with ?owner_id=), every
  line explained; ?format=xlsx|csv;
- /performance/commission/team/ — the statements of the scope for the period with a chart of the pay
  per seller, the "compute this period" button (leads, admins); ?format=xlsx|csv;
- /performance/commission/plans/ — the plans with their versions (an admin edits them: a new plan, the
  terms from a period, assignments, the split-credit rules); others see the plans they are on.

Parameters: ?period=month|quarter (default month; another value is 422), ?day=YYYY-MM-DD (default
today), ?unit_id= / ?owner_id= (leads and admins; outside one's reach 404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kadence.core.errors import DomainError, ValidationFailed
from kadence.core.export import Column, report_format, report_response
from kadence.core.models import User
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param, parse_int
from kadence.core.visibility import (
    SELLER_ROLES,
    can_compute_commission,
    can_configure_commission,
    scope_choices,
)
from kadence.domain.periods import Period
from kadence.performance.commission import selectors, services
from kadence.performance.commission.models import CommissionStatement, PlanPeriod
from kadence.performance.commission.tasks import statements_compute_later
from kadence.pipeline.models import DealRole
from kadence.rhythm.quotas.views import period_nav

HISTORY = 6


def _params(request: PageRequest) -> dict[str, Any]:
    period = request.GET.get("period") or "month"
    day = parse_date_param(request.GET.get("day"), "day") or timezone.localdate()
    selectors.commission_period(period, day)  # 422 for another kind
    return {"period": period, "day": day}


def _periods() -> list[tuple[str, str]]:
    return [(str(k), str(label)) for k, label in PlanPeriod.choices]


# --- a seller's statement --------------------------------------------------------------------------


def statement_export(statement: CommissionStatement, when: Period, fmt: str) -> HttpResponse:
    rows: list[list[Any]] = [
        [
            line.get_kind_display(),
            line.deal_name,
            line.deal_amount,
            line.share,
            line.tier_from_pct,
            line.rate,
            line.base,
            line.amount,
            selectors.line_explanation(line),
        ]
        for line in statement.lines.all()
    ]
    rows.append([_("Payout"), "", None, None, None, None, statement.credited, statement.payout, ""])
    return report_response(
        fmt,
        f"commission-{statement.user.username}-{when.label}",
        [
            (
                _("Statement"),
                [
                    _("Line"),
                    Column(_("Deal"), width=30),
                    Column(_("Deal amount"), kind="number"),
                    Column(_("Credit share %"), kind="number"),
                    # xgettext:no-python-format
                    Column(_("Band from % of quota"), kind="number"),
                    Column(_("Rate %"), kind="number"),
                    Column(_("Base"), kind="number"),
                    Column(_("Amount"), kind="number"),
                    Column(_("How it was computed"), width=60),
                ],
                rows,
            )
        ],
    )


@login_required
@require_GET
def statement_page(request: PageRequest) -> HttpResponse:
    """A seller's commission statement for a month or quarter, every line explained."""
    params = _params(request)
    owner_id = id_param(request.GET.get("owner_id"))
    seller, when, statement = selectors.statement_detail(request.user, owner_id=owner_id, **params)
    if (fmt := report_format(request)) and statement is not None:
        return statement_export(statement, when, fmt)
    history = list(
        CommissionStatement.objects.filter(user=seller, period_kind=when.kind, period_start__lte=when.start)
        .order_by("-period_start")
        .values("period_start", "credited", "payout")[:HISTORY]
    )
    context = {
        "section": "performance",
        "seller": seller,
        "own": seller.pk == request.user.pk,
        "when": when,
        "statement": statement,
        "lines": [(line, selectors.line_explanation(line)) for line in statement.lines.all()]
        if statement
        else [],
        "history": [(Period(when.kind, h["period_start"]), h["credited"], h["payout"]) for h in history],
        "params": params,
        "periods": _periods(),
        "nav": period_nav(request, when),
    }
    return render(request, "performance/commission/statement.html", context)


# --- the team --------------------------------------------------------------------------------------


def team_export(team: selectors.TeamStatements, fmt: str) -> HttpResponse:
    rows = [
        [
            s.user.label,
            s.unit.name if s.unit else "",
            s.plan_code,
            s.quota,
            s.credited,
            s.attainment,
            s.salary,
            s.commission,
            s.group_commission,
            s.expenses,
            s.payout,
        ]
        for s in team.statements
    ]
    money = [
        _("Quota"),
        _("Credited revenue"),
        _("Attainment %"),
        _("Salary"),
        _("Commission"),
        _("Group commission"),
        _("Expenses"),
        _("Payout"),
    ]
    return report_response(
        fmt,
        f"commission-team-{team.period.label}",
        [
            (
                _("Statements"),
                [_("Seller"), _("Team"), _("Plan"), *[Column(h, kind="number") for h in money]],
                rows,
            )
        ],
    )


@login_required
@require_GET
def team_page(request: PageRequest) -> HttpResponse:
    """The statements of the user's scope for the period, with the pay per seller as a chart."""
    params = _params(request)
    team = selectors.team_statements(request.user, unit_id=id_param(request.GET.get("unit_id")), **params)
    if fmt := report_format(request):
        return team_export(team, fmt)
    names = [s.user.label for s in team.statements]
    parts = (
        ("salary", _("Salary")),
        ("commission", _("Commission")),
        ("group_commission", _("Group commission")),
        ("expenses", _("Expenses")),
    )
    context = {
        "section": "performance",
        "team": team,
        "scope": team.scope,
        "params": params,
        "periods": _periods(),
        "choices": scope_choices(request.user),
        "nav": period_nav(request, team.period),
        "can_compute": can_compute_commission(request.user),
        "figure": {
            "data": [
                {
                    "type": "bar",
                    "name": label,
                    "x": names,
                    "y": [float(getattr(s, key)) for s in team.statements],
                }
                for key, label in parts
            ],
            "layout": {
                "barmode": "stack",
                "height": 300,
                "yaxis": {"title": {"text": _("Payout")}, "tickformat": ",.0f"},
            },
        },
    }
    return render(request, "performance/commission/team.html", context)


@login_required
@require_POST
def compute_period(request: PageRequest) -> HttpResponse:
    """Compute the period for the scope (a lead's or admin's button); in the background when asked."""
    period = request.POST.get("period") or "month"
    day = parse_date_param(request.POST.get("day"), "day") or timezone.localdate()
    unit_id = id_param(request.POST.get("unit_id"))
    if request.POST.get("background"):
        statements_compute_later(request.user, period=period, day=day, unit_id=unit_id)
        messages.success(request, _("The period is being computed in the background."))
    else:
        run = services.statements_compute(request.user, period=period, day=day, unit_id=unit_id)
        messages.success(request, _("%(n)d statements computed.") % {"n": run.statements})
    query = f"?period={period}&day={day.isoformat()}" + (f"&unit_id={unit_id}" if unit_id else "")
    return redirect(reverse("performance_commission_team") + query)


# --- plans -----------------------------------------------------------------------------------------


def _tiers(text: str) -> list[dict[str, str]]:
    """Tiers typed as lines "from % : rate %" (e.g. "0: 2", "100: 4")."""
    tiers = []
    for raw in (text or "").splitlines():
        if not raw.strip():
            continue
        start, sep, rate = raw.partition(":")
        if not sep:
            raise ValidationFailed(
                _("Write each tier as 'from % of quota: rate %'."), {"tiers": [_("Invalid tier.")]}
            )
        tiers.append({"from_pct": start.strip(), "rate": rate.strip()})
    return tiers


def _terms(post: Any) -> dict[str, Any]:
    return {
        "salary": post.get("salary") or "0",
        "tiers": _tiers(post.get("tiers", "")),
        "cap": post.get("cap") or None,
        "group_rate": post.get("group_rate") or "0",
        "expense_cap": post.get("expense_cap") or None,
    }


def _plans_post(request: PageRequest) -> None:
    post, user = request.POST, request.user
    action = post.get("action")
    day = parse_date_param(post.get("effective_from"), "effective_from") or timezone.localdate()
    if action == "create":
        services.plan_create(
            user,
            code=post.get("code", "").strip(),
            name_zh=post.get("name_zh", ""),
            name_en=post.get("name_en", ""),
            kind=post.get("kind", ""),
            period_kind=post.get("period_kind") or "month",
            effective_from=day,
            **_terms(post),
        )
        messages.success(request, _("Plan added."))
    elif action == "terms":
        services.plan_terms_set(
            user,
            parse_int(post.get("plan_id")) or 0,
            version=parse_int(post.get("version")),  # type: ignore[arg-type]
            effective_from=day,
            **_terms(post),
        )
        messages.success(request, _("Terms saved."))
    elif action == "assign":
        services.assignment_set(
            user,
            plan_id=parse_int(post.get("plan_id")) or 0,
            effective_from=day,
            seller_id=parse_int(post.get("seller_id")),
            role=post.get("role", "") if not post.get("seller_id") else "",
        )
        messages.success(request, _("Plan assigned."))
    elif action == "credit":
        services.credit_rule_set(
            user,
            role_id=parse_int(post.get("role_id")) or 0,
            share=post.get("share"),
            version=parse_int(post.get("version")),
        )
        messages.success(request, _("Credit rule saved."))


@login_required
@require_http_methods(["GET", "POST"])
def plans_page(request: PageRequest) -> HttpResponse:
    """The plans with their versions; an admin's editor (POST): a new plan, terms from a period (the
    plan's version as read: a stale one is refused), assignments, credit rules."""
    admin = can_configure_commission(request.user)
    if request.method == "POST":
        try:
            _plans_post(request)
        except DomainError as exc:
            messages.error(request, exc.detail)
            if exc.status == 403:
                return HttpResponse(exc.detail, status=403)
            if exc.status == 409:
                return render(
                    request,
                    "performance/commission/plans.html",
                    _plans_context(request, admin) | {"conflict": exc.detail},
                    status=409,
                )
        return redirect("performance_commission_plans")
    return render(request, "performance/commission/plans.html", _plans_context(request, admin))


def _plans_context(request: PageRequest, admin: bool) -> dict[str, Any]:
    plans = selectors.plans(request.user)
    return {
        "section": "performance",
        "plans": [
            (p, [(v, "\n".join(f"{t['from_pct']}: {t['rate']}" for t in v.tiers)) for v in p.versions.all()])
            for p in plans
        ],
        "admin": admin,
        "kinds": selectors.kinds(),
        "periods": _periods(),
        "assignments": selectors.assignments() if admin else [],
        "rules": selectors.credit_rules() if admin else [],
        "deal_roles": list(DealRole.objects.all()) if admin else [],
        "sellers": list(User.objects.filter(role__in=SELLER_ROLES, is_active=True).order_by("display_name"))
        if admin
        else [],
        "seller_roles": [(r, User.Role(r).label) for r in SELLER_ROLES],
        "today": timezone.localdate(),
    }
