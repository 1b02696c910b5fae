"""三上三下 (issue 14 §2): opening on a draft grid, answers with the bottom-up figure stored, the top's
adjustment, the end conditions (agreed in round 2, imposed at round 3), the close that spreads the final
figures into the grid and approves it, who may do what (personas), versions (409), refusals (4xx), the
API, the pages, the export and the approval inbox."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.domain import grid as grid_rules
from kadence.performance.grid import services as grid_services
from kadence.performance.grid.models import GridRow, TargetGrid
from kadence.performance.negotiation import services
from kadence.performance.negotiation.models import Negotiation, NegotiationFigure, NegotiationPolicy
from kadence.performance.negotiation.selectors import waiting_for
from kadence.planning.models import PeriodKind, Target
from kadence.rhythm.inbox.selectors import inbox

YEAR = (date.today() + timedelta(days=90)).year  # the fixture's deals close within the year's window


def make_grid(org, user=None, root=None, **kwargs):
    values = {"root_id": (root or org.company).pk, "year": YEAR, "measure": "revenue", **kwargs}
    return grid_services.grid_create(user or org.ada, **values)


def year_of(row_id):
    return grid_rules.period_value(GridRow.objects.get(pk=row_id).months, "Y")


def open_company(org, north="1000000", south="800000"):
    grid = make_grid(org)
    n = services.negotiation_open(
        org.ada, grid_id=grid.pk, version=grid.version, proposals={org.north.pk: north, org.south.pk: south}
    )
    return grid, n


def fig(n, unit, round_no=None):
    n.refresh_from_db()
    return NegotiationFigure.objects.get(negotiation=n, party__unit=unit, round=round_no or n.round)


def answer(user, n, unit, amount, note=""):
    return services.negotiation_answer(
        user, n.pk, unit_id=unit.pk, committed=amount, version=fig(n, unit).version, note=note
    )


def propose(user, n, **amounts):
    n.refresh_from_db()
    return services.negotiation_propose(user, n.pk, version=n.version, proposals=amounts)


# --- opening -------------------------------------------------------------------------------------------


def test_opening_proposes_round_1_into_the_grid_with_the_bottom_up_figures(org):
    grid, n = open_company(org)
    assert (n.status, n.round, n.max_rounds, n.gap_threshold) == ("answering", 1, 3, D("0.05"))
    parties = {p.unit_id: p for p in n.parties.all()}
    assert set(parties) == {org.north.pk, org.south.pk}
    assert year_of(parties[org.north.pk].row_id) == D(1000000)
    assert year_of(parties[org.south.pk].row_id) == D(800000)
    north = fig(n, org.north)
    assert north.proposed == D(1000000) and north.committed is None
    assert north.bottom_up == north.booked + north.pipeline + north.new_business
    assert north.pipeline > 0 and north.pipeline_source in ("time_aware", "weighted")  # rita's open deal
    assert AuditEntry.objects.filter(entity="performance.negotiation", entity_id=n.pk).exists()
    assert AuditEntry.objects.filter(entity="performance.negotiationfigure", entity_id=north.pk).exists()


def test_a_unit_left_out_is_proposed_its_year_in_the_grid(org):
    grid = make_grid(org)
    row = GridRow.objects.get(grid=grid, unit=org.south)
    grid_services.cells_write(org.ada, grid.pk, [grid_services.CellEdit(row.pk, "Y", "120", row.version)])
    grid.refresh_from_db()
    n = services.negotiation_open(
        org.ada, grid_id=grid.pk, version=grid.version, proposals={org.north.pk: "5"}
    )
    assert fig(n, org.south).proposed == D(120) and fig(n, org.north).proposed == D(5)


def test_opening_refusals(org):
    grid = make_grid(org)
    with pytest.raises(PermissionDenied):
        services.negotiation_open(org.dora, grid_id=grid.pk, version=grid.version)
    with pytest.raises(NotFound):
        services.negotiation_open(org.rita, grid_id=grid.pk + 999, version=1)
    with pytest.raises(Conflict) as stale:
        services.negotiation_open(org.ada, grid_id=grid.pk, version=grid.version + 1)
    assert stale.value.code == "stale"
    with pytest.raises(ValidationFailed):
        services.negotiation_open(org.ada, grid_id=grid.pk, version=grid.version, proposals={org.n1.pk: "1"})
    with pytest.raises(ValidationFailed):
        services.negotiation_open(
            org.ada, grid_id=grid.pk, version=grid.version, proposals={org.north.pk: "-1"}
        )
    rate = make_grid(org, measure="growth")
    with pytest.raises(ValidationFailed) as e:
        services.negotiation_open(org.ada, grid_id=rate.pk, version=rate.version)
    assert e.value.code == "not_additive"
    services.negotiation_open(org.ada, grid_id=grid.pk, version=grid.version)
    with pytest.raises(Conflict) as dup:
        services.negotiation_open(org.ada, grid_id=grid.pk, version=grid.version)
    assert dup.value.code == "duplicate"
    team = make_grid(org, user=org.mona, root=org.n1)
    with pytest.raises(ValidationFailed) as none:
        services.negotiation_open(org.mona, grid_id=team.pk, version=team.version)
    assert none.value.code == "no_units"


def test_an_approved_grid_is_not_negotiated(org):
    grid = make_grid(org)
    grid_services.grid_approve(org.ada, grid.pk, version=grid.version)
    grid.refresh_from_db()
    with pytest.raises(ValidationFailed) as e:
        services.negotiation_open(org.ada, grid_id=grid.pk, version=grid.version)
    assert e.value.code == "not_draft"


# --- rounds ---------------------------------------------------------------------------------------------


def test_the_gap_closes_in_round_2_and_the_close_approves_the_grid(org):
    grid, n = open_company(org)
    answer(org.dora, n, org.north, "900000", "两个大项目推迟")
    n.refresh_from_db()
    assert n.status == "answering"
    answer(org.sven, n, org.south, "700000")
    n.refresh_from_db()
    assert n.status == "adjusting" and fig(n, org.north).gap_pct == D("10.0")
    services.negotiation_propose(org.ada, n.pk, version=n.version, proposals={org.north.pk: "950000"})
    n.refresh_from_db()
    assert n.round == 2 and n.status == "answering"
    assert fig(n, org.south).proposed == D(800000)  # left out: keeps its proposal
    answer(org.dora, n, org.north, "930000")
    answer(org.sven, n, org.south, "780000")
    n.refresh_from_db()
    assert (n.status, n.outcome) == ("settled", "agreed")
    finals = {p.unit_id: p.final for p in n.parties.all()}
    assert finals == {org.north.pk: D(930000), org.south.pk: D(780000)}
    services.negotiation_close(org.ada, n.pk, version=n.version)
    n.refresh_from_db()
    grid.refresh_from_db()
    assert n.status == "closed" and n.closed_by == org.ada and grid.status == TargetGrid.Status.APPROVED
    rows = {(r.unit.code if r.unit else r.user.username): r for r in GridRow.objects.filter(grid=grid)}
    year = {k: grid_rules.period_value(r.months, "Y") for k, r in rows.items()}
    assert year["north"] == D(930000) and year["co"] == D(1710000)
    assert year["north-1"] + year["north-2"] == D(930000)
    assert year["rita"] + year["tom"] == year["north-1"]
    target = Target.objects.get(unit=org.north, period_kind=PeriodKind.YEAR, period_start=date(YEAR, 1, 1))
    assert target.amount == D(930000)
    assert (
        Target.objects.get(user=org.rita, period_kind=PeriodKind.YEAR, period_start=date(YEAR, 1, 1)).amount
        == year["rita"]
    )
    # every round kept
    assert NegotiationFigure.objects.filter(negotiation=n).count() == 4


def test_at_round_3_the_tops_figures_stand(org):
    grid, n = open_company(org)
    for _round in range(3):
        answer(org.dora, n, org.north, "500000")
        answer(org.sven, n, org.south, "800000")
        n.refresh_from_db()
        if n.status == "adjusting":
            propose(org.ada, n)
    assert (n.round, n.status, n.outcome) == (3, "settled", "imposed")
    assert {p.unit_id: p.final for p in n.parties.all()} == {
        org.north.pk: D(1000000),
        org.south.pk: D(800000),
    }
    with pytest.raises(Conflict) as e:
        answer(org.dora, n, org.north, "1")
    assert e.value.code == "not_answering"


def test_the_policy_is_data_and_copied_when_a_negotiation_opens(org):
    policy = NegotiationPolicy.current()
    with pytest.raises(PermissionDenied):
        services.policy_update(org.dora, max_rounds=2, gap_threshold="0.1", version=policy.version)
    with pytest.raises(ValidationFailed):
        services.policy_update(org.ada, max_rounds=0, gap_threshold="0.1", version=policy.version)
    with pytest.raises(ValidationFailed):
        services.policy_update(org.ada, max_rounds=2, gap_threshold="1", version=policy.version)
    policy = services.policy_update(org.ada, max_rounds=1, gap_threshold="0.2", version=policy.version)
    with pytest.raises(Conflict):
        services.policy_update(org.ada, max_rounds=1, gap_threshold="0.2", version=1)
    grid, n = open_company(org)
    assert (n.max_rounds, n.gap_threshold) == (1, D("0.2"))
    answer(org.dora, n, org.north, "850000")  # 15 % off: within 20 %
    answer(org.sven, n, org.south, "100")
    n.refresh_from_db()
    assert (n.status, n.outcome) == ("settled", "imposed")


def test_who_answers_and_who_adjusts(org):
    grid, n = open_company(org)
    with pytest.raises(NotFound):  # south is not in dora's reach: she does not see it
        answer(org.dora, n, org.south, "1")
    with pytest.raises(NotFound):  # a rep sees no negotiation
        services.negotiation_answer(org.rita, n.pk, unit_id=org.north.pk, committed="1", version=1)
    with pytest.raises(NotFound):  # mona reads the grid, but north is above her
        answer(org.mona, n, org.north, "1")
    answer(org.dora, n, org.north, "1000000")
    answer(org.dora, n, org.north, "990000")  # changed while the round waits for south
    answer(org.sven, n, org.south, "100")
    n.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.negotiation_propose(org.dora, n.pk, version=n.version, proposals={})
    with pytest.raises(Conflict) as stale:
        services.negotiation_propose(org.ada, n.pk, version=n.version - 1, proposals={})
    assert stale.value.code == "stale"
    with pytest.raises(Conflict) as early:
        services.negotiation_close(org.ada, n.pk, version=n.version)
    assert early.value.code == "not_settled"


def test_a_stale_answer_is_a_409_and_nothing_is_written(org):
    grid, n = open_company(org)
    first = fig(n, org.north)
    answer(org.dora, n, org.north, "900000")
    with pytest.raises(Conflict) as e:
        services.negotiation_answer(
            org.dora, n.pk, unit_id=org.north.pk, committed="1", version=first.version
        )
    assert e.value.code == "stale" and fig(n, org.north).committed == D(900000)


def test_a_director_negotiates_with_the_teams_below(org):
    grid = make_grid(org, user=org.dora, root=org.north)
    n = services.negotiation_open(
        org.dora, grid_id=grid.pk, version=grid.version, proposals={org.n1.pk: "600000", org.n2.pk: "300000"}
    )
    assert waiting_for(org.mona)[0] == 1 and waiting_for(org.dora)[0] == 0
    answer(org.mona, n, org.n1, "590000")
    answer(org.dora, n, org.n2, "300000")  # no manager: the director answers for north-2
    n.refresh_from_db()
    assert (n.status, n.outcome) == ("settled", "agreed")
    assert waiting_for(org.dora)[1][0]["action"] == "approve" and waiting_for(org.mona)[0] == 0
    services.negotiation_close(org.dora, n.pk, version=n.version)
    grid.refresh_from_db()
    assert grid.status == TargetGrid.Status.APPROVED
    assert Target.objects.get(
        unit=org.n1, period_kind=PeriodKind.YEAR, period_start=date(YEAR, 1, 1)
    ).amount == D(590000)


# --- the inbox -------------------------------------------------------------------------------------------


def test_the_inbox_lists_answers_and_the_tops_turn(org):
    grid, n = open_company(org)
    dora = {lst.kind: lst for lst in inbox(org.dora)}["targets"]
    assert dora.count == 1 and dora.items[0]["action"] == "answer" and dora.items[0]["proposed"] == D(1000000)
    assert {lst.kind: lst for lst in inbox(org.ada)}["targets"].count == 0
    answer(org.dora, n, org.north, "1")
    answer(org.sven, n, org.south, "1")
    ada = {lst.kind: lst for lst in inbox(org.ada)}["targets"]
    assert ada.count == 1 and ada.items[0]["action"] == "adjust"
    assert {lst.kind: lst for lst in inbox(org.dora)}["targets"].count == 0
    assert list({lst.kind: lst for lst in inbox(org.ada)})[-1] == "targets"  # keeps its place, last


def test_the_inbox_page_shows_the_targets_list(org, client):
    open_company(org)
    client.force_login(org.dora)
    body = client.get(reverse("rhythm_inbox")).content.decode()
    assert 'data-testid="inbox-negotiation"' in body


# --- API -------------------------------------------------------------------------------------------------


def post(client, url, body, auth):
    return client.post(url, json.dumps(body), content_type="application/json", **auth)


def test_api_flow(org, client, token_for, django_assert_max_num_queries):
    grid = make_grid(org)
    ada, dora, sven = token_for(org.ada), token_for(org.dora), token_for(org.sven)
    r = post(
        client,
        "/api/performance/negotiations",
        {
            "grid_id": grid.pk,
            "version": grid.version,
            "proposals": [{"unit_id": org.north.pk, "amount": "1000"}],
        },
        ada,
    )
    assert r.status_code == 201, r.content
    nid = r.json()["negotiation"]["id"]
    with django_assert_max_num_queries(8):
        detail = client.get(f"/api/performance/negotiations/{nid}", **dora).json()
    assert [u["name"] for u in detail["units"]] == [str(org.north)] and detail["units"][0]["can_answer"]
    round1 = detail["units"][0]["rounds"][0]
    assert round1["proposed"] == "1000.00" and round1["committed"] is None
    body = {"unit_id": org.north.pk, "committed": "990", "version": round1["version"]}
    r = post(client, f"/api/performance/negotiations/{nid}/answers", body, dora)
    assert r.status_code == 200 and r.json()["units"][0]["rounds"][0]["gap_pct"] == "1.0"
    assert post(client, f"/api/performance/negotiations/{nid}/answers", body, dora).status_code == 409
    south = client.get(f"/api/performance/negotiations/{nid}", **sven).json()["units"][0]
    r = post(
        client,
        f"/api/performance/negotiations/{nid}/answers",
        {"unit_id": org.south.pk, "committed": "0", "version": south["rounds"][0]["version"]},
        sven,
    )
    assert r.json()["negotiation"]["status"] == "settled"
    version = r.json()["negotiation"]["version"]
    assert (
        post(client, f"/api/performance/negotiations/{nid}/close", {"version": version}, dora).status_code
        == 403
    )
    r = post(client, f"/api/performance/negotiations/{nid}/close", {"version": version}, ada)
    assert r.status_code == 200 and r.json()["negotiation"]["status"] == "closed"
    with django_assert_max_num_queries(6):
        listed = client.get("/api/performance/negotiations", **ada).json()
    assert listed["items"][0]["id"] == nid


def test_api_refusals(org, client, token_for):
    grid = make_grid(org)
    ada, rita = token_for(org.ada), token_for(org.rita)
    assert client.get("/api/performance/negotiations", **rita).json()["items"] == []
    assert (
        post(client, "/api/performance/negotiations", {"grid_id": grid.pk, "version": 1}, rita).status_code
        == 403
    )
    r = post(
        client,
        "/api/performance/negotiations",
        {"grid_id": grid.pk, "version": 1, "proposals": [{"unit_id": org.north.pk, "amount": "-5"}]},
        ada,
    )
    assert r.status_code == 422
    assert post(client, "/api/performance/negotiations", {"grid_id": grid.pk}, ada).status_code == 422
    r = post(client, "/api/performance/negotiations", {"grid_id": grid.pk, "version": 1}, ada)
    nid = r.json()["negotiation"]["id"]
    assert client.get(f"/api/performance/negotiations/{nid}", **rita).status_code == 404
    assert client.get("/api/performance/negotiations/99999999", **ada).status_code == 404
    r = post(client, f"/api/performance/negotiations/{nid}/proposals", {"version": 2}, ada)
    assert r.status_code == 409 and r.json()["code"] == "stale"
    r = post(client, f"/api/performance/negotiations/{nid}/proposals", {"version": 1}, ada)
    assert r.status_code == 409 and r.json()["code"] == "not_adjusting"
    body = {"unit_id": org.n1.pk, "committed": "1", "version": 1}
    assert post(client, f"/api/performance/negotiations/{nid}/answers", body, ada).status_code == 404
    policy = client.get("/api/performance/negotiation-policy", **rita).json()
    assert policy == {"max_rounds": 3, "gap_threshold": "0.0500", "version": 1} or policy["max_rounds"] == 3
    body = {"max_rounds": 2, "gap_threshold": "0.1", "version": 1}
    assert (
        client.put(
            "/api/performance/negotiation-policy", json.dumps(body), content_type="application/json", **rita
        ).status_code
        == 403
    )
    r = client.put(
        "/api/performance/negotiation-policy", json.dumps(body), content_type="application/json", **ada
    )
    assert r.status_code == 200 and r.json()["max_rounds"] == 2


# --- pages -----------------------------------------------------------------------------------------------


def test_pages_open_answer_adjust_close_and_export(org, client, django_assert_max_num_queries):
    grid = make_grid(org)
    client.force_login(org.ada)
    assert "hub-negotiation" in client.get(reverse("performance_hub")).content.decode()
    body = client.get(reverse("performance_negotiations") + f"?grid_id={grid.pk}").content.decode()
    assert f'name="p-{org.north.pk}"' in body
    r = client.post(
        reverse("performance_negotiations"),
        {
            "grid_id": grid.pk,
            "version": grid.version,
            f"p-{org.north.pk}": "1,000,000",
            f"p-{org.south.pk}": "800000",
        },
    )
    n = Negotiation.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("performance_negotiation", args=[n.pk])
    url = reverse("performance_negotiation", args=[n.pk])
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert 'data-chart="negotiation-timeline"' in page and 'data-testid="answer-north"' in page
    client.force_login(org.dora)
    page = client.get(url).content.decode()
    assert 'data-testid="answer-north"' in page and 'data-testid="answer-south"' not in page
    r = client.post(
        reverse("performance_negotiation_answer", args=[n.pk]),
        {"unit_id": org.north.pk, "committed": "900,000", "version": fig(n, org.north).version},
    )
    assert r.status_code == 302 and fig(n, org.north).committed == D(900000)
    r = client.post(
        reverse("performance_negotiation_answer", args=[n.pk]),
        {"unit_id": org.north.pk, "committed": "x", "version": fig(n, org.north).version},
    )
    assert r.status_code == 302 and fig(n, org.north).committed == D(900000)  # refused, message shown
    client.force_login(org.sven)
    client.post(
        reverse("performance_negotiation_answer", args=[n.pk]),
        {"unit_id": org.south.pk, "committed": "800000", "version": fig(n, org.south).version},
    )
    client.force_login(org.ada)
    page = client.get(url).content.decode()
    assert 'data-testid="negotiation-adjust"' in page
    n.refresh_from_db()
    client.post(
        reverse("performance_negotiation_propose", args=[n.pk]),
        {"version": n.version, f"p-{org.north.pk}": "920000"},
    )
    n.refresh_from_db()
    assert n.round == 2
    response = client.get(url + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 1 + 4  # header + 2 units × 2 rounds
    client.force_login(org.rita)
    assert client.get(url).status_code == 404
