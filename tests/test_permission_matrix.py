"""The visibility policy as a matrix: role × ownership × action, against rita's opportunity
(rep in team north-1, region north), and role × scope × report for every report endpoint, page
and export. Every cell is asserted — a write-allowed cell by re-reading the row it changed; a change
to core.visibility that widens or narrows access breaks exactly the cells it touches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kadence.core.errors import NotFound, PermissionDenied
from kadence.deals.models import Evidence, GateApproval
from kadence.pipeline import selectors, services
from kadence.pipeline.models import DealRole, Opportunity, Stage, StageChange
from tests.versions import opp_version

# persona → (sees it, may change it). sara_team is sara after being put on the deal team.
MATRIX = {
    "rita": (True, True),  # owner
    "tom": (False, False),  # same team, not on the deal
    "nick": (False, False),  # same region, other team
    "sara": (False, False),  # other region
    "sara_team": (True, False),  # deal-team member: reads, does not write
    "mona": (True, True),  # manager of north-1
    "sam": (False, False),  # manager of south-1
    "dora": (True, True),  # director of north
    "sven": (False, False),  # director of south
    "ada": (True, True),  # admin
}


def persona(org, name):
    if name == "sara_team":
        services.opportunity_team_add(
            org.rita, org.opp.pk, user_id=org.sara.pk, role_id=DealRole.objects.get(code="presales").pk
        )
        return org.sara
    return getattr(org, name)


@pytest.mark.parametrize("name", MATRIX)
def test_list(org, name):
    user = persona(org, name)
    ids = {o.pk for o in selectors.opportunity_list(user, page_size=200).items}
    assert (org.opp.pk in ids) is MATRIX[name][0]


@pytest.mark.parametrize("name", MATRIX)
def test_detail(org, name):
    user = persona(org, name)
    if MATRIX[name][0]:
        assert selectors.opportunity_detail(user, org.opp.pk).pk == org.opp.pk
        assert len(selectors.stage_history(user, org.opp.pk)) == 1
    else:
        with pytest.raises(NotFound):
            selectors.opportunity_detail(user, org.opp.pk)
        with pytest.raises(NotFound):
            selectors.stage_history(user, org.opp.pk)


def _expect_write(org, name, action, changed):
    """A write-allowed cell runs `action` and `changed()` (re-reading the row) holds afterwards; a
    refused one raises and leaves the row as it was."""
    sees, writes = MATRIX[name]
    if writes:
        action()
        assert changed()
    else:
        with pytest.raises(PermissionDenied if sees else NotFound):
            action()
        assert not changed()


def _fresh(org):
    return Opportunity.objects.get(pk=org.opp.pk)


@pytest.mark.parametrize("name", MATRIX)
def test_update(org, name):
    user = persona(org, name)
    _expect_write(
        org,
        name,
        lambda: services.opportunity_update(user, org.opp.pk, version=1, amount="2000000"),
        lambda: _fresh(org).amount == Decimal("2000000"),
    )


@pytest.mark.parametrize("name", MATRIX)
def test_move_stage(org, name, no_gates):
    user = persona(org, name)
    second = Stage.objects.get(template=org.opp.template, order=2)
    _expect_write(
        org,
        name,
        lambda: services.opportunity_move_stage(
            user, org.opp.pk, stage_id=second.pk, version=opp_version(org.opp.pk)
        ),
        lambda: _fresh(org).stage_id == second.pk,
    )


@pytest.mark.parametrize("name", MATRIX)
def test_aggregate(org, name):
    """Totals and the board count rita's deal exactly when the persona may see it."""
    user = persona(org, name)
    sees = MATRIX[name][0]
    visible_other = {
        "ada": Decimal("300000"),
        "sven": Decimal("300000"),
        "sam": Decimal("300000"),
        "sara": Decimal("300000"),
        "sara_team": Decimal("300000"),
    }.get(name, Decimal(0))
    expected = visible_other + (Decimal("1200000") if sees else 0)
    assert selectors.opportunity_totals(user)["amount"] == expected
    _template, columns = selectors.pipeline_board(user)
    assert sum(c.count for c in columns) == (1 if sees else 0) + (1 if visible_other else 0)


@pytest.mark.parametrize("name", ["rita", "tom", "mona", "sara_team"])
def test_reassign_needs_manager(org, name):
    user = persona(org, name)
    if name == "mona":
        services.opportunity_reassign(user, org.opp.pk, owner_id=org.tom.pk, version=opp_version(org.opp.pk))
        assert _fresh(org).owner_id == org.tom.pk
    else:
        with pytest.raises(PermissionDenied if MATRIX[name][0] else NotFound):
            services.opportunity_reassign(
                user, org.opp.pk, owner_id=org.tom.pk, version=opp_version(org.opp.pk)
            )
        assert _fresh(org).owner_id == org.rita.pk


def test_manager_cannot_hand_a_deal_outside_their_scope(org):
    with pytest.raises(PermissionDenied):
        services.opportunity_reassign(
            org.mona, org.opp.pk, owner_id=org.sara.pk, version=opp_version(org.opp.pk)
        )
    assert _fresh(org).owner_id == org.rita.pk


# Deal control: who contributes proof, who approves a gate or overrides it (never the owner).
APPROVES = {"rita": False, "sara_team": False, "mona": True, "dora": True, "ada": True}


@pytest.mark.parametrize("name", MATRIX)
def test_contribute_evidence(org, name):
    from kadence.deals.services.gates import evidence_add

    user = persona(org, name)
    if MATRIX[name][0]:  # whoever sees a deal may add proof to it
        added = evidence_add(user, org.opp.pk, title="纪要", note="x")
        assert Evidence.objects.get(pk=added.pk, opportunity=org.opp).added_by == user
    else:
        with pytest.raises(NotFound):
            evidence_add(user, org.opp.pk, title="纪要", note="x")
        assert not Evidence.objects.filter(opportunity=org.opp).exists()


@pytest.mark.parametrize("name", MATRIX)
def test_approve_a_gate(org, name):
    from kadence.deals.services.gates import gate_approve
    from kadence.pipeline.models import ExitCriterion

    user = persona(org, name)
    review = ExitCriterion.objects.get(stage__template=org.opp.template, code="manager_review")
    if not MATRIX[name][0]:
        with pytest.raises(NotFound):
            gate_approve(user, org.opp.pk, criterion_id=review.pk)
    elif APPROVES[name]:
        gate_approve(user, org.opp.pk, criterion_id=review.pk)
        assert GateApproval.objects.get(opportunity=org.opp, criterion=review).approved_by == user
    else:
        with pytest.raises(PermissionDenied):
            gate_approve(user, org.opp.pk, criterion_id=review.pk)
    if not APPROVES.get(name):
        assert not GateApproval.objects.filter(opportunity=org.opp, criterion=review).exists()


@pytest.mark.parametrize("name", MATRIX)
def test_override_a_gate(org, name):
    user = persona(org, name)
    second = Stage.objects.get(template=org.opp.template, order=2)
    if not MATRIX[name][0]:
        with pytest.raises(NotFound):
            services.opportunity_move_stage(
                user,
                org.opp.pk,
                stage_id=second.pk,
                override=True,
                reason="r",
                version=opp_version(org.opp.pk),
            )
    elif APPROVES[name]:
        services.opportunity_move_stage(
            user, org.opp.pk, stage_id=second.pk, override=True, reason="r", version=opp_version(org.opp.pk)
        )
        assert _fresh(org).stage_id == second.pk
        assert StageChange.objects.filter(opportunity=org.opp, overridden=True).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.opportunity_move_stage(
                user,
                org.opp.pk,
                stage_id=second.pk,
                override=True,
                reason="r",
                version=opp_version(org.opp.pk),
            )
    if not (MATRIX[name][0] and APPROVES[name]):
        assert _fresh(org).stage_id != second.pk


# --- reports and exports: role × scope × report ------------------------------------------------
# Every report endpoint of the API and every report page (and its xlsx export) is asked by each
# persona for each scope. A report counts deals by owner and team (kadence.core.visibility, the
# report rule): a seller only ever sees their own figures; a manager or director a unit or seller
# of theirs; an admin anything. A scope out of reach answers 404, as an invisible record does.
# Reports without a scope (company-wide figures, lists already filtered by visibility) answer
# every persona. The lists below are checked against the URL configuration and the OpenAPI schema,
# so a report added without a row here fails test_every_report_is_in_the_matrix.

SCOPED, UNSCOPED = "scoped", "unscoped"

API_REPORTS = {
    "/api/reports/funnel": SCOPED,
    "/api/reports/funnel/trend": SCOPED,
    "/api/reports/analysis": SCOPED,
    "/api/reports/stalled": SCOPED,
    "/api/reports/ideal": SCOPED,
    "/api/reports/capacity": SCOPED,
    "/api/forecast": SCOPED,
    "/api/forecast/submissions": SCOPED,
    "/api/forecast/orders": SCOPED,
    "/api/forecast/accuracy": SCOPED,
    "/api/forecast/probabilistic": SCOPED,
    "/api/forecast/backtest": SCOPED,
    "/api/reports/pipeline-changes": SCOPED,
    "/api/reports/gate-overrides": UNSCOPED,
    "/api/reports/cost-of-sale": UNSCOPED,
    "/api/calibration": UNSCOPED,
    "/api/targets": UNSCOPED,
}
API_NOT_REPORTS = {"/api/targets/{target_id}"}  # one record: test_target_access
REPORT_API_PREFIXES = ("/api/reports", "/api/forecast", "/api/calibration", "/api/targets")

# page URL name → (scoped or not, has an export: xlsx and CSV)
PAGE_REPORTS = {
    "reports": (UNSCOPED, False),
    "funnel": (SCOPED, True),
    "funnel_trend": (SCOPED, False),
    "pipeline_changes": (SCOPED, True),
    "funnel_analysis": (SCOPED, True),
    "stalled_deals": (SCOPED, True),
    "ideal_funnel": (SCOPED, True),
    "forecast": (SCOPED, True),
    "forecast_orders": (SCOPED, False),
    "forecast_accuracy": (SCOPED, False),
    "probabilistic_forecast": (SCOPED, True),
    "forecast_backtest": (SCOPED, True),
    "calibration": (UNSCOPED, True),
    "gate_overrides": (UNSCOPED, False),
    "cost_of_sale": (UNSCOPED, False),
    "targets": (UNSCOPED, False),
}
PAGE_WRITES = {"forecast_submit", "forecast_orders_save", "calibration_recompute", "calibration_switch"}
REPORT_PAGE_PREFIXES = ("reports/", "forecast/", "targets/")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A report's CSV: one file, or a zip of one CSV per sheet (kadence.core.export.report_csv_file).
EXPORT_TYPES = {"xlsx": {XLSX}, "csv": {"text/csv; charset=utf-8", "application/zip"}}

# The scopes asked for, and who may ask for each (persona → scope → allowed).
SCOPES = {
    "default": lambda org: {},
    "unit north-1": lambda org: {"unit_id": org.n1.pk},
    "unit south-1": lambda org: {"unit_id": org.s1.pk},
    "seller rita": lambda org: {"owner_id": org.rita.pk},
    "seller sara": lambda org: {"owner_id": org.sara.pk},
}
REACH = {
    "rita": {"default", "seller rita"},  # a rep: only their own figures
    "mona": {"default", "unit north-1", "seller rita"},  # manager of north-1
    "dora": {"default", "unit north-1", "seller rita"},  # director of north
    "sven": {"default", "unit south-1", "seller sara"},  # director of south
    "ada": set(SCOPES),  # admin: the company
}


def _routes():
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.name

    return list(walk(get_resolver().url_patterns))


def _api_report_paths():
    from config.api import api

    paths = api.get_openapi_schema()["paths"]
    return {
        path: {p["name"] for p in ops["get"].get("parameters", []) if p.get("in") == "query"}
        for path, ops in paths.items()
        if "get" in ops and path.startswith(REPORT_API_PREFIXES)
    }


def test_every_report_is_in_the_matrix(client, org):
    """A new report endpoint, page or export fails here until it has its row (and its cells)."""
    api_paths = _api_report_paths()
    assert set(api_paths) - API_NOT_REPORTS == set(API_REPORTS)
    for path, kind in API_REPORTS.items():
        assert kind == (SCOPED if {"unit_id", "owner_id"} <= api_paths[path] else UNSCOPED), path
    pages = {
        name
        for route, name in _routes()
        if route.startswith(REPORT_PAGE_PREFIXES) and "<" not in route and name not in PAGE_WRITES
    }
    assert pages == set(PAGE_REPORTS)
    client.force_login(org.ada)
    exports = set()
    for name in PAGE_REPORTS:
        response = client.get(reverse(name), {"format": "xlsx"})
        if response.get("Content-Type") == XLSX:
            exports.add(name)
            csv = client.get(reverse(name), {"format": "csv"})  # every report exports to both
            assert csv.get("Content-Type") in EXPORT_TYPES["csv"], name
    assert exports == {name for name, (_kind, xlsx) in PAGE_REPORTS.items() if xlsx}


def _expected(name, kind, scope):
    if kind == UNSCOPED:
        return 200
    return 200 if scope in REACH[name] else 404


def _cells(kind):
    scopes = SCOPES if kind == SCOPED else {"default": SCOPES["default"]}
    return [(name, scope) for name in REACH for scope in scopes]


@pytest.mark.parametrize("path", API_REPORTS)
def test_report_api(org, token_for, path):
    from django.test import Client

    kind = API_REPORTS[path]
    client = Client()
    got, want = {}, {}
    for name, scope in _cells(kind):
        params = SCOPES[scope](org)
        got[name, scope] = client.get(path, params, **token_for(getattr(org, name))).status_code
        want[name, scope] = _expected(name, kind, scope)
    assert got == want


PAGE_CELLS = [(page, "") for page in PAGE_REPORTS] + [
    (page, fmt) for page, (_kind, xlsx) in PAGE_REPORTS.items() if xlsx for fmt in ("xlsx", "csv")
]


@pytest.mark.parametrize(("page", "export"), PAGE_CELLS, ids=[f"{p}-{e}" if e else p for p, e in PAGE_CELLS])
def test_report_page(client, org, page, export):
    kind, _xlsx = PAGE_REPORTS[page]
    got, want = {}, {}
    for name, scope in _cells(kind):
        client.force_login(getattr(org, name))
        params = SCOPES[scope](org) | ({"format": export} if export else {})
        response = client.get(reverse(page), params)
        ok = response.status_code == 200 and (not export or response["Content-Type"] in EXPORT_TYPES[export])
        got[name, scope] = 200 if ok else response.status_code
        want[name, scope] = _expected(name, kind, scope)
    assert got == want


# Targets: who sees (NotFound otherwise) and who sets north-1's target (kadence.core.visibility:
# access_target, can_set_target). persona → (sees, sets).
TARGET_MATRIX = {
    "rita": (False, False),  # a seller sees their own targets only
    "mona": (True, True),  # manager of north-1
    "sam": (False, False),  # manager of another team
    "dora": (True, True),  # director of north
    "sven": (False, False),  # director of south
    "ada": (True, True),
}


@pytest.mark.parametrize("name", TARGET_MATRIX)
def test_target_access(org, name):
    from kadence.core.visibility import access_target
    from kadence.planning.models import Target
    from kadence.planning.services.targets import target_create, target_update

    target = target_create(
        org.ada, unit_id=org.n1.pk, period_kind="quarter", period_start=date.today(), amount="1000000"
    )
    user = getattr(org, name)
    sees, sets = TARGET_MATRIX[name]
    if sees:
        assert access_target(user, target.pk).pk == target.pk
    else:
        with pytest.raises(NotFound):
            access_target(user, target.pk)
    if sets:
        target_update(user, target.pk, version=target.version, amount="2000000")
    else:
        with pytest.raises(PermissionDenied if sees else NotFound):
            target_update(user, target.pk, version=target.version, amount="2000000")
    assert (Target.objects.get(pk=target.pk).amount == Decimal("2000000")) is sets
