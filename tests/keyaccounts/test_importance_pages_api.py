"""Importance and KAM pages and API (issue 15 §5–7): what each persona sees (a rep their accounts, a
manager their units', an admin all), the score card, the ranking and types with their exports, the
KAM board and account page, the account page's panel, 409 on a stale edit, bad input → 4xx, query counts."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.keyaccounts.importance import services
from kadence.keyaccounts.importance.models import AccountImportance, ImportanceConfig
from kadence.keyaccounts.kam import services as kam_services
from kadence.keyaccounts.kam.models import CsiQuestion, KamStage
from tests.keyaccounts.importance_world import AS_OF, ENTERED, build, today  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/keyaccounts"


@pytest.fixture
def scored(org, today):  # noqa: F811
    build(org)
    services.entries_set(org.rita, org.account.pk, ENTERED)
    services.compute(as_of=AS_OF)
    return org


def test_the_ranking_by_persona_and_its_export(client, scored, django_assert_max_num_queries):
    url = reverse("keyaccounts_importance_ranking")
    client.force_login(scored.ada)
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and f'data-account="{scored.account.pk}"' in html
    assert f'data-account="{scored.sara_account.pk}"' in html and "71.00" in html
    export = client.get(url, {"format": "xlsx"})
    rows = list(
        load_workbook(io.BytesIO(b"".join(export.streaming_content)))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[1][0] == "国网江苏电力" and rows[1][2] == 71
    client.force_login(scored.sara)
    html = client.get(url).content.decode()
    assert (
        f'data-account="{scored.account.pk}"' not in html
        and f'data-account="{scored.sara_account.pk}"' in html
    )
    assert client.get(url, {"owner_id": scored.rita.pk}).status_code == 404
    client.force_login(scored.mona)
    html = client.get(url, {"type": "profit"}).content.decode()
    assert (
        f'data-account="{scored.account.pk}"' in html
        and f'data-account="{scored.sara_account.pk}"' not in html
    )


def test_the_types_page_counts_and_treatments(client, scored, django_assert_max_num_queries):
    client.force_login(scored.ada)
    client.get(reverse("keyaccounts_importance_types"))
    with django_assert_max_num_queries(14):
        page = client.get(reverse("keyaccounts_importance_types"))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-type="profit"' in html and "types-figure" in html
    assert "Long-term attention is the right attitude" in html or "长期的关注是正确的态度" in html
    csv = client.get(reverse("keyaccounts_importance_types"), {"format": "csv", "type": "profit"})
    assert "国网江苏电力" in b"".join(csv.streaming_content).decode("utf-8-sig")


def test_the_score_card_shows_each_criterion_and_takes_entries(client, scored, django_assert_max_num_queries):
    url = reverse("keyaccounts_importance_account", args=[scored.account.pk])
    client.force_login(scored.rita)
    client.get(url)
    with django_assert_max_num_queries(14):
        html = client.get(url).content.decode()
    assert 'data-criterion="share"' in html and 'data-testid="importance-score">71.00' in html
    assert client.post(url, {"action": "entries", "score_profit": "2"}).status_code == 302
    assert AccountImportance.objects.get(pk=scored.account.pk).score.to_eng_string() == "65.00"
    assert client.post(url, {"action": "entries", "score_profit": "9"}).status_code == 302  # refused, told
    current = AccountImportance.objects.get(pk=scored.account.pk)
    stale = client.post(
        url, {"action": "type", "version": current.version + 5, "customer_type": "loyal", "reason": "x"}
    )
    assert stale.status_code == 409
    ok = client.post(
        url, {"action": "type", "version": current.version, "customer_type": "loyal", "reason": "老客户"}
    )
    assert (
        ok.status_code == 302 and AccountImportance.objects.get(pk=scored.account.pk).type_override == "loyal"
    )
    client.force_login(scored.sara)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "compute"}).status_code == 404


def test_the_account_page_shows_the_panel(client, scored, django_assert_max_num_queries):
    kam_services.stage_set(scored.rita, scored.account.pk, stage="mid", version=0)
    client.force_login(scored.rita)
    html = client.get(reverse("account_detail", args=[scored.account.pk])).content.decode()
    assert 'data-testid="keyaccount-panel"' in html and "71.00" in html
    assert reverse("keyaccounts_kam_account", args=[scored.account.pk]) in html


def test_settings_an_admin_edits_others_read(client, scored):
    url = reverse("keyaccounts_importance_settings")
    client.force_login(scored.rita)
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "rules", "version": 1, "new_max_months": "6"}).status_code == 403
    client.force_login(scored.ada)
    version = ImportanceConfig.objects.get(pk=1).version
    assert client.post(url, {"action": "rules", "version": version, "new_max_months": "6"}).status_code == 302
    assert ImportanceConfig.objects.get(pk=1).new_max_months == 6
    assert client.post(url, {"action": "rules", "version": version, "new_max_months": "7"}).status_code == 409


def test_the_importance_api(client, scored, token_for):
    rita, ada, sara = token_for(scored.rita), token_for(scored.ada), token_for(scored.sara)
    card = client.get(f"{API}/importance/accounts/{scored.account.pk}", **rita).json()
    assert card["score"] == "71.00" and card["customer_type"] == "profit" and len(card["criteria"]) == 9
    assert card["treatment"]
    assert client.get(f"{API}/importance/accounts/{scored.account.pk}", **sara).status_code == 404
    assert client.get(f"{API}/importance/accounts/0", **rita).status_code in (404, 422)
    r = client.post(
        f"{API}/importance/accounts/{scored.account.pk}/entries",
        {"scores": {"profit": 7}},
        content_type="application/json",
        **rita,
    )
    assert r.status_code == 422
    r = client.put(
        f"{API}/importance/accounts/{scored.account.pk}/type",
        {"version": card["version"], "customer_type": "new", "reason": "试探阶段"},
        content_type="application/json",
        **rita,
    )
    assert r.status_code == 200 and r.json()["customer_type"] == "new"
    r = client.put(
        f"{API}/importance/accounts/{scored.account.pk}/type",
        {"version": card["version"], "customer_type": "", "reason": "x"},
        content_type="application/json",
        **rita,
    )
    assert r.status_code == 409
    ranking = client.get(f"{API}/importance/ranking", **ada).json()
    assert ranking["items"][0]["account_id"] == scored.account.pk and ranking["count"] == 2
    types = client.get(f"{API}/importance/types", **ada).json()
    assert {t["code"]: t["count"] for t in types["items"]}[
        "new"
    ] == 2  # sara's (nothing won yet) and the override
    config = client.get(f"{API}/importance/config", **rita).json()
    weights = {c["code"]: c["weight"] for c in config["criteria"]}
    body = {"version": config["version"], "weights": {**weights, "sales": 30}}
    assert (
        client.put(
            f"{API}/importance/config/criteria", body, content_type="application/json", **rita
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"{API}/importance/config/criteria", body, content_type="application/json", **ada
        ).status_code
        == 422
    )
    body = {"version": config["version"], "weights": {**weights, "sales": 30, "profit": 5}}
    assert (
        client.put(
            f"{API}/importance/config/criteria", body, content_type="application/json", **ada
        ).status_code
        == 200
    )
    assert (
        client.put(
            f"{API}/importance/config/criteria", body, content_type="application/json", **ada
        ).status_code
        == 409
    )
    r = client.post(f"{API}/importance/accounts/{scored.account.pk}/compute", **rita)
    assert r.status_code == 200


def test_the_kam_pages(client, scored, django_assert_max_num_queries):
    url = reverse("keyaccounts_kam_account", args=[scored.account.pk])
    client.force_login(scored.rita)
    assert client.post(url, {"action": "stage", "stage": "pre", "version": "0"}).status_code == 302
    assert client.post(url, {"action": "stage", "stage": "early", "version": "0"}).status_code == 409
    item = KamStage.objects.get(code="pre").items.first()
    assert client.post(url, {"action": "tick", "item_id": item.pk, "done": "1"}).status_code == 302
    q = CsiQuestion.objects.get(code="overall")
    assert (
        client.post(url, {"action": "survey", "surveyed_on": "2026-10-01", f"q_{q.pk}": "4"}).status_code
        == 302
    )
    html = client.get(url).content.decode()
    assert 'data-testid="kam-stage">孕育阶段' in html or 'data-testid="kam-stage">Pre-KAM' in html
    assert f'data-item="{item.pk}" data-done' in html and 'data-testid="kam-csi">75.00' in html
    board = reverse("keyaccounts_kam_board")
    client.force_login(scored.ada)
    client.get(board)
    with django_assert_max_num_queries(14):
        page = client.get(board)
    assert f'data-account="{scored.account.pk}"' in page.content.decode()
    export = client.get(board, {"format": "xlsx"})
    rows = list(
        load_workbook(io.BytesIO(b"".join(export.streaming_content)))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[1][0] == "国网江苏电力" and rows[1][3] == 75
    client.force_login(scored.sara)
    assert client.get(url).status_code == 404
    assert f'data-account="{scored.account.pk}"' not in client.get(board).content.decode()


def test_the_kam_api(client, scored, token_for):
    rita, sara = token_for(scored.rita), token_for(scored.sara)
    stages = client.get(f"{API}/kam/stages", **rita).json()["items"]
    assert [s["code"] for s in stages] == ["pre", "early", "mid", "partnership", "synergistic"]
    base = f"{API}/kam/accounts/{scored.account.pk}"
    r = client.put(f"{base}/stage", {"version": 0, "stage": "pre"}, content_type="application/json", **rita)
    assert r.status_code == 200 and r.json()["stage"] == "pre" and r.json()["version"] == 1
    r = client.put(f"{base}/stage", {"version": 0, "stage": "mid"}, content_type="application/json", **rita)
    assert r.status_code == 409
    item = stages[0]["items"][0]["id"]
    r = client.put(f"{base}/checklist/{item}", {"done": True}, content_type="application/json", **rita)
    assert r.status_code == 200 and r.json()["done"] is True
    questions = client.get(f"{API}/kam/questions", **rita).json()["items"]
    answers = {str(q["id"]): 5 for q in questions}
    r = client.post(
        f"{base}/surveys",
        {"surveyed_on": "2026-10-01", "answers": answers},
        content_type="application/json",
        **rita,
    )
    assert r.status_code == 201 and r.json()["csi"] == "100.00"
    r = client.post(
        f"{base}/surveys",
        {"surveyed_on": "2026-10-01", "answers": {"1": 9}},
        content_type="application/json",
        **rita,
    )
    assert r.status_code == 422
    card = client.get(base, **rita).json()
    assert card["last_csi"] == "100.00" and len(card["changes"]) == 1 and card["ticks"][0]["item_id"] == item
    assert client.get(base, **sara).status_code == 404
    board = client.get(f"{API}/kam/board", **rita).json()
    assert {c["code"]: c["count"] for c in board["counts"]}["pre"] == 1
