"""Account groups over the API and on the pages: the tree with totals, collaborators, duplicates on the
create form and endpoint, the merge page, the group page and its export; bad input answers 4xx."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.accounts.models import Account, AccountMember
from tests.keyaccounts.groups_world import YEAR, build

pytestmark = pytest.mark.django_db
API = "/api/key-accounts"


def test_api_tree_with_totals_and_visibility(client, org, token_for):
    w = build(org)
    ada, rita, nick = token_for(org.ada), token_for(org.rita), token_for(org.nick)
    body = client.get(f"{API}/groups/{w.b2.pk}", {"year": YEAR}, **ada).json()
    assert body["top_id"] == w.g.pk and body["ancestors"] == [w.g.pk, w.s2.pk]
    assert Decimal(body["totals"]["won_amount"]) == 1800 and Decimal(body["totals"]["buying_power"]) == 1950
    assert body["totals"]["open_count"] == 4 and body["hidden"] == 0 and body["totals_cover_visible_only"]
    mine = client.get(f"{API}/groups/{w.g.pk}", {"year": YEAR}, **rita).json()
    assert [n["id"] for n in mine["nodes"]] == [w.g.pk, w.b2.pk, w.s1.pk] and mine["hidden"] == 2
    assert Decimal(mine["totals"]["open_amount"]) == 350
    assert client.get(f"{API}/groups/{w.g.pk}", **nick).status_code == 404
    assert client.get(f"{API}/groups/999999999", **ada).status_code == 404
    assert client.get(f"{API}/groups/{w.g.pk}", {"year": "x"}, **ada).status_code == 422
    assert client.get(f"{API}/groups/{w.g.pk}").status_code == 401


def test_api_parent_and_create_duplicates(client, org, token_for):
    w = build(org)
    rita = token_for(org.rita)
    g = client.get(f"/api/accounts/{w.g.pk}", **rita).json()
    cycle = client.patch(
        f"/api/accounts/{w.g.pk}",
        {"version": g["version"], "parent_id": w.s1.pk},
        content_type="application/json",
        **rita,
    )
    assert cycle.status_code == 422 and cycle.json()["code"] == "parent_cycle"
    s1 = client.get(f"/api/accounts/{w.s1.pk}", **rita).json()
    assert s1["parent_id"] == w.g.pk
    cleared = client.patch(
        f"/api/accounts/{w.s1.pk}",
        {"version": s1["version"], "parent_id": None},
        content_type="application/json",
        **rita,
    )
    assert cleared.status_code == 200 and cleared.json()["parent_id"] is None
    stale = client.patch(
        f"/api/accounts/{w.s1.pk}",
        {"version": s1["version"], "parent_id": w.g.pk},
        content_type="application/json",
        **rita,
    )
    assert stale.status_code == 409
    new = {
        "name": "华能集团股份有限公司",
        "industry_id": org.industry.pk,
        "region_id": org.north.pk,
        "credit_code": "91110000100001234X",
    }
    assert client.post("/api/accounts", new, content_type="application/json", **rita).status_code == 201
    dup = client.post("/api/accounts", {**new, "name": "另一个"}, content_type="application/json", **rita)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_account" and dup.json()["duplicates"]
    ok = client.post(
        "/api/accounts",
        {**new, "name": "另一个", "confirm_duplicate": True},
        content_type="application/json",
        **rita,
    )
    assert ok.status_code == 201 and ok.json()["credit_code"] == "91110000100001234X"
    found = client.get("/api/accounts/duplicates", {"name": "华能集团（中国）"}, **rita).json()
    assert {d["id"] for d in found} >= {w.g.pk} and found[0]["reason"] == "name"
    assert client.get("/api/accounts/duplicates", {"name": "x" * 300}, **rita).status_code == 422


def test_api_members_and_merge(client, org, token_for):
    w = build(org)
    rita, nick, mona = token_for(org.rita), token_for(org.nick), token_for(org.mona)
    url = f"{API}/accounts/{w.g.pk}/members"
    added = client.post(
        url, {"user_id": org.nick.pk, "access": "read"}, content_type="application/json", **rita
    )
    assert added.status_code == 201 and added.json()["user_id"] == org.nick.pk
    assert client.get(f"/api/accounts/{w.g.pk}", **nick).status_code == 200
    assert [m["user_id"] for m in client.get(url, **nick).json()] == [org.nick.pk]
    assert (
        client.post(url, {"user_id": org.tom.pk}, content_type="application/json", **nick).status_code == 403
    )
    assert (
        client.post(
            url, {"user_id": org.tom.pk, "access": "root"}, content_type="application/json", **rita
        ).status_code
        == 422
    )
    client.force_login(org.nick)  # the account page and its panel, as a read collaborator
    assert client.get(reverse("account_detail", args=[w.g.pk])).status_code == 200
    panel = client.get(reverse("keyaccounts_group_panel", args=[w.g.pk])).content.decode()
    assert 'data-testid="account-members"' in panel and 'data-testid="member-add"' not in panel
    member_id = added.json()["id"]
    assert client.delete(f"{url}/{member_id}", **rita).status_code == 204
    assert client.get(f"/api/accounts/{w.g.pk}", **nick).status_code == 404
    assert client.delete(f"{url}/{member_id}", **rita).status_code == 404
    dup = Account.objects.create(
        name="华能集团有限公司", industry=org.industry, region=org.north, owner=org.rita, team=org.n1
    )
    preview = client.get(f"{API}/merge/preview", {"survivor_id": w.g.pk, "merged_id": dup.pk}, **mona)
    assert preview.status_code == 200 and preview.json()["moves"] == []
    assert (
        client.get(f"{API}/merge/preview", {"survivor_id": w.g.pk, "merged_id": dup.pk}, **rita).status_code
        == 404
    )
    body = {"survivor_id": w.g.pk, "merged_id": dup.pk, "survivor_version": 99, "merged_version": 1}
    assert client.post(f"{API}/merge", body, content_type="application/json", **mona).status_code == 409
    body["survivor_version"] = preview.json()["survivor_version"]
    merged = client.post(f"{API}/merge", body, content_type="application/json", **mona)
    assert merged.status_code == 201 and merged.json()["old_id"] == dup.pk
    assert client.post(f"{API}/merge", body, content_type="application/json", **mona).status_code == 404


def test_pages_group_panel_export_and_members(client, org, django_assert_max_num_queries):
    w = build(org)
    client.force_login(org.rita)
    detail = client.get(reverse("account_detail", args=[w.s1.pk])).content.decode()
    assert reverse("keyaccounts_group_panel", args=[w.s1.pk]) in detail
    url = reverse("keyaccounts_group_panel", args=[w.s1.pk])
    client.get(url)
    with django_assert_max_num_queries(25):
        panel = client.get(url)
    html = panel.content.decode()
    assert (
        panel.status_code == 200 and 'data-testid="group-tree"' in html and 'data-testid="member-add"' in html
    )
    assert 'data-testid="group-hidden"' in html  # the hidden accounts are said to be left out
    page = client.get(reverse("keyaccounts_group", args=[w.g.pk]), {"year": YEAR})
    assert page.status_code == 200 and "group-figure" in page.content.decode()
    export = client.get(reverse("keyaccounts_group", args=[w.g.pk]), {"year": YEAR, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 4 and rows[1][13] == 1550  # the top's subtree BP, as rita sees it
    assert client.get(reverse("keyaccounts_groups")).status_code == 200
    assert w.g.name in client.get(reverse("keyaccounts_groups")).content.decode()
    add = client.post(
        reverse("keyaccounts_member_add", args=[w.g.pk]), {"user_id": org.nick.pk, "access": "write"}
    )
    assert (
        add.status_code == 302
        and AccountMember.objects.filter(account=w.g, user=org.nick, access="write").exists()
    )
    member = AccountMember.objects.get(account=w.g, user=org.nick)
    gone = client.post(reverse("keyaccounts_member_remove", args=[w.g.pk, member.pk]))
    assert gone.status_code == 302 and not AccountMember.objects.filter(pk=member.pk).exists()
    client.force_login(org.nick)
    assert client.get(reverse("keyaccounts_group", args=[w.g.pk])).status_code == 404


def test_create_page_warns_of_duplicates_and_merge_page(client, org):
    w = build(org)
    client.force_login(org.mona)
    html = client.get(reverse("account_duplicates"), {"name": "华能集团股份有限公司"}).content.decode()
    assert 'data-testid="account-duplicates"' in html and "华能集团" in html
    assert client.get(reverse("account_duplicates"), {"name": ""}).content.decode().strip() == ""
    form = client.get(reverse("account_create")).content.decode()
    assert 'name="credit_code"' in form and 'name="parent"' in form and "hx-get" in form
    dup = Account.objects.create(
        name="华能集团有限公司", industry=org.industry, region=org.north, owner=org.rita, team=org.n1
    )
    page = client.get(reverse("keyaccounts_merge", args=[w.g.pk]), {"merged": dup.pk})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="merge-confirm"' in html and "华能集团有限公司" in html
    post = client.post(
        reverse("keyaccounts_merge", args=[w.g.pk]),
        {"merged_id": dup.pk, "survivor_version": w.g.version, "merged_version": dup.version},
    )
    assert post.status_code == 302 and not Account.objects.filter(pk=dup.pk).exists()
    itself = client.post(
        reverse("keyaccounts_merge", args=[w.g.pk]),
        {"merged_id": w.g.pk, "survivor_version": 1, "merged_version": 1},
    )
    assert itself.status_code == 303
    shown = client.get(itself["Location"])
    assert shown.status_code == 422 and 'role="alert"' in shown.content.decode()
    client.force_login(org.rita)
    refused = client.post(
        reverse("keyaccounts_merge", args=[w.g.pk]),
        {"merged_id": w.s1.pk, "survivor_version": 1, "merged_version": 1},
    )
    assert refused.status_code == 403
