"""Opportunities through the API: detail, create, optimistic concurrency, stage moves and their
history, closing, reopening, reassigning, the deal team, audit, and the list's query count."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kadence.pipeline.models import DealRole, LossReason, Opportunity, Stage
from kadence.pipeline.services import opportunity_create


def stages(opp) -> list[Stage]:
    return list(Stage.objects.filter(template=opp.template).order_by("order"))


def url(opp, action: str = "") -> str:
    return f"/api/opportunities/{opp.pk}" + (f"/{action}" if action else "")


def test_detail_shape_money_as_strings(api, world):
    body = api.get(url(world.opp), world.rita)
    assert body["amount"] == "1200000.00" and body["probability"] == "10.00"
    assert body["weighted_amount"] == "120000.00"
    assert body["stage"]["order"] == 1 and body["stage"]["name_zh"] and body["stage"]["name_en"]
    assert body["level"]["code"] == "I" and body["level"]["probability"] == "10.00"
    assert body["account"] == {"id": world.account.pk, "name": "国网江苏电力"}
    assert body["owner"]["username"] == "rita" and body["team"]["code"] == "north-1"
    assert body["permissions"] == {"can_edit": True, "can_reassign": False}
    assert api.get(url(world.opp), world.mona)["permissions"] == {"can_edit": True, "can_reassign": True}
    assert body["deal_team"] == [] and body["product_lines"] == [] and body["competitors"] == []
    assert body["expected_close_date"] == world.opp.expected_close_date.isoformat()
    assert body["version"] == 1 and body["status"] == "open"


def test_create_returns_201_with_the_detail(api, world):
    close = (date.today() + timedelta(days=30)).isoformat()
    body = api.post(
        "/api/opportunities",
        world.rita,
        {
            "account_id": world.account.pk,
            "name": "二期扩容",
            "amount": "2500000.50",
            "expected_close_date": close,
            "product_line_ids": [world.product_line.pk],
            "competitor_ids": [world.rival.pk, world.rival2.pk],
        },
        expect=201,
    )
    assert (
        body["amount"] == "2500000.50" and body["currency"] == "CNY" and body["owner"]["username"] == "rita"
    )
    assert [p["code"] for p in body["product_lines"]] == ["scada"]
    assert {c["name"] for c in body["competitors"]} == {"Siemens", "ABB"}
    history = api.get(f"/api/opportunities/{body['id']}/history", world.rita)
    assert [h["kind"] for h in history] == ["created"]


def test_manager_creates_for_a_rep_in_scope_but_not_outside(api, world):
    close = (date.today() + timedelta(days=30)).isoformat()
    base = {"account_id": world.account.pk, "name": "托管", "amount": 10, "expected_close_date": close}
    body = api.post("/api/opportunities", world.mona, {**base, "owner_id": world.tom.pk}, expect=201)
    assert body["owner"]["username"] == "tom" and body["team"]["code"] == "north-1"
    refused = api.post("/api/opportunities", world.mona, {**base, "owner_id": world.sara.pk}, expect=403)
    assert refused["code"] == "permission_denied"


def test_stale_patch_is_409_and_changes_nothing(api, world):
    first = api.patch(
        url(world.opp), world.rita, {"version": 1, "amount": "1500000", "reason": "扩容"}, expect=200
    )
    assert first["version"] == 2 and first["amount"] == "1500000.00"
    stale = api.patch(
        url(world.opp),
        world.mona,
        {"version": 1, "amount": "999", "name": "改名", "competitor_ids": [world.rival.pk]},
        expect=409,
    )
    assert stale["code"] == "conflict" and stale["current_version"] == 2 and stale["detail"]
    again = api.get(url(world.opp), world.rita)
    assert again["version"] == 2 and again["amount"] == "1500000.00" and again["name"] == "变电站自动化改造"
    assert again["competitors"] == []
    audit = api.get(url(world.opp, "audit"), world.rita)
    assert [(a["field"], a["old_value"], a["new_value"], a["reason"]) for a in audit] == [
        ("amount", "1200000", "1500000", "扩容")
    ]


def test_patch_with_the_right_version_bumps_it_and_sets_lists(api, world):
    body = api.patch(
        url(world.opp),
        world.rita,
        {
            "version": 1,
            "name": "变电站改造（一期）",
            "expected_close_date": "2031-03-31",
            "forecast_category": "commit",
            "next_step": "技术交流",
            "product_line_ids": [world.product_line.pk],
            "competitor_ids": [world.rival.pk],
        },
        expect=200,
    )
    assert (
        body["version"] == 2
        and body["name"] == "变电站改造（一期）"
        and body["forecast_category"] == "commit"
    )
    assert body["expected_close_date"] == "2031-03-31" and body["next_step"] == "技术交流"
    assert [c["name"] for c in body["competitors"]] == ["Siemens"]
    body = api.patch(url(world.opp), world.rita, {"version": 2, "competitor_ids": []}, expect=200)
    assert body["version"] == 3 and body["competitors"] == [] and len(body["product_lines"]) == 1


def test_every_move_leaves_a_history_row(api, world, no_gates):
    s = stages(world.opp)
    moved = api.post(
        url(world.opp, "move"), world.rita, {"stage_id": s[2].pk, "version": 1, "reason": "立项"}, expect=200
    )
    assert moved["stage"]["id"] == s[2].pk and moved["level"]["code"] == "C" and moved["version"] == 2
    back = api.post(
        url(world.opp, "move"),
        world.rita,
        {"stage_id": s[1].pk, "version": 2, "reason": "客户重新评估"},
        expect=200,
    )
    assert back["stage"]["id"] == s[1].pk and back["version"] == 3
    history = api.get(url(world.opp, "history"), world.rita)
    assert [h["kind"] for h in history] == ["created", "advanced", "moved_back"]
    created, forward, backward = history
    assert (
        created["from_stage"] is None
        and created["from_level"] is None
        and created["to_stage"]["id"] == s[0].pk
    )
    assert forward["from_stage"]["id"] == s[0].pk and forward["to_stage"]["id"] == s[2].pk
    assert (forward["from_level"], forward["to_level"], forward["probability"]) == ("I", "C", "25.00")
    assert forward["to_stage_name"] == s[2].name_zh and forward["reason"] == "立项"
    assert forward["changed_by"]["username"] == "rita" and forward["days_in_from_stage"] == 0
    assert forward["amount"] == "1200000.00" and forward["currency"] == "CNY" and forward["status"] == "open"
    assert backward["from_stage"]["id"] == s[2].pk and backward["to_stage"]["id"] == s[1].pk
    assert backward["reason"] == "客户重新评估" and backward["overridden"] is False
    assert history[0]["changed_at"] <= history[1]["changed_at"] <= history[2]["changed_at"]
    stale = api.post(url(world.opp, "move"), world.rita, {"stage_id": s[3].pk, "version": 1}, expect=409)
    assert stale["code"] == "conflict"
    assert len(api.get(url(world.opp, "history"), world.rita)) == 3


def test_close_lost_then_reopen_then_close_won(api, world, no_gates):
    reason = LossReason.objects.get(code="price")
    lost = api.post(
        url(world.opp, "close-lost"),
        world.rita,
        {"loss_reason_id": reason.pk, "winning_competitor_id": world.rival.pk, "version": 1},
        expect=200,
    )
    assert (
        lost["status"] == "lost" and lost["probability"] == "0.00" and lost["forecast_category"] == "omitted"
    )
    assert lost["loss_reason"]["code"] == "price" and lost["winning_competitor"]["name"] == "Siemens"
    assert lost["weighted_amount"] == "0.00" and lost["closed_on"] == date.today().isoformat()
    closed = api.post(
        url(world.opp, "move"),
        world.rita,
        {"stage_id": stages(world.opp)[1].pk, "version": lost["version"]},
        expect=422,
    )
    assert closed["code"] == "closed"
    reopened = api.post(
        url(world.opp, "reopen"),
        world.rita,
        {"reason": "客户重启招标", "version": lost["version"]},
        expect=200,
    )
    assert reopened["status"] == "open" and reopened["loss_reason"] is None
    won = api.post(url(world.opp, "close-won"), world.rita, {"version": reopened["version"]}, expect=200)
    assert (
        won["status"] == "won"
        and won["probability"] == "100.00"
        and won["stage"]["id"] == stages(world.opp)[-1].pk
    )
    kinds = [h["kind"] for h in api.get(url(world.opp, "history"), world.rita)]
    assert kinds == ["created", "lost", "reopened", "won"]


def test_reassign_needs_a_manager(api, world):
    refused = api.post(
        url(world.opp, "reassign"), world.rita, {"owner_id": world.tom.pk, "version": 1}, expect=403
    )
    assert refused["code"] == "permission_denied"
    body = api.post(
        url(world.opp, "reassign"),
        world.dora,
        {"owner_id": world.nick.pk, "reason": "调整", "version": 1},
        expect=200,
    )
    assert body["owner"]["username"] == "nick" and body["team"]["code"] == "north-2"
    assert api.get("/api/opportunities", world.mona)["count"] == 1  # only tom's remains in north-1
    audit = api.get(url(world.opp, "audit"), world.dora)
    assert (
        audit[0]["field"] == "owner"
        and audit[0]["new_value"] == "nick"
        and audit[0]["actor"]["username"] == "dora"
    )


def test_deal_team_add_list_remove(api, world):
    role = DealRole.objects.get(code="presales")
    member = api.post(
        url(world.opp, "team"), world.rita, {"user_id": world.sara.pk, "role_id": role.pk}, expect=201
    )
    assert member["user"]["username"] == "sara" and member["role"]["code"] == "presales"
    assert [m["user"]["username"] for m in api.get(url(world.opp, "team"), world.rita)] == ["sara"]
    assert api.get(url(world.opp), world.sara)["name"] == "变电站自动化改造"
    api.delete(url(world.opp, f"team/{world.sara.pk}"), world.rita, expect=204)
    api.get(url(world.opp), world.sara, expect=404)
    again = api.delete(url(world.opp, f"team/{world.sara.pk}"), world.rita, expect=404)
    assert again["code"] == "not_found"


def test_list_filters_and_sort(api, world, no_gates):
    s = stages(world.opp)
    api.post(url(world.opp, "move"), world.rita, {"stage_id": s[2].pk, "version": 1}, expect=200)
    by_stage = api.get("/api/opportunities", world.dora, stage_id=s[2].pk)
    assert [o["name"] for o in by_stage["items"]] == ["变电站自动化改造"]
    by_amount = api.get("/api/opportunities", world.dora, sort="-amount")
    assert [o["amount"] for o in by_amount["items"]] == ["1200000.00", "800000.00", "450000.00"]
    found = api.get("/api/opportunities", world.dora, q="江苏")
    assert found["count"] == 1
    mine = api.get("/api/opportunities", world.rita, mine="true", status="open", level_id=world.opp.level_id)
    assert mine["count"] == 0  # the level moved on with the stage
    window = api.get(
        "/api/opportunities",
        world.ada,
        close_from=date.today().isoformat(),
        close_to=(date.today() + timedelta(days=50)).isoformat(),
    )
    assert {o["name"] for o in window["items"]} == {"信号系统", "码头调度"}
    paged = api.get("/api/opportunities", world.ada, page=2, page_size=3)
    assert (paged["count"], paged["page"], paged["page_size"], paged["pages"], len(paged["items"])) == (
        4,
        2,
        3,
        2,
        1,
    )


def test_list_query_count_does_not_grow_with_rows(api, world, django_assert_max_num_queries):
    def measure(user) -> int:
        with CaptureQueriesContext(connection) as ctx:
            body = api.get("/api/opportunities", user, page_size=100)
        return len(ctx.captured_queries), body["count"]

    for user in (world.ada, world.mona):
        api.get("/api/opportunities", user)  # the token's first use writes last_used_at
    small = {user.username: measure(user) for user in (world.ada, world.mona)}
    close = date.today() + timedelta(days=20)
    for i in range(30):
        opportunity_create(
            world.rita,
            account_id=world.account.pk,
            name=f"批量{i}",
            amount=1000 + i,
            expected_close_date=close,
        )
    for user in (world.ada, world.mona):
        with django_assert_max_num_queries(6):
            queries, count = measure(user)
        assert queries == small[user.username][0]
        assert count == small[user.username][1] + 30
    assert Opportunity.objects.count() == 34
