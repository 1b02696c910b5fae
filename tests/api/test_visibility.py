"""Who sees what through the API: the persona matrix over lists (items and `count`) and details."""

from __future__ import annotations

import pytest

from kadence.pipeline.models import DealRole
from kadence.pipeline.services import opportunity_team_add


def opp_names(api, user, **params) -> tuple[set[str], int]:
    body = api.get("/api/opportunities", user, page_size=200, **params)
    return {row["name"] for row in body["items"]}, body["count"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rita", {"变电站自动化改造"}),
        ("tom", {"信号系统"}),
        ("nick", {"码头调度"}),
        ("sara", {"机房动环监控"}),
        ("mona", {"变电站自动化改造", "信号系统"}),
        ("sam", {"机房动环监控"}),
        ("dora", {"变电站自动化改造", "信号系统", "码头调度"}),
        ("sven", {"机房动环监控"}),
        ("ada", {"变电站自动化改造", "信号系统", "码头调度", "机房动环监控"}),
    ],
)
def test_opportunity_list_and_count_follow_visibility(api, world, persona, expected):
    names, count = opp_names(api, getattr(world, persona))
    assert names == expected
    assert count == len(expected)


def test_deal_team_membership_makes_an_opportunity_visible(api, world):
    presales = DealRole.objects.get(code="presales")
    assert "机房动环监控" not in opp_names(api, world.rita)[0]
    api.get(f"/api/opportunities/{world.sara_opp.pk}", world.rita, expect=404)
    opportunity_team_add(world.sara, world.sara_opp.pk, user_id=world.rita.pk, role_id=presales.pk)
    names, count = opp_names(api, world.rita)
    assert names == {"变电站自动化改造", "机房动环监控"} and count == 2
    detail = api.get(f"/api/opportunities/{world.sara_opp.pk}", world.rita)
    assert detail["permissions"] == {"can_edit": False, "can_reassign": False}
    assert [m["user"]["username"] for m in detail["deal_team"]] == ["rita"]

    api.get(f"/api/opportunities/{world.opp.pk}", world.tom, expect=404)
    opportunity_team_add(world.rita, world.opp.pk, user_id=world.tom.pk, role_id=presales.pk)
    assert api.get(f"/api/opportunities/{world.opp.pk}", world.tom)["name"] == "变电站自动化改造"


def test_invisible_and_missing_answer_the_same_404(api, world):
    hidden = api.get(f"/api/opportunities/{world.sara_opp.pk}", world.mona, expect=404)
    missing = api.get("/api/opportunities/987654321", world.mona, expect=404)
    assert hidden == missing and hidden["code"] == "not_found"
    for path in ("history", "audit", "team"):
        api.get(f"/api/opportunities/{world.sara_opp.pk}/{path}", world.dora, expect=404)
    api.patch(
        f"/api/opportunities/{world.sara_opp.pk}", world.dora, {"version": 1, "amount": "1"}, expect=404
    )


def test_filters_cannot_widen_visibility(api, world):
    assert opp_names(api, world.rita, owner_id=world.sara.pk) == (set(), 0)
    assert opp_names(api, world.mona, team_id=world.south.pk) == (set(), 0)
    assert opp_names(api, world.dora, team_id=world.n2.pk) == ({"码头调度"}, 1)
    assert opp_names(api, world.dora, mine=True) == (set(), 0)


def test_accounts_contacts_and_activities_follow_visibility(api, world):
    accounts = api.get("/api/accounts", world.mona, page_size=200)
    assert {a["name"] for a in accounts["items"]} == {"国网江苏电力", "北京地铁"} and accounts["count"] == 2
    assert api.get("/api/accounts", world.sven)["count"] == 1
    api.get(f"/api/accounts/{world.sara_account.pk}", world.rita, expect=404)
    api.post("/api/contacts", world.sara, {"account_id": world.sara_account.pk, "name": "王经理"}, expect=201)
    assert api.get("/api/contacts", world.rita)["count"] == 0
    assert api.get("/api/contacts", world.sam)["count"] == 1
    api.post(
        "/api/activities",
        world.sara,
        {"opportunity_id": world.sara_opp.pk, "kind": "visit", "subject": "拜访"},
        expect=201,
    )
    assert api.get("/api/activities", world.sara)["count"] == 1
    assert api.get("/api/activities", world.rita)["count"] == 0
    assert api.get("/api/activities", world.dora)["count"] == 0
    assert api.get("/api/activities", world.sven)["count"] == 1


def test_a_teammate_reads_but_cannot_write(api, world):
    presales = DealRole.objects.get(code="presales")
    opportunity_team_add(world.rita, world.opp.pk, user_id=world.nick.pk, role_id=presales.pk)
    body = api.patch(
        f"/api/opportunities/{world.opp.pk}", world.nick, {"version": 1, "amount": "1"}, expect=403
    )
    assert body["code"] == "permission_denied"
    api.post(
        f"/api/opportunities/{world.opp.pk}/move",
        world.nick,
        {"stage_id": world.opp.stage_id + 1, "version": 1},
        expect=403,
    )
