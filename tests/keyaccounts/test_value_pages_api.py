"""Value pages and API: what each persona sees, the drill-down URL and test ids, the exports, BP entry with
409 on a stale version, configuration for admins only, bad input answering 4xx, and query counts."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.keyaccounts.value.models import BuyingPower
from tests.keyaccounts.value_world import YEAR, build

pytestmark = pytest.mark.django_db
API = "/api/keyaccounts/value"


@pytest.fixture
def world(org):
    return build(org)


def test_the_rad_page_drills_into_a_cell(client, world, django_assert_max_num_queries):
    client.force_login(world.mona)
    url = reverse("keyaccounts_rad")
    client.get(url, {"year": YEAR})
    with django_assert_max_num_queries(16):
        page = client.get(url, {"year": YEAR, "cell": "R1"})
    html = page.content.decode()
    assert page.status_code == 200
    for cell in ("R1", "R2", "R3", "D1", "D2", "D3", "A1", "A2", "A3"):
        assert f'data-testid="rad-cell-{cell}"' in html
    assert 'data-testid="rad-drill"' in html and f'data-account="{world.g.pk}"' in html
    assert f'data-account="{world.b.pk}"' not in html
    assert 'data-testid="rad-moves"' in html and 'data-testid="rad-focus"' in html
    assert 'data-testid="rad-compute"' not in html
    assert client.get(url, {"cell": "X9", "year": YEAR}).status_code == 422
    assert client.get(url, {"year": "1800"}).status_code == 422
    assert client.get(url, {"unit_id": world.s1.pk}).status_code == 404


def test_the_rad_export_has_every_table(client, world):
    client.force_login(world.ada)
    export = client.get(reverse("keyaccounts_rad"), {"year": YEAR, "cell": "R1", "format": "xlsx"})
    book = load_workbook(io.BytesIO(export.content))
    assert len(book.worksheets) == 4
    matrix = list(book.worksheets[0].iter_rows(values_only=True))
    assert matrix[1][:2] == ("R1", 1)
    drill = list(book.worksheets[3].iter_rows(values_only=True))
    assert drill[1][0] == world.g.name
    assert client.get(reverse("keyaccounts_rad"), {"year": YEAR, "format": "csv"}).status_code == 200


def test_an_admin_recomputes_and_a_rep_may_not(client, world):
    client.force_login(world.ada)
    assert 'data-testid="rad-compute"' in client.get(reverse("keyaccounts_rad")).content.decode()
    assert client.post(reverse("keyaccounts_value_compute"), {"year": YEAR}).status_code == 302
    client.force_login(world.rita)
    client.post(reverse("keyaccounts_value_compute"), {"year": YEAR})
    assert client.get(reverse("keyaccounts_value_compute")).status_code == 405


def test_the_abc_and_territory_pages(client, world, django_assert_max_num_queries):
    client.force_login(world.rita)
    url = reverse("keyaccounts_abc")
    client.get(url, {"year": YEAR})
    with django_assert_max_num_queries(14):
        page = client.get(url, {"year": YEAR, "basis": "profit"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="abc-class-A"' in html and "abc-figure" in html
    assert f'data-account="{world.c.pk}"' not in html  # tom's
    assert client.get(url, {"basis": "margin"}).status_code == 422
    assert client.get(url, {"klass": "D"}).status_code == 422
    rows = list(
        load_workbook(io.BytesIO(client.get(url, {"year": YEAR, "format": "xlsx"}).content))
        .worksheets[1]
        .iter_rows(values_only=True)
    )
    assert rows[1][1] == world.g.name and rows[1][5] == "A"
    client.force_login(world.ada)
    t = client.get(reverse("keyaccounts_territories"), {"by": "region"})
    assert t.status_code == 200 and 'data-testid="territories"' in t.content.decode()
    assert client.get(reverse("keyaccounts_territories"), {"by": "planet"}).status_code == 422
    assert client.get(reverse("keyaccounts_territories"), {"days": "0"}).status_code == 422
    assert client.get(reverse("keyaccounts_territories"), {"format": "xlsx"}).status_code == 200


def test_the_account_page_shows_the_value_card_and_saves_bp(client, world):
    client.force_login(world.rita)
    url = reverse("account_detail", args=[world.g.pk])
    assert 'data-testid="kam-account-value-slot"' in client.get(url).content.decode()
    html = client.get(reverse("keyaccounts_account_value_card", args=[world.g.pk])).content.decode()
    assert 'data-testid="kam-account-value"' in html and 'data-testid="kam-soa"' in html
    assert 'data-testid="kam-bp-form"' in html
    row = BuyingPower.objects.get(account=world.g, year=YEAR)
    post = reverse("keyaccounts_bp_post", args=[world.g.pk])
    assert client.post(post, {"year": YEAR, "amount": "2500000", "version": row.version}).status_code == 302
    row.refresh_from_db()
    assert row.amount == 2500000 and row.version == 2
    client.post(post, {"year": YEAR, "amount": "9", "version": "1"})  # stale: refused with a message
    row.refresh_from_db()
    assert row.amount == 2500000
    client.force_login(world.sara)
    assert client.post(post, {"year": YEAR, "amount": "1"}).status_code == 404
    assert client.get(reverse("keyaccounts_account_value_card", args=[world.g.pk])).status_code == 404


def test_the_api_reads_per_persona(client, world, token_for):
    rita, ada, sam = token_for(world.rita), token_for(world.ada), token_for(world.sam)
    rad = client.get(f"{API}/rad", {"year": YEAR}, **ada).json()
    assert rad["total"] == 3 and {c["cell"]: c["accounts"] for c in rad["cells"]}["R1"] == 1
    assert client.get(f"{API}/rad", {"year": YEAR}, **rita).json()["total"] == 2
    assert client.get(f"{API}/rad", {"year": YEAR}, **sam).json()["total"] == 0
    drill = client.get(f"{API}/rad/accounts", {"year": YEAR, "cell": "R1"}, **ada).json()
    assert drill["count"] == 1 and drill["items"][0]["account_id"] == world.g.pk
    assert drill["items"][0]["sow"] == "0.600000" or float(drill["items"][0]["sow"]) == 0.6
    moves = client.get(f"{API}/rad/transitions", {"year": YEAR}, **ada).json()["items"]
    assert {"before": "A1", "after": "R1", "accounts": 1} in moves
    focus = client.get(f"{API}/rad/focus", {"year": YEAR}, **ada).json()
    assert focus["low"] == 10 and any(i["flags"] == ["few_r", "few_d"] for i in focus["items"])
    abc = client.get(f"{API}/abc", {"year": YEAR, "basis": "volume"}, **ada).json()
    assert [c["accounts"] for c in abc["classes"]] == [2, 0, 2]
    accounts = client.get(f"{API}/abc/accounts", {"year": YEAR, "klass": "A"}, **ada).json()
    assert [i["account_id"] for i in accounts["items"]] == [world.g.pk]
    value = client.get(f"{API}/accounts/{world.g.pk}", {"year": YEAR}, **rita).json()
    assert value["cell"] == "R1" and value["group"]["units"] == 3 and value["bp_source"] == "entry"
    assert client.get(f"{API}/accounts/{world.g.pk}", **token_for(world.sara)).status_code == 404
    cov = client.get(f"{API}/coverage", {"by": "team"}, **ada).json()
    assert cov["days"] == 90 and sum(i["accounts"] for i in cov["items"]) == 4
    for bad in ({"cell": "Z1"}, {"cell": "R1", "year": 1999}, {"cell": "R1", "page_size": 0}):
        assert client.get(f"{API}/rad/accounts", bad, **ada).status_code == 422
    assert client.get(f"{API}/rad", {"unit_id": world.s1.pk}, **token_for(world.mona)).status_code == 404


def test_the_api_writes(client, world, token_for):
    rita, ada, mona = token_for(world.rita), token_for(world.ada), token_for(world.mona)
    url = f"{API}/accounts/{world.b.pk}/buying-power/{YEAR}"
    body = {"amount": "900000", "note": "from the annual report"}
    created = client.put(url, json.dumps(body), content_type="application/json", **rita)
    assert created.status_code == 200 and created.json()["version"] == 1
    assert client.put(url, json.dumps(body), content_type="application/json", **rita).status_code == 422
    stale = client.put(url, json.dumps({**body, "version": 5}), content_type="application/json", **rita)
    assert stale.status_code == 409
    ok = client.put(
        url, json.dumps({**body, "amount": "950000", "version": 1}), content_type="application/json", **rita
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    listed = client.get(f"{API}/accounts/{world.b.pk}/buying-power", **rita).json()
    assert [h["new_amount"] for h in listed["history"]][:2] in (
        ["950000.00", "900000.00"],
        ["950000", "900000"],
    )
    bad = client.put(url, json.dumps({"amount": "-1"}), content_type="application/json", **rita)
    assert bad.status_code == 422
    assert (
        client.put(
            f"{API}/accounts/{world.b.pk}/buying-power/1700",
            json.dumps(body),
            content_type="application/json",
            **rita,
        ).status_code
        == 422
    )
    bulk = {"rows": [{"account_id": world.c.pk, "year": YEAR, "amount": "350000"}]}
    assert client.post(
        f"{API}/buying-power/bulk", json.dumps(bulk), content_type="application/json", **mona
    ).json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    assert (
        client.post(
            f"{API}/buying-power/bulk", json.dumps({"rows": []}), content_type="application/json", **mona
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"{API}/buying-power/bulk",
            json.dumps(bulk),
            content_type="application/json",
            **token_for(world.sara),
        ).status_code
        == 422
    )
    policy = client.get(f"{API}/policy", **rita).json()
    patch = {"version": policy["version"], "sow_high_pct": "40"}
    assert (
        client.patch(f"{API}/policy", json.dumps(patch), content_type="application/json", **rita).status_code
        == 403
    )
    assert (
        client.patch(f"{API}/policy", json.dumps(patch), content_type="application/json", **ada).status_code
        == 200
    )
    assert (
        client.patch(f"{API}/policy", json.dumps(patch), content_type="application/json", **ada).status_code
        == 409
    )
    wrong = {"version": policy["version"] + 1, "sow_low_pct": "90"}
    assert (
        client.patch(f"{API}/policy", json.dumps(wrong), content_type="application/json", **ada).status_code
        == 422
    )
    margin = client.put(
        f"{API}/margins/{world.industry.pk}",
        json.dumps({"margin_pct": "45"}),
        content_type="application/json",
        **ada,
    )
    assert margin.json() == {"industry_id": world.industry.pk, "margin_pct": "45.00"} or margin.json()[
        "margin_pct"
    ] in ("45", "45.00")
    assert (
        client.put(
            f"{API}/margins/999999", json.dumps({"margin_pct": "45"}), content_type="application/json", **ada
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"{API}/compute", json.dumps({"year": YEAR}), content_type="application/json", **mona
        ).status_code
        == 403
    )
    done = client.post(
        f"{API}/compute", json.dumps({"year": YEAR}), content_type="application/json", **ada
    ).json()
    assert done == {"year": YEAR, "rad_cells": 3, "abc_rows": 12}


def test_the_compute_command(world, capsys):
    from django.core.management import call_command

    call_command("compute_rad", "--year", str(YEAR), "--only", "rad")
    assert f"{YEAR}: 3 RAD cells, 0 ABC rows" in capsys.readouterr().out
