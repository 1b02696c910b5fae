"""Accounts, contacts and activities through the API: create, read, update with versions."""

from __future__ import annotations

from datetime import date


def test_account_create_read_update(api, world):
    body = api.post(
        "/api/accounts",
        world.rita,
        {
            "name": "华能集团",
            "industry_id": world.industry.pk,
            "region_id": world.north.pk,
            "buying_power": "8000000.5",
            "status": "active",
            "size": "huge",
            "address": "北京市西城区",
        },
        expect=201,
    )
    assert body["buying_power"] == "8000000.50" and body["currency"] == "CNY" and body["version"] == 1
    assert (
        body["industry"]["code"] == "power"
        and body["region"]["code"] == "north"
        and body["team"]["code"] == "north-1"
    )
    assert body["permissions"] == {"can_edit": True, "can_edit_contacts": True}
    account_id = body["id"]
    assert api.get(f"/api/accounts/{account_id}", world.mona)["permissions"]["can_edit"] is True
    updated = api.patch(
        f"/api/accounts/{account_id}", world.rita, {"version": 1, "status": "dormant"}, expect=200
    )
    assert updated["status"] == "dormant" and updated["version"] == 2 and updated["name"] == "华能集团"
    stale = api.patch(f"/api/accounts/{account_id}", world.rita, {"version": 1, "name": "改名"}, expect=409)
    assert stale["current_version"] == 2
    assert api.get(f"/api/accounts/{account_id}", world.rita)["name"] == "华能集团"


def test_account_reassign_by_manager_moves_the_team(api, world):
    body = api.patch(
        f"/api/accounts/{world.account.pk}", world.dora, {"version": 1, "owner_id": world.nick.pk}, expect=200
    )
    assert body["owner"]["username"] == "nick" and body["team"]["code"] == "north-2"


def test_account_list_filters_and_sort(api, world):
    names = [a["name"] for a in api.get("/api/accounts", world.ada, sort="-bp")["items"]]
    assert names[0] == "国网江苏电力"
    north = api.get("/api/accounts", world.ada, region_id=world.north.pk, owner_id=world.nick.pk)
    assert [a["name"] for a in north["items"]] == ["天津港"]
    assert api.get("/api/accounts", world.ada, q="地铁")["count"] == 1
    assert api.get("/api/accounts", world.ada, status="active")["count"] == 0


def test_contacts(api, world):
    body = api.post(
        "/api/contacts",
        world.rita,
        {
            "account_id": world.account.pk,
            "name": "李总",
            "title": "总工程师",
            "email": "li@example.cn",
            "buying_roles": ["technical", "decision_maker"],
            "attitude": "support",
            "influence": "high",
        },
        expect=201,
    )
    assert body["account"] == {"id": world.account.pk, "name": "国网江苏电力"}
    assert body["buying_roles"] == ["technical", "decision_maker"] and body["version"] == 1
    contact_id = body["id"]
    patched = api.patch(
        f"/api/contacts/{contact_id}", world.rita, {"version": 1, "attitude": "neutral"}, expect=200
    )
    assert patched["attitude"] == "neutral" and patched["version"] == 2
    listed = api.get("/api/contacts", world.rita, account_id=world.account.pk)
    assert [c["name"] for c in listed["items"]] == ["李总"]
    assert api.get(f"/api/contacts/{contact_id}", world.mona)["name"] == "李总"
    api.get(f"/api/contacts/{contact_id}", world.nick, expect=404)


def test_activities(api, world):
    contact = api.post(
        "/api/contacts", world.rita, {"account_id": world.account.pk, "name": "李总"}, expect=201
    )
    body = api.post(
        "/api/activities",
        world.rita,
        {
            "opportunity_id": world.opp.pk,
            "kind": "visit",
            "subject": "技术交流",
            "date": "2030-05-10",
            "contact_ids": [contact["id"]],
            "result": "advanced",
            "next_step_date": "2030-05-20",
        },
        expect=201,
    )
    assert body["account"]["id"] == world.account.pk and body["opportunity"]["id"] == world.opp.pk
    assert [c["name"] for c in body["contacts"]] == ["李总"] and body["date"] == "2030-05-10"
    assert body["owner"]["username"] == "rita" and body["done"] is True and body["version"] == 1
    assert body["result"] == "advanced" and body["is_effective"] is True  # by the effective-visit rule
    activity_id = body["id"]
    planned = api.post(
        "/api/activities",
        world.rita,
        {"account_id": world.account.pk, "kind": "call_out", "subject": "回访", "done": False},
        expect=201,
    )
    assert planned["date"] == date.today().isoformat() and planned["opportunity"] is None
    patched = api.patch(
        f"/api/activities/{activity_id}",
        world.rita,
        {"version": 1, "outcome": "客户认可方案", "next_step_date": None, "contact_ids": []},
        expect=200,
    )
    assert (
        patched["outcome"] == "客户认可方案"
        and patched["next_step_date"] is None
        and patched["contacts"] == []
    )
    assert patched["version"] == 2
    assert api.get("/api/activities", world.rita, done="false")["count"] == 1
    assert api.get("/api/activities", world.rita, kind="visit", opportunity_id=world.opp.pk)["count"] == 1
    window = api.get("/api/activities", world.mona, date_from="2030-01-01", date_to="2030-12-31")
    assert [a["subject"] for a in window["items"]] == ["技术交流"]
    assert api.get(f"/api/activities/{activity_id}", world.mona)["subject"] == "技术交流"
