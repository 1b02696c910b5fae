"""Configuration reads: templates with stages and exit criteria, the ladder, and the small lists;
names in both languages plus the active one."""

from __future__ import annotations

from kadence.pipeline.models import ProcessTemplate


def test_templates_with_stages_and_criteria(api, world):
    templates = api.get("/api/templates", world.rita)
    assert len(templates) == ProcessTemplate.objects.filter(is_active=True).count() >= 1
    default = next(t for t in templates if t["is_default"])
    assert default["code"] == "tianlong8" and default["name"] == default["name_zh"] != default["name_en"]
    stages = default["stages"]
    assert [s["order"] for s in stages] == sorted(s["order"] for s in stages)
    first = stages[0]
    assert first["default_level"] == "I" and first["standard_days"] > 0 and first["buying_step_zh"]
    assert stages[-1]["is_won"] is True
    assert any(s["exit_criteria"] for s in stages)
    criterion = next(c for s in stages for c in s["exit_criteria"])
    assert {"id", "code", "kind", "name", "name_zh", "name_en", "config", "is_active"} <= set(criterion)


def test_catalog_lists_in_the_users_language(api, world):
    world.rita.language = "en"
    world.rita.save()
    levels = api.get("/api/levels", world.rita)
    assert [lv["code"] for lv in levels][:2] == ["I", "C"] and levels[0]["probability"] == "10.00"
    assert levels[0]["name"] == levels[0]["name_en"]
    assert api.get("/api/levels", world.tom)[0]["name"] == levels[0]["name_zh"]
    assert api.get("/api/product-lines", world.rita) == [
        {
            "id": world.product_line.pk,
            "code": "scada",
            "name": "SCADA",
            "name_zh": "监控系统",
            "name_en": "SCADA",
        }
    ]
    assert [c["name"] for c in api.get("/api/competitors", world.rita)] == ["ABB", "Siemens"]
    assert any(r["code"] == "price" for r in api.get("/api/loss-reasons", world.rita))
    assert any(r["code"] == "presales" for r in api.get("/api/deal-roles", world.rita))
    assert any(i["code"] == "power" for i in api.get("/api/industries", world.rita))


def test_users_list_and_filters(api, world):
    everyone = api.get("/api/users", world.rita, page_size=50)
    assert everyone["count"] == 9
    sam = next(u for u in everyone["items"] if u["username"] == "sam")
    assert sam == {
        "id": world.sam.pk,
        "username": "sam",
        "display_name": "Sam",
        "role": "manager",
        "org_unit": {
            "id": world.s1.pk,
            "code": "south-1",
            "kind": "team",
            "name": "南一",
            "name_zh": "南一",
            "name_en": "south-1",
        },
    }
    north = api.get("/api/users", world.rita, org_unit_id=world.north.pk)
    assert {u["username"] for u in north["items"]} == {"dora", "mona", "rita", "tom", "nick"}
    assert [u["username"] for u in api.get("/api/users", world.rita, role="director")["items"]] == [
        "dora",
        "sven",
    ]
    assert api.get("/api/users", world.rita, q="ri")["count"] == 1
    assert api.get("/api/users", world.rita, assignable="true")["count"] == 0
    mine = api.get("/api/users", world.mona, assignable="true")
    assert {u["username"] for u in mine["items"]} == {"mona", "rita", "tom"}


def test_catalogs_need_authentication(api, world):
    for path in ("/api/templates", "/api/levels", "/api/users", "/api/teams", "/api/industries"):
        assert api.get(path, None, expect=401)["code"] == "not_authenticated"
