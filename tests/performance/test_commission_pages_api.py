"""Commission pages and API (issue 14 §7): what each persona sees (a rep their own statement, a manager
their units', an admin all), the plan editor (409 on a stale edit), the exports (formula injection
neutralised), bad input, and the number of queries."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.performance.commission import services
from kadence.performance.commission.models import CommissionStatement
from tests.performance.commission_world import IN_MONTH, build

pytestmark = pytest.mark.django_db
DAY = IN_MONTH.isoformat()
API = "/api/performance/commission"


@pytest.fixture
def computed(org):
    build(org)
    services.statements_compute(org.ada, period="month", day=IN_MONTH)
    return org


def test_a_rep_sees_their_own_statement_with_every_line_explained(
    client, computed, django_assert_max_num_queries
):
    client.force_login(computed.rita)
    url = reverse("performance_commission_statement")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(12):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="commission-statement"' in html
    assert html.count('data-line="commission"') == 3 and "7640.00" in html
    assert f'data-deal="{computed.second.pk}"' in html
    assert client.get(url, {"day": DAY, "owner_id": computed.tom.pk}).status_code == 404
    assert client.get(url, {"period": "week"}).status_code == 422
    assert 'data-testid="commission-none"' in client.get(url, {"day": "2026-01-05"}).content.decode()
    export = client.get(url, {"day": DAY, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[-1][7] == 7640 and sum(r[7] for r in rows[1:-1]) == 7640


def test_a_deal_name_that_looks_like_a_formula_is_exported_as_text(client, computed):
    computed.first.name = '=HYPERLINK("http://x")'
    computed.first.save()
    services.statements_compute(computed.ada, period="month", day=IN_MONTH)
    client.force_login(computed.rita)
    export = client.get(reverse("performance_commission_statement"), {"day": DAY, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    cells = [
        c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cells and all(c.data_type == "s" and not c.value.startswith("=") for c in cells)


def test_a_manager_sees_their_team_with_the_chart_and_computes_it(
    client, computed, django_assert_max_num_queries
):
    client.force_login(computed.mona)
    url = reverse("performance_commission_team")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(14):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert f'data-rep="{computed.rita.pk}"' in html and f'data-rep="{computed.tom.pk}"' in html
    assert f'data-rep="{computed.sara.pk}"' not in html and f'data-rep="{computed.nick.pk}"' not in html
    assert 'data-chart="commission-figure"' in html and 'data-testid="commission-compute"' in html
    statement = client.get(
        reverse("performance_commission_statement"), {"day": DAY, "owner_id": computed.rita.pk}
    )
    assert statement.status_code == 200
    assert (
        client.get(reverse("performance_commission_statement"), {"owner_id": computed.sara.pk}).status_code
        == 404
    )
    response = client.post(reverse("performance_commission_compute"), {"period": "month", "day": DAY})
    assert response.status_code == 302
    assert CommissionStatement.objects.get(user=computed.rita).version == 2
    export = client.get(url, {"day": DAY, "format": "xlsx"})
    assert export.status_code == 200
    client.force_login(computed.rita)
    assert client.post(reverse("performance_commission_compute"), {"day": DAY}).status_code == 403
    assert f'data-rep="{computed.tom.pk}"' not in client.get(url, {"day": DAY}).content.decode()


def test_the_plan_editor_for_an_admin_and_a_stale_edit(client, computed):
    client.force_login(computed.ada)
    url = reverse("performance_commission_plans")
    page = client.get(url).content.decode()
    assert 'data-plan="sc"' in page and 'data-testid="commission-new"' in page
    plan = computed.sc
    plan.refresh_from_db()
    form = {
        "action": "terms",
        "plan_id": plan.pk,
        "version": plan.version,
        "effective_from": "2026-12-01",
        "salary": "5500",
        "tiers": "0: 2\n100: 5",
        "cap": "",
    }
    assert client.post(url, form).status_code == 302
    stale = client.post(url, form)
    assert stale.status_code == 409 and 'data-testid="commission-conflict"' in stale.content.decode()
    created = client.post(
        url,
        {
            "action": "create",
            "code": "new",
            "name_zh": "新",
            "name_en": "New",
            "kind": "salary",
            "period_kind": "quarter",
            "effective_from": "2026-10-01",
            "salary": "12000",
        },
    )
    assert created.status_code == 302
    client.force_login(computed.rita)
    mine = client.get(url).content.decode()
    assert 'data-plan="sc"' in mine and 'data-plan="group"' not in mine and "commission-new" not in mine
    assert client.post(url, form).status_code == 403


def test_the_api_by_persona(client, computed, token_for, django_assert_max_num_queries):
    rita, mona, ada, sven = (
        token_for(u) for u in (computed.rita, computed.mona, computed.ada, computed.sven)
    )
    with django_assert_max_num_queries(10):
        own = client.get(f"{API}/statement", {"day": DAY}, **rita).json()["statement"]
    assert own["payout"] == "7640.00" and sum(float(x["amount"]) for x in own["lines"]) == 7640
    deal_line = own["lines"][2]
    assert (deal_line["deal_id"], deal_line["share"], deal_line["rate"], deal_line["how"]) == (
        computed.second.pk,
        "80.00",
        "2.0000",
        deal_line["how"],
    )
    assert client.get(f"{API}/statement", {"owner_id": computed.tom.pk}, **rita).status_code == 404
    assert (
        client.get(f"{API}/statement", {"day": DAY, "owner_id": computed.rita.pk}, **sven).status_code == 404
    )
    with django_assert_max_num_queries(10):
        team = client.get(f"{API}/statements", {"day": DAY}, **mona).json()
    assert {r["seller_id"] for r in team["rows"]} == {computed.rita.pk, computed.tom.pk}
    assert len(client.get(f"{API}/statements", {"day": DAY}, **ada).json()["rows"]) == 4
    assert client.get(f"{API}/statements", {"unit_id": computed.s1.pk}, **mona).status_code == 404
    assert client.get(f"{API}/statement", {"period": "year"}, **rita).status_code == 422
    with django_assert_max_num_queries(6):
        assert len(client.get(f"{API}/plans", **ada).json()["items"]) == 3
    assert [p["code"] for p in client.get(f"{API}/plans", **rita).json()["items"]] == ["sc", "straight"]
    run = {"day": DAY}
    assert client.post(f"{API}/runs", run, content_type="application/json", **rita).status_code == 403
    done = client.post(f"{API}/runs", run, content_type="application/json", **mona)
    assert done.status_code == 200 and done.json()["statements"] == 2
    queued = client.post(f"{API}/runs", {**run, "background": True}, content_type="application/json", **ada)
    assert queued.status_code == 202 and queued.json()["state"] == "queued"


def test_plan_writes_over_the_api(client, computed, token_for):
    ada, mona = token_for(computed.ada), token_for(computed.mona)
    new = {
        "code": "acc",
        "name_zh": "加速",
        "name_en": "Accelerated",
        "kind": "commission",
        "effective_from": "2026-10-01",
        "terms": {
            "tiers": [{"from_pct": "0", "rate": "2"}, {"from_pct": "120", "rate": "8"}],
            "cap": "50000",
        },
    }
    assert client.post(f"{API}/plans", new, content_type="application/json", **mona).status_code == 403
    created = client.post(f"{API}/plans", new, content_type="application/json", **ada)
    assert created.status_code == 201
    plan = created.json()
    assert client.post(f"{API}/plans", new, content_type="application/json", **ada).status_code == 409
    biggest = {
        **new,
        "code": "big",
        "kind": "salary",
        "terms": {"salary": "999999999999.99", "cap": "999999999999.99"},
    }
    assert client.post(f"{API}/plans", biggest, content_type="application/json", **ada).status_code == 201
    too_big = {**biggest, "code": "bigger", "terms": {"salary": "1000000000000"}}
    assert client.post(f"{API}/plans", too_big, content_type="application/json", **ada).status_code == 422
    for terms in ([None, None], {"tiers": [[1, 2]]}, {"salry": "1"}):  # only the objects the schema names
        assert (
            client.post(
                f"{API}/plans", {**new, "code": "odd", "terms": terms}, content_type="application/json", **ada
            ).status_code
            == 422
        )
    bad = {**new, "code": "bad", "terms": {"tiers": [{"from_pct": "10", "rate": "2"}]}}
    assert client.post(f"{API}/plans", bad, content_type="application/json", **ada).status_code == 422
    terms = {
        "version": plan["version"],
        "effective_from": "2026-11-01",
        "terms": {"tiers": [{"from_pct": "0", "rate": "3"}]},
    }
    url = f"{API}/plans/{plan['id']}/terms"
    changed = client.put(url, terms, content_type="application/json", **ada)
    assert changed.status_code == 200 and [v["effective_from"] for v in changed.json()["versions"]] == [
        "2026-11-01",
        "2026-10-01",
    ]
    assert client.put(url, terms, content_type="application/json", **ada).status_code == 409
    assert (
        client.put(f"{API}/plans/999999/terms", terms, content_type="application/json", **ada).status_code
        == 404
    )
    patch = client.patch(
        f"{API}/plans/{plan['id']}",
        {"version": plan["version"] + 1, "is_active": False},
        content_type="application/json",
        **ada,
    )
    assert patch.status_code == 200 and patch.json()["is_active"] is False
    assign = {"plan_id": plan["id"], "seller_id": computed.tom.pk, "effective_from": "2026-10-01"}
    row = client.post(f"{API}/assignments", assign, content_type="application/json", **ada)
    assert row.status_code == 200
    assert len(client.get(f"{API}/assignments", **ada).json()["items"]) == 4
    assert client.get(f"{API}/assignments", **mona).json()["items"] == []
    assert client.delete(f"{API}/assignments/{row.json()['id']}", **ada).status_code == 204
    rules = client.get(f"{API}/credit-rules", **mona).json()["items"]
    rule = {"role_id": rules[0]["role_id"], "share": "25"}
    assert client.put(f"{API}/credit-rules", rule, content_type="application/json", **ada).status_code == 409
    rule["version"] = rules[0]["version"]
    assert (
        client.put(f"{API}/credit-rules", rule, content_type="application/json", **ada).json()["share"]
        == "25.00"
    )
