"""Pages of the screening platforms (issue 15 §10).

- /key-accounts/platforms/ — the month's funnel (potential → market → sales → buying) as a chart, the
  counts per team, the from → to table against the month before (each cell drills down); the compute
  button (leads, admins) and the wall criteria (an admin edits them); ?format=xlsx|csv;
- /key-accounts/platforms/accounts/ — the accounts on a platform (?platform=, ?from=), paginated;
  ?format=xlsx|csv;
- POST /key-accounts/platforms/compute/ and /key-accounts/platforms/criteria/.

Parameters: ?day=YYYY-MM-DD (any day of the month; default today), ?unit_id= / ?owner_id=."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.accounts.models import Account, Industry
from kadence.core.errors import ValidationFailed
from kadence.core.export import Column, report_format, report_response
from kadence.core.models import OrgUnit
from kadence.core.pagination import paginate
from kadence.core.requests import PageRequest
from kadence.core.validation import id_param, parse_date_param, parse_int
from kadence.core.visibility import can_configure_coverage, can_lead, scope_choices
from kadence.domain.kam.platforms import NEW, PLATFORMS
from kadence.keyaccounts.platforms import selectors, services
from kadence.keyaccounts.platforms.models import Platform, PlatformCriteria
from kadence.keyaccounts.platforms.tasks import platforms_compute_later
from kadence.rhythm.quotas.views import period_nav

EXPORT_ROWS = 50000


def labels() -> dict[str, str]:
    names = {str(k): str(v) for k, v in Platform.choices}
    names[NEW] = _("New this month")
    return names


def movement_labels() -> list[tuple[str, str]]:
    return [("up", _("Moved up")), ("down", _("Moved down")), ("same", _("Stayed")), (NEW, _("New"))]


def _params(request: PageRequest) -> dict[str, Any]:
    return {
        "day": parse_date_param(request.GET.get("day"), "day") or timezone.localdate(),
        "unit_id": id_param(request.GET.get("unit_id")),
        "owner_id": id_param(request.GET.get("owner_id")),
    }


def report_export(report: selectors.PlatformReport, fmt: str) -> HttpResponse:
    names = labels()
    froms = [NEW, *PLATFORMS]
    return report_response(
        fmt,
        f"platforms-{report.period.label}",
        [
            (
                _("Funnel"),
                [_("Platform"), Column(_("Accounts"), kind="number")],
                [[names[p], report.funnel[p]] for p in PLATFORMS],
            ),
            (
                _("Teams"),
                [
                    _("Team"),
                    *[Column(names[p], kind="number") for p in PLATFORMS],
                    *[Column(label, kind="number") for _key, label in movement_labels()],
                ],
                [
                    [
                        unit.name if unit else "",
                        *[counts[p] for p in PLATFORMS],
                        *[moved[k] for k, _l in movement_labels()],
                    ]
                    for unit, counts, moved in report.teams
                ],
            ),
            (
                _("Movement"),
                [_("From → to"), *[Column(names[p], kind="number") for p in PLATFORMS]],
                [[names[f], *[report.moves.get((f, t), 0) for t in PLATFORMS]] for f in froms],
            ),
        ],
    )


@login_required
@require_GET
def platforms_page(request: PageRequest) -> HttpResponse:
    params = _params(request)
    report = selectors.platform_report(request.user, **params)
    if fmt := report_format(request):
        return report_export(report, fmt)
    names = labels()
    froms = [NEW, *PLATFORMS]
    criteria = PlatformCriteria.current()
    admin = can_configure_coverage(request.user)
    context = {
        "section": "keyaccounts",
        "report": report,
        "scope": report.scope,
        "params": params,
        "choices": scope_choices(request.user),
        "nav": period_nav(request, report.period),
        "platforms": [(p, names[p], report.funnel[p]) for p in PLATFORMS],
        "team_rows": [
            (unit, [counts[p] for p in PLATFORMS], [moved[k] for k, _l in movement_labels()])
            for unit, counts, moved in report.teams
        ],
        "movement_labels": movement_labels(),
        "moves": [(f, names[f], [(t, report.moves.get((f, t), 0)) for t in PLATFORMS]) for f in froms],
        "can_compute": can_lead(request.user),
        "can_configure": admin,
        "criteria": criteria,
        "industries": list(Industry.objects.order_by("order", "code")) if admin else [],
        "regions": list(OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).order_by("path")) if admin else [],
        "sizes": Account.Size.choices,
        "figure": {
            "data": [
                {
                    "type": "funnel",
                    "y": [names[p] for p in reversed(PLATFORMS)],
                    "x": [report.funnel[p] for p in reversed(PLATFORMS)],
                    "textinfo": "value+percent initial",
                }
            ],
            "layout": {"height": 320, "margin": {"l": 140}},
        },
    }
    return render(request, "keyaccounts/platforms/platforms.html", context)


def accounts_export(rows: Any, fmt: str) -> HttpResponse:
    names = labels()
    data = [
        [
            s.account.name,
            names.get(s.previous, s.previous),
            names[s.platform],
            s.owner.label,
            s.team.name,
            s.account.buying_power,
        ]
        for s in rows[:EXPORT_ROWS]
    ]
    return report_response(
        fmt,
        "platform-accounts",
        [
            (
                _("Accounts"),
                [
                    Column(_("Account"), width=30),
                    _("Last month"),
                    _("This month"),
                    _("Owner"),
                    _("Team"),
                    Column(_("Buying power"), kind="number"),
                ],
                data,
            )
        ],
    )


@login_required
@require_GET
def platform_accounts_page(request: PageRequest) -> HttpResponse:
    params = _params(request)
    platform = request.GET.get("platform") or ""
    from_platform = request.GET.get("from") or ""
    rows = selectors.platform_accounts(request.user, platform=platform, from_platform=from_platform, **params)
    if fmt := report_format(request):
        return accounts_export(rows, fmt)
    page = paginate(rows, request.GET.get("page"), request.GET.get("page_size"))
    names = labels()
    for snapshot in page.items:
        snapshot.previous_label = names.get(snapshot.previous, snapshot.previous)
    context = {
        "section": "keyaccounts",
        "page": page,
        "platform_label": names.get(platform, ""),
        "from_label": names.get(from_platform, ""),
        "platform": platform,
        "from_platform": from_platform,
        "period": selectors.month_of(params["day"]),
        "params": params,
    }
    return render(request, "keyaccounts/platforms/accounts.html", context)


@login_required
@require_POST
def compute(request: PageRequest) -> HttpResponse:
    day = parse_date_param(request.POST.get("day"), "day") or timezone.localdate()
    if request.POST.get("background"):
        platforms_compute_later(request.user, day=day)
        messages.success(request, _("The platforms are being computed in the background."))
    else:
        run = services.platforms_compute(request.user, day=day)
        messages.success(request, _("%(n)d accounts placed on their platforms.") % {"n": run.accounts})
    return redirect(reverse("keyaccounts_platforms") + f"?day={day.isoformat()}")


@login_required
@require_POST
def criteria(request: PageRequest) -> HttpResponse:
    post = request.POST
    try:
        services.criteria_update(
            request.user,
            version=parse_int(post.get("version")),  # type: ignore[arg-type]
            industries=post.getlist("industries"),
            regions=post.getlist("regions"),
            min_size=post.get("min_size", ""),
            min_buying_power=post.get("min_buying_power"),
            active_days=post.get("active_days"),
            revenue_days=post.get("revenue_days"),
        )
    except ValidationFailed as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Platform criteria saved. Compute the month again to apply them."))
    return redirect(reverse("keyaccounts_platforms"))
