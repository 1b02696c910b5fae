"""Pages of the KPI scorecards (issue 14 §4) and the performance leaderboard (§5).

- /performance/kpi/ — a seller's card (their own; a manager's seller with ?owner_id=) with how each
  figure was computed, and their earlier cards; ?format=xlsx|csv;
- /performance/kpi/team/ — the cards of the scope for the period, the grade distribution, the "score
  this period" button (managers, directors, admins); ?format=xlsx|csv;
- /performance/kpi/ranking/ — the annual ranking into the five grades; ?format=xlsx|csv;
- /performance/kpi/definitions/ — the KPIs of each role, the grades and the metric definitions;
- /performance/kpi/inputs/ — the manual figures a manager enters;
- /performance/leaderboard/ — attainment, growth, win rate, velocity, forecast accuracy; ?format=.

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

from kadence.core.errors import DomainError
from kadence.core.export import Column, report_format, report_response
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, int_param, parse_date_param, parse_int
from kadence.core.visibility import is_admin, is_seller, scope_choices
from kadence.domain.periods import Period
from kadence.performance.kpi import selectors, services
from kadence.performance.kpi.leaderboard import performance_board
from kadence.performance.kpi.models import Scorecard, ScoringPeriod
from kadence.rhythm.quotas.effort import EffortBoard
from kadence.rhythm.quotas.views import effort_export, period_nav

HISTORY = 8


def _params(request: PageRequest) -> dict[str, Any]:
    period = request.GET.get("period") or "month"
    day = parse_date_param(request.GET.get("day"), "day") or timezone.localdate()
    services.scoring_period(period, day)  # 422 for another kind
    return {"period": period, "day": day}


def _periods() -> list[tuple[str, str]]:
    return [(str(k), str(label)) for k, label in ScoringPeriod.choices]


def _rate(value: Any) -> Any:
    return None if value is None else value / 100


# --- a seller's card -------------------------------------------------------------------------------


def card_export(view: selectors.CardView, when: Period, fmt: str) -> HttpResponse:
    card = view.card
    rows = [
        [
            name,
            line.weight,
            line.target,
            line.get_curve_display(),
            line.actual,
            how,
            line.score,
            line.points,
        ]
        for line, name, how in view.lines
    ]
    rows.append([_("Total"), None, None, "", None, view.grade, None, card.total])
    return report_response(
        fmt,
        f"kpi-{card.user.username}-{when.label}",
        [
            (
                _("Scorecard"),
                [
                    _("KPI"),
                    Column(_("Weight"), kind="number"),
                    Column(_("Target"), kind="number"),
                    _("Scoring curve"),
                    Column(_("Actual"), kind="number"),
                    Column(_("How it was computed"), width=50),
                    Column(_("Score"), kind="number"),
                    Column(_("Points"), kind="number"),
                ],
                rows,
            )
        ],
    )


@login_required
@require_GET
def card_page(request: PageRequest) -> HttpResponse:
    """A seller's scorecard for a month or quarter with how each figure was computed."""
    params = _params(request)
    owner_id = id_param(request.GET.get("owner_id"))
    scope, when, view = selectors.scorecard_detail(request.user, owner_id=owner_id, **params)
    if (fmt := report_format(request)) and view is not None:
        return card_export(view, when, fmt)
    assert scope.owner is not None
    history = list(
        Scorecard.objects.filter(user=scope.owner, period_kind=when.kind, period_start__lte=when.start)
        .order_by("-period_start")
        .values("period_start", "total", "grade")[:HISTORY]
    )
    names = selectors.grade_names()
    context = {
        "section": "performance",
        "seller": scope.owner,
        "own": scope.owner.pk == request.user.pk,
        "when": when,
        "view": view,
        "history": [
            (Period(when.kind, h["period_start"]), h["total"], names.get(h["grade"], "")) for h in history
        ],
        "params": params,
        "periods": _periods(),
        "nav": period_nav(request, when),
        "export_query": request.GET.urlencode(),
    }
    return render(request, "performance/kpi/card.html", context)


# --- the team --------------------------------------------------------------------------------------


def team_export(team: selectors.TeamCards, fmt: str) -> HttpResponse:
    rows = [
        [c.user.label, c.unit.name if c.unit else "", c.total, team.names.get(c.grade, c.grade)]
        for c in team.cards
    ]
    rows += [[p.label, p.org_unit.name if p.org_unit else "", None, _("Not scored")] for p in team.unscored]
    return report_response(
        fmt,
        f"kpi-team-{team.period.label}",
        [
            (_("Scorecards"), [_("Seller"), _("Team"), Column(_("Score"), kind="number"), _("Grade")], rows),
            (
                _("Grades"),
                [_("Grade"), Column(_("Sellers"), kind="int")],
                [[name, n] for _code, name, n in team.distribution],
            ),
        ],
    )


@login_required
@require_GET
def team_page(request: PageRequest) -> HttpResponse:
    """The scorecards of the user's scope for the period, with the grade distribution."""
    params = _params(request)
    team = selectors.team_scorecards(request.user, unit_id=id_param(request.GET.get("unit_id")), **params)
    if fmt := report_format(request):
        return team_export(team, fmt)
    context = {
        "section": "performance",
        "team": team,
        "scope": team.scope,
        "params": params,
        "periods": _periods(),
        "choices": scope_choices(request.user),
        "nav": period_nav(request, team.period),
        "can_score": services.can_score(request.user),
        "figure": {
            "data": [
                {
                    "type": "bar",
                    "x": [name for _code, name, _n in team.distribution],
                    "y": [n for _code, _name, n in team.distribution],
                }
            ],
            "layout": {"height": 240, "yaxis": {"title": {"text": _("Sellers")}}},
        },
        "export_query": request.GET.urlencode(),
    }
    return render(request, "performance/kpi/team.html", context)


@login_required
@require_POST
def score_period(request: PageRequest) -> HttpResponse:
    """Score the period for the scope (a manager's, director's or admin's button)."""
    period = request.POST.get("period") or "month"
    day = parse_date_param(request.POST.get("day"), "day") or timezone.localdate()
    unit_id = id_param(request.POST.get("unit_id"))
    n = services.scorecards_compute(request.user, period=period, day=day, unit_id=unit_id)
    messages.success(request, _("%(n)d scorecards scored.") % {"n": n})
    query = f"?period={period}&day={day.isoformat()}" + (f"&unit_id={unit_id}" if unit_id else "")
    return redirect(reverse("performance_kpi_team") + query)


# --- annual ranking --------------------------------------------------------------------------------


@login_required
@require_GET
def ranking_page(request: PageRequest) -> HttpResponse:
    """The annual ranking into the five grades."""
    year = int_param(request.GET.get("year"), "year", low=2000, high=2100) or timezone.localdate().year
    ranking = selectors.annual_ranking(request.user, year=year, unit_id=id_param(request.GET.get("unit_id")))
    if fmt := report_format(request):
        rows = [
            [
                r.rank,
                r.user.label,
                r.user.org_unit.name if r.user.org_unit else "",
                *r.quarters,
                r.score,
                r.grade_name,
            ]
            for r in ranking.rows
        ]
        quarters = [Column(f"Q{n}", kind="number") for n in range(1, 5)]
        return report_response(
            fmt,
            f"kpi-ranking-{year}",
            [
                (
                    _("Ranking"),
                    [
                        Column("#", kind="int"),
                        _("Seller"),
                        _("Team"),
                        *quarters,
                        Column(_("Score"), kind="number"),
                        _("Grade"),
                    ],
                    rows,
                )
            ],
        )
    context = {
        "section": "performance",
        "ranking": ranking,
        "scope": ranking.scope,
        "choices": scope_choices(request.user),
        "year": year,
        "export_query": request.GET.urlencode(),
    }
    return render(request, "performance/kpi/ranking.html", context)


# --- definitions and manual inputs -----------------------------------------------------------------


@login_required
@require_GET
def definitions_page(request: PageRequest) -> HttpResponse:
    """The KPIs of each role (weights, targets, curves, versions), the grades and the metric definitions."""
    context = {
        "section": "performance",
        "definitions": selectors.definitions(),
        "bands": selectors.bands(),
        "metrics": selectors.metric_definitions(),
        "can_configure": is_admin(request.user),
    }
    return render(request, "performance/kpi/definitions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def inputs_page(request: PageRequest) -> HttpResponse:
    """The manual KPI figures of the scope's sellers for the period; a manager enters one with POST."""
    if is_seller(request.user):
        return redirect("performance_kpi_card")
    if request.method == "POST":
        post = request.POST
        day = parse_date_param(post.get("day"), "day") or timezone.localdate()
        try:
            services.kpi_input_set(
                request.user,
                seller_id=parse_int(post.get("seller_id")) or 0,
                definition_id=parse_int(post.get("definition_id")) or 0,
                period=post.get("period") or "month",
                day=day,
                value=post.get("value"),
                note=post.get("note", ""),
                version=parse_int(post.get("version")),
            )
            messages.success(request, _("Figure saved."))
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect(
            f"{reverse('performance_kpi_inputs')}?period={post.get('period') or 'month'}&day={day.isoformat()}"
        )
    params = _params(request)
    unit_id = id_param(request.GET.get("unit_id"))
    inputs = selectors.manual_inputs(request.user, unit_id=unit_id, **params)
    context = {
        "section": "performance",
        "inputs": inputs,
        "params": params,
        "periods": _periods(),
        "sellers": scope_choices(request.user).people,
        "manual": [d for d in selectors.definitions() if d.is_manual and d.is_active],
    }
    return render(request, "performance/kpi/inputs.html", context)


# --- leaderboard -----------------------------------------------------------------------------------


def board_export(board: EffortBoard, fmt: str) -> HttpResponse:
    return effort_export(board, fmt, name="leaderboard", people=_("Sellers"), person=_("Seller"))


@login_required
@require_GET
def leaderboard_page(request: PageRequest) -> HttpResponse:
    """The performance leaderboard of the user's scope for a month or quarter."""
    params = _params(request)
    board = performance_board(
        request.user,
        unit_id=id_param(request.GET.get("unit_id")),
        owner_id=id_param(request.GET.get("owner_id")),
        sort=request.GET.get("sort") or "",
        **params,
    )
    if fmt := report_format(request):
        return board_export(board, fmt)
    context = {
        "section": "performance",
        "board": board,
        "rep_rows": [(r, [(c, r.values[c.key]) for c in board.columns]) for r in board.reps],
        "team_rows": [(t, [(c, t.values[c.key]) for c in board.columns]) for t in board.teams],
        "params": params,
        "periods": _periods(),
        "choices": scope_choices(request.user),
        "scope": board.scope,
        "nav": period_nav(request, Period(params["period"], board.period.start)),
        "export_query": request.GET.urlencode(),
    }
    return render(request, "performance/kpi/leaderboard.html", context)
