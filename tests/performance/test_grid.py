"""The target grid (天罗地网, issue 14 §1): making a grid from the organisation, cell edits (a quarter or
the year spread by the remainder rule), spreading down and rolling up, who edits which row, the version
check, approval into planning.Target, the xlsx round trip, and the API and pages with their query counts."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import translation

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.domain import grid as rules
from kadence.performance.grid import services
from kadence.performance.grid.models import GridRow, TargetGrid
from kadence.performance.grid.selectors import grid_level, grid_sheet, grid_state
from kadence.planning.models import Target
from kadence.planning.services.targets import target_create

YEAR = 2026


def make_grid(org, **kwargs):
    values = {"root_id": org.company.pk, "year": YEAR, "measure": "revenue"}
    values.update(kwargs)
    return services.grid_create(org.ada, **values)


def rows_by(grid):
    rows = {}
    for row in GridRow.objects.filter(grid=grid).select_related("unit", "user"):
        rows[row.unit.code if row.unit else row.user.username] = row
    return rows


def edit(user, grid, row, period, amount, version=None):
    return services.cells_write(
        user,
        grid.pk,
        [services.CellEdit(row.pk, period, amount, row.version if version is None else version)],
    )


def balanced(grid):
    return grid_state_all(grid)["unbalanced"] == []


def grid_state_all(grid):
    from kadence.core.models import User

    return grid_state(User.objects.get(username="ada"), grid)


# --- making a grid --------------------------------------------------------------------------------


def test_a_grid_has_a_row_for_every_unit_and_seller_in_the_tree(org):
    grid = make_grid(org)
    rows = rows_by(grid)
    assert set(rows) == {
        "co",
        "north",
        "south",
        "north-1",
        "north-2",
        "south-1",
        "rita",
        "tom",
        "nick",
        "sara",
    }
    assert rows["rita"].parent_id == rows["north-1"].pk and rows["rita"].under_id == org.n1.pk
    assert rows["north-1"].parent_id == rows["north"].pk and rows["co"].parent_id is None
    positions = [r.pk for r in GridRow.objects.filter(grid=grid).order_by("position")]
    assert (
        positions.index(rows["north"].pk)
        < positions.index(rows["north-1"].pk)
        < positions.index(rows["rita"].pk)
    )
    assert AuditEntry.objects.filter(entity="performance.targetgrid", entity_id=grid.pk).exists()


def test_a_revenue_grid_starts_from_the_monthly_targets_already_set(org):
    target_create(
        org.ada, unit_id=org.n1.pk, period_kind="month", period_start=date(YEAR, 3, 1), amount="500"
    )
    grid = make_grid(org)
    assert rows_by(grid)["north-1"].m3 == D("500.00")
    other = make_grid(org, tier="stretch")
    assert rows_by(other)["north-1"].m3 == D(0)


def test_making_a_grid_is_for_who_sets_the_root_target(org):
    with pytest.raises(PermissionDenied):
        services.grid_create(org.mona, root_id=org.company.pk, year=YEAR, measure="revenue")
    with pytest.raises(PermissionDenied):
        services.grid_create(org.rita, root_id=org.n1.pk, year=YEAR, measure="revenue")
    grid = services.grid_create(org.dora, root_id=org.north.pk, year=YEAR, measure="orders")
    assert set(rows_by(grid)) == {"north", "north-1", "north-2", "rita", "tom", "nick"}
    with pytest.raises(Conflict) as exc:
        services.grid_create(org.dora, root_id=org.north.pk, year=YEAR, measure="orders")
    assert exc.value.code == "duplicate" and exc.value.extra["existing_id"] == grid.pk
    for bad in ({"year": 1999}, {"measure": "nope"}, {"tier": "gold"}, {"root_id": 999999}):
        with pytest.raises(ValidationFailed):
            services.grid_create(
                org.ada, **{"root_id": org.company.pk, "year": YEAR, "measure": "revenue", **bad}
            )


# --- edits, spread, roll-up ---------------------------------------------------------------------------


def test_setting_the_year_spreads_it_over_the_months_to_the_cent_and_spreading_down_balances(org):
    grid = make_grid(org)
    rows = rows_by(grid)
    edit(org.ada, grid, rows["co"], "Y", "1000000.00")
    co = GridRow.objects.get(pk=rows["co"].pk)
    assert co.months == [D("83333.34")] * 4 + [D("83333.33")] * 8  # 4 remaining cents to the first months
    assert co.version == 2
    assert not balanced(grid)
    services.row_spread(org.ada, grid.pk, co.pk, version=co.version)
    assert balanced(grid)
    rows = rows_by(grid)
    assert sum((rows[n].m1 for n in ("rita", "tom", "nick", "sara")), D(0)) == co.m1
    assert rows["north"].m1 == D("41666.67") and rows["south"].m1 == D("41666.67")
    assert AuditEntry.objects.filter(
        entity="performance.gridrow", entity_id=rows["rita"].pk, field="months"
    ).exists()


def test_roll_up_sets_units_to_the_sum_below(org):
    grid = make_grid(org)
    rows = rows_by(grid)
    edit(org.mona, grid, rows["rita"], "Q1", "300")
    edit(org.mona, grid, rows["tom"], "M2", "50.5")
    n1 = GridRow.objects.get(pk=rows["north-1"].pk)
    services.row_roll_up(org.dora, grid.pk, n1.pk, version=n1.version)
    n1.refresh_from_db()
    assert n1.months[:3] == [D(100), D("150.50"), D(100)]
    level = grid_level(org.dora, grid, rows["north"].pk)
    assert not level.balanced and dict(level.gap)["Q1"] == D("-350.50")


def test_a_manager_edits_only_the_rows_below_their_units(org):
    grid = make_grid(org)
    rows = rows_by(grid)
    edit(org.mona, grid, rows["rita"], "M1", "10")
    with pytest.raises(PermissionDenied):  # their own team's row is handed down from above
        edit(org.mona, grid, rows["north-1"], "M1", "10")
    with pytest.raises(NotFound):  # another team's seller is not theirs to read
        edit(org.mona, grid, rows["sara"], "M1", "10")
    with pytest.raises(PermissionDenied):
        services.row_roll_up(org.mona, grid.pk, rows["north-1"].pk, version=rows["north-1"].version)
    edit(org.dora, grid, rows["north-1"], "M1", "10")
    with pytest.raises(NotFound):
        edit(org.rita, grid, rows["tom"], "M1", "1")
    with pytest.raises(PermissionDenied):  # a rep reads their own row, never writes it
        edit(org.rita, grid, rows["rita"], "M1", "1")


def test_a_rep_reads_their_own_row_only(org):
    grid = make_grid(org)
    level = grid_level(org.rita, grid)
    assert (
        level.node.name and level.node.kind == "seller" and level.children == [] and not level.node.editable
    )
    with translation.override("en"):
        columns, lines = grid_sheet(org.rita, grid)
    assert len(lines) == 1 and lines[0][3] == "rita"
    assert [c.header for c in columns][:3] == ["Row id", "Version", "Kind"]
    with pytest.raises(NotFound):
        grid_level(org.rita, grid, rows_by(grid)["tom"].pk)
    mona = grid_level(org.mona, grid)
    assert mona.node.ref_id == org.n1.pk and {c.code for c in mona.children} == {"rita", "tom"}
    assert not mona.node.editable and all(c.editable for c in mona.children)


def test_a_stale_version_is_a_409_and_nothing_is_written(org):
    grid = make_grid(org)
    rows = rows_by(grid)
    edit(org.mona, grid, rows["rita"], "M1", "10")
    with pytest.raises(Conflict) as exc:
        services.cells_write(
            org.mona,
            grid.pk,
            [
                services.CellEdit(rows["tom"].pk, "M1", "5", rows["tom"].version),
                services.CellEdit(rows["rita"].pk, "M2", "5", rows["rita"].version),  # read before the edit
            ],
        )
    assert exc.value.code == "stale" and exc.value.extra["rows"] == [{"id": rows["rita"].pk, "version": 2}]
    assert GridRow.objects.get(pk=rows["tom"].pk).m1 == 0


def test_bad_cells_are_refused(org):
    grid = make_grid(org)
    rita = rows_by(grid)["rita"]
    for period, amount, version in (
        ("M13", "1", rita.version),
        ("M1", "-1", rita.version),
        ("M1", "x", rita.version),
        ("M1", "1", None),
    ):
        with pytest.raises(ValidationFailed):
            services.cells_write(org.ada, grid.pk, [services.CellEdit(rita.pk, period, amount, version)])


def test_a_rate_is_copied_not_spread(org):
    grid = make_grid(org, measure="growth")
    rows = rows_by(grid)
    edit(org.ada, grid, rows["co"], "Y", "12.5")
    co = GridRow.objects.get(pk=rows["co"].pk)
    assert co.months == [D("12.5")] * 12
    services.row_spread(org.ada, grid.pk, co.pk, version=co.version)
    assert rows_by(grid)["rita"].months == [D("12.5")] * 12
    assert grid_level(org.ada, grid).gap == []


# --- approval -------------------------------------------------------------------------------------------


def test_approval_needs_a_balanced_grid_and_writes_the_targets_of_record(org):
    target_create(
        org.ada, user_id=org.rita.pk, period_kind="quarter", period_start=date(YEAR, 1, 1), amount="7"
    )
    grid = make_grid(org)
    co = rows_by(grid)["co"]
    edit(org.ada, grid, co, "Y", "1200000")
    grid.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        services.grid_approve(org.ada, grid.pk, version=grid.version)
    assert exc.value.code == "unbalanced"
    co.refresh_from_db()
    services.row_spread(org.ada, grid.pk, co.pk, version=co.version)
    with pytest.raises(PermissionDenied):
        services.grid_approve(org.dora, grid.pk, version=grid.version)
    with pytest.raises(Conflict):
        services.grid_approve(org.ada, grid.pk, version=grid.version + 5)
    services.grid_approve(org.ada, grid.pk, version=grid.version)
    grid.refresh_from_db()
    assert grid.status == "approved"
    assert Target.objects.get(
        unit=org.company, period_kind="year", period_start=date(YEAR, 1, 1)
    ).amount == D(1200000)
    assert Target.objects.filter(period_start__year=YEAR).count() == 10 * 17
    rita_q1 = Target.objects.get(user=org.rita, period_kind="quarter", period_start=date(YEAR, 1, 1))
    assert rita_q1.amount == D(37500) and rita_q1.version == 2  # the one set before, changed and versioned
    assert AuditEntry.objects.filter(entity="planning.target", entity_id=rita_q1.pk, field="amount").exists()
    # an edit after approval puts it back to draft; the targets stay until it is approved again
    edit(org.ada, grid, rows_by(grid)["rita"], "M1", "1")
    grid.refresh_from_db()
    assert grid.status == "draft"
    assert Target.objects.get(pk=rita_q1.pk).amount == D(37500)


def test_only_the_base_revenue_grid_becomes_the_target_of_record(org):
    grid = make_grid(org, tier="stretch")
    services.grid_approve(org.ada, grid.pk, version=grid.version)
    assert not Target.objects.exists()


# --- export and import ------------------------------------------------------------------------------------


def test_the_xlsx_export_imports_back_unchanged_and_an_edited_one_applies(org, client):
    grid = make_grid(org)
    co = rows_by(grid)["co"]
    edit(org.ada, grid, co, "Y", "999.99")
    client.force_login(org.ada)
    url = reverse("performance_grid", args=[grid.pk])
    content = client.get(url + "?format=xlsx").content
    before = {r.pk: (r.months, r.version) for r in GridRow.objects.filter(grid=grid)}
    assert services.grid_import(org.ada, grid.pk, io.BytesIO(content), "xlsx") == 0
    assert {r.pk: (r.months, r.version) for r in GridRow.objects.filter(grid=grid)} == before

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))  # written in the client's language, read back in any
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    for line in sheet.iter_rows(min_row=2):
        if line[headers.index(_header("code"))].value == "rita":
            line[headers.index(_header("M5"))].value = 1234.56
    buffer = io.BytesIO()
    book.save(buffer)
    assert services.grid_import(org.ada, grid.pk, io.BytesIO(buffer.getvalue()), "xlsx") == 1
    assert rows_by(grid)["rita"].m5 == D("1234.56")
    with pytest.raises(Conflict):  # the file is now older than the row
        services.grid_import(org.ada, grid.pk, io.BytesIO(buffer.getvalue()), "xlsx")
    with pytest.raises(ValidationFailed):
        services.grid_import(org.ada, grid.pk, io.BytesIO(b"a,b\n1,2\n"), "csv")


def _header(key):
    from kadence.performance.grid.selectors import sheet_headers

    return sheet_headers()[key]


def test_the_csv_export_round_trips_too(org, client):
    grid = make_grid(org)
    edit(org.ada, grid, rows_by(grid)["co"], "Q3", "100")
    client.force_login(org.ada)
    content = client.get(reverse("performance_grid", args=[grid.pk]) + "?format=csv").content
    assert services.grid_import(org.ada, grid.pk, io.BytesIO(content), "csv") == 0


# --- API --------------------------------------------------------------------------------------------------


def test_api_create_read_write_spread_approve(org, client, token_for, django_assert_max_num_queries):
    auth = token_for(org.ada)
    r = client.post(
        "/api/performance/grids",
        json.dumps({"root_id": org.company.pk, "year": YEAR, "measure": "revenue"}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    gid = r.json()["id"]
    with django_assert_max_num_queries(8):
        level = client.get(f"/api/performance/grids/{gid}", **auth).json()
    co = level["row"]
    assert co["kind"] == "unit" and len(level["children"]) == 2 and level["balanced"]
    body = {"cells": [{"row_id": co["id"], "period": "Y", "amount": "1200", "version": co["version"]}]}
    with django_assert_max_num_queries(14):
        r = client.patch(
            f"/api/performance/grids/{gid}/cells", json.dumps(body), content_type="application/json", **auth
        )
    assert r.status_code == 200 and r.json() == {"changed": 1}
    r = client.patch(
        f"/api/performance/grids/{gid}/cells", json.dumps(body), content_type="application/json", **auth
    )
    assert r.status_code == 409 and r.json()["code"] == "stale"
    level = client.get(f"/api/performance/grids/{gid}", **auth).json()
    assert level["gap"]["Y"] == "1200.00" and not level["balanced"]
    r = client.post(
        f"/api/performance/grids/{gid}/approve",
        json.dumps({"version": 1}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and r.json()["code"] == "unbalanced"
    r = client.post(
        f"/api/performance/grids/{gid}/rows/{co['id']}/spread",
        json.dumps({"version": co["version"] + 1}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200 and r.json()["changed"] == 9
    r = client.post(
        f"/api/performance/grids/{gid}/approve",
        json.dumps({"version": 1}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert client.get("/api/performance/grids", **auth).json()["items"][0]["id"] == gid


def test_api_refusals(org, client, token_for):
    grid = make_grid(org)
    rows = rows_by(grid)
    mona = token_for(org.mona)
    cell = {"row_id": rows["north-1"].pk, "period": "M1", "amount": "1", "version": 1}
    r = client.patch(
        f"/api/performance/grids/{grid.pk}/cells",
        json.dumps({"cells": [cell]}),
        content_type="application/json",
        **mona,
    )
    assert r.status_code == 403
    r = client.patch(
        f"/api/performance/grids/{grid.pk}/cells",
        json.dumps({"cells": [{**cell, "period": "M0"}]}),
        content_type="application/json",
        **mona,
    )
    assert r.status_code == 422
    assert client.get("/api/performance/grids/999999", **mona).status_code == 404
    assert client.get(f"/api/performance/grids/{grid.pk}?row_id={rows['sara'].pk}", **mona).status_code == 404
    other = services.grid_create(org.sven, root_id=org.south.pk, year=YEAR, measure="revenue")
    assert client.get(f"/api/performance/grids/{other.pk}", **mona).status_code == 404
    r = client.post(
        "/api/performance/grids",
        json.dumps({"root_id": org.company.pk, "year": YEAR, "measure": "revenue"}),
        content_type="application/json",
        **mona,
    )
    assert r.status_code == 403


# --- pages ------------------------------------------------------------------------------------------------


def test_pages_show_the_level_and_save_a_cell_with_htmx(org, client, django_assert_max_num_queries):
    grid = make_grid(org)
    rows = rows_by(grid)
    client.force_login(org.dora)
    assert "hub-grid" in client.get(reverse("performance_hub")).content.decode()
    page = client.get(reverse("performance_grids")).content.decode()
    assert f'href="{reverse("performance_grid", args=[grid.pk])}"' in page
    url = reverse("performance_grid", args=[grid.pk])
    with django_assert_max_num_queries(14):
        body = client.get(url).content.decode()
    assert 'data-testid="grid-node"' in body and f'name="c-{rows["north-1"].pk}-M1"' in body
    assert f'name="c-{rows["north"].pk}-M1"' not in body  # dora's own region row: read only
    r = client.post(
        reverse("performance_grid_cells", args=[grid.pk]),
        {"row": rows["north"].pk, f"c-{rows['north-1'].pk}-Q1": "3,000", f"v-{rows['north-1'].pk}": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and 'data-testid="grid-gap"' in r.content.decode()
    assert GridRow.objects.get(pk=rows["north-1"].pk).m1 == D(1000)
    r = client.post(
        reverse("performance_grid_cells", args=[grid.pk]),
        {"row": rows["north"].pk, f"c-{rows['north-1'].pk}-Q1": "9", f"v-{rows['north-1'].pk}": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 409 and 'data-testid="grid-error"' in r.content.decode()
    r = client.post(
        reverse("performance_grid_cells", args=[grid.pk]),
        {"row": rows["north"].pk, f"c-{rows['sara'].pk}-Q1": "9", f"v-{rows['sara'].pk}": "1"},
    )
    assert r.status_code == 404


def test_the_create_form_and_a_reps_page(org, client):
    client.force_login(org.ada)
    r = client.post(
        reverse("performance_grids"),
        {"root_id": org.company.pk, "year": YEAR, "measure": "activity", "tier": "base"},
    )
    grid = TargetGrid.objects.get(measure="activity")
    assert r.status_code == 302 and r["Location"] == reverse("performance_grid", args=[grid.pk])
    r = client.post(
        reverse("performance_grids"),
        {"root_id": org.company.pk, "year": "x", "measure": "activity", "tier": "base"},
    )
    assert r.status_code == 422
    client.force_login(org.rita)
    body = client.get(reverse("performance_grid", args=[grid.pk])).content.decode()
    assert 'data-testid="grid-node"' in body and '<input class="cell"' not in body
    assert client.get(reverse("performance_grids")).status_code == 200
    client.force_login(org.sam)
    assert (
        client.get(
            reverse("performance_grid", args=[grid.pk]) + f"?row={rows_by(grid)['rita'].pk}"
        ).status_code
        == 404
    )


def test_remainder_rule_is_the_domain_one():
    assert rules.spread(D("0.05"), [D(1), D(1)]) == [D("0.03"), D("0.02")]


# --- split by product line --------------------------------------------------------------------------


def test_a_grid_split_by_product_line_breaks_each_seller_down_and_keeps_every_level_exact(
    org, client, token_for
):
    from kadence.pipeline.models import ProductLine

    ProductLine.objects.all().delete()
    meters = ProductLine.objects.create(code="meter", name_zh="电表", name_en="Meters")
    scada = ProductLine.objects.create(code="scada", name_zh="监控系统", name_en="SCADA")
    grid = make_grid(org, split="product_line")
    lines = GridRow.objects.filter(grid=grid, product_line__isnull=False)
    sellers = GridRow.objects.filter(grid=grid, user__isnull=False, product_line__isnull=True)
    assert lines.count() == 2 * sellers.count() > 0
    rita = sellers.get(user=org.rita)
    rita_lines = {r.product_line_id: r for r in lines.filter(parent=rita)}
    assert set(rita_lines) == {meters.pk, scada.pk}
    assert all(r.under_id == rita.under_id and r.user_id == org.rita.pk for r in rita_lines.values())
    # the company's year spread down reaches the product lines; every level adds up to the cent
    co = rows_by_unit(grid, org.company)
    edit(org.ada, grid, co, "Y", "1000000.01")
    co.refresh_from_db()
    services.row_spread(org.ada, grid.pk, co.pk, version=co.version)
    assert balanced(grid)
    rita.refresh_from_db()
    parts = [GridRow.objects.get(pk=r.pk) for r in rita_lines.values()]
    assert [sum(p.months[m] for p in parts) for m in range(12)] == rita.months and rita.months[0] > 0
    # a manager reshapes rita's split from her row; the rep cannot, and a line row has nothing below it
    meter_row = GridRow.objects.get(pk=rita_lines[meters.pk].pk)
    edit(org.mona, grid, meter_row, "M1", "0")
    assert not balanced(grid)
    rita.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.row_spread(org.rita, grid.pk, rita.pk, version=rita.version)
    with pytest.raises(PermissionDenied):
        services.row_spread(org.mona, grid.pk, meter_row.pk, version=meter_row.version + 1)
    services.row_spread(org.mona, grid.pk, rita.pk, version=rita.version)
    assert balanced(grid)
    scada_m1 = GridRow.objects.get(pk=rita_lines[scada.pk].pk).m1
    assert scada_m1 == rita.m1  # the line that was left carries the month in full
    # the level view and the sheet name the product lines; the approval writes only the org's targets
    level = grid_level(org.mona, grid, rita.pk)
    assert {c.kind for c in level.children} == {"line"} and level.balanced
    with translation.override("en"):
        _cols, sheet = grid_sheet(org.ada, grid)
    assert any(line[2] == "Product line" and line[4].endswith("· Meters") for line in sheet)
    grid.refresh_from_db()
    services.grid_approve(org.ada, grid.pk, version=grid.version)
    assert Target.objects.filter(period_start__year=YEAR).count() == sellers.count() * 17 + (
        GridRow.objects.filter(grid=grid, unit__isnull=False).count() * 17
    )
    # the API makes a split grid too, says so, and names a seller's lines below the seller's row
    auth = token_for(org.ada)
    body = {"root_id": org.company.pk, "year": YEAR, "measure": "revenue", "tier": "stretch"}
    r = client.post(
        "/api/performance/grids",
        json.dumps({**body, "split": "product_line"}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json()["split"] == "product_line"
    made = GridRow.objects.get(grid_id=r.json()["id"], user=org.rita, product_line__isnull=True)
    level = client.get(f"/api/performance/grids/{r.json()['id']}", {"row_id": made.pk}, **auth).json()
    assert sorted((c["kind"], c["ref_id"]) for c in level["children"]) == [
        ("line", meters.pk),
        ("line", scada.pk),
    ]
    r = client.post(
        "/api/performance/grids",
        json.dumps({**body, "split": "customer"}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422


def rows_by_unit(grid, unit):
    return GridRow.objects.get(grid=grid, unit=unit)


def test_a_grid_split_by_account_gives_each_seller_a_row_per_account_they_own(org, client, token_for):
    from kadence.accounts.services import account_create

    second = account_create(org.rita, name="华能集团", industry_id=org.industry.pk, region_id=org.north.pk)
    grid = make_grid(org, split="account")
    parts = GridRow.objects.filter(grid=grid, account__isnull=False)
    assert sorted((r.user_id, r.account_id) for r in parts) == sorted(
        [(org.rita.pk, org.account.pk), (org.rita.pk, second.pk), (org.sara.pk, org.sara_account.pk)]
    )
    rita = GridRow.objects.get(grid=grid, user=org.rita, account__isnull=True)
    edit(org.mona, grid, rita, "Y", "1000.01")
    rita.refresh_from_db()
    assert not grid_level(org.mona, grid, rita.pk).balanced
    services.row_spread(org.mona, grid.pk, rita.pk, version=rita.version)
    rita.refresh_from_db()
    level = grid_level(org.mona, grid, rita.pk)
    assert level.balanced
    assert {(c.kind, c.name) for c in level.children} == {
        ("account", "国网江苏电力"),
        ("account", "华能集团"),
    }
    assert sum(c.months[0] for c in level.children) == rita.months[0]
    # the rep reads their own accounts' rows, not another seller's
    assert {c.ref_id for c in grid_level(org.rita, grid, rita.pk).children} == {org.account.pk, second.pk}
    with pytest.raises(NotFound):
        grid_level(org.rita, grid, parts.get(account=org.sara_account).pk)
    r = client.get(f"/api/performance/grids/{grid.pk}", {"row_id": rita.pk}, **token_for(org.ada))
    assert {c["kind"] for c in r.json()["children"]} == {"account"}
