"""Screening platforms (issue 15 §10): the monthly computation against a worked example, movement between
months, the criteria as data, pages (query counts, export, drill-down) and API."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from kadence.core.errors import Conflict, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.keyaccounts.platforms import selectors, services
from kadence.keyaccounts.platforms.models import PlatformCriteria, PlatformSnapshot
from tests.keyaccounts.coverage_world import build_platforms

pytestmark = pytest.mark.django_db
SEPT = date(2026, 9, 15)
OCT = date(2026, 10, 15)
API = "/api/key-accounts/platforms"


@pytest.fixture
def world(org):
    build_platforms(org)
    services.platforms_compute(org.ada, day=SEPT)
    services.platforms_compute(org.ada, day=OCT)
    return org


def test_each_account_on_its_platform_and_the_movement(world):
    october = dict(
        PlatformSnapshot.objects.filter(period_start=date(2026, 10, 1)).values_list("account_id", "platform")
    )
    assert october == {
        world.account.pk: "sales",
        world.sara_account.pk: "sales",
        world.p1.pk: "potential",
        world.p2.pk: "sales",
        world.p3.pk: "sales",
        world.p4.pk: "buying",
    }
    report = selectors.platform_report(world.ada, day=OCT)
    assert report.funnel == {"potential": 1, "market": 0, "sales": 4, "buying": 1}
    assert report.moves == {
        ("potential", "potential"): 1,
        ("market", "sales"): 1,
        ("sales", "sales"): 3,
        ("buying", "buying"): 1,
    }
    september = selectors.platform_report(world.ada, day=SEPT)
    assert september.funnel == {"potential": 1, "market": 1, "sales": 3, "buying": 1}
    assert set(september.moves) == {("new", p) for p in ("potential", "market", "sales", "buying")}
    mona = selectors.platform_report(world.mona, day=OCT)
    assert mona.funnel == {"potential": 1, "market": 0, "sales": 3, "buying": 0}
    assert [(u.code, moved) for u, _counts, moved in mona.teams] == [
        ("north-1", {"up": 1, "down": 0, "same": 3, "new": 0})
    ]
    drilled = selectors.platform_accounts(world.ada, day=OCT, platform="sales", from_platform="market")
    assert [s.account.name for s in drilled] == ["P2"]
    assert AuditEntry.objects.filter(entity="keyaccounts.platformsnapshot", entity_id=202610).exists()


def test_recomputing_replaces_the_month_and_follows_the_criteria(world):
    criteria = PlatformCriteria.current()
    services.criteria_update(world.ada, version=criteria.version, min_size="", min_buying_power="0")
    run = services.platforms_compute(world.mona, day=OCT)
    assert run.accounts == 6 and PlatformSnapshot.objects.filter(period_start=date(2026, 10, 1)).count() == 6
    assert PlatformSnapshot.objects.get(account=world.p1, period_start=date(2026, 10, 1)).platform == "market"
    services.criteria_update(world.ada, version=criteria.version + 1, industries=["telecom"], revenue_days=30)
    services.platforms_compute(None, day=OCT)
    assert (
        PlatformSnapshot.objects.get(account=world.p1, period_start=date(2026, 10, 1)).platform == "potential"
    )
    assert (
        PlatformSnapshot.objects.get(account=world.p4, period_start=date(2026, 10, 1)).platform == "potential"
    )


def test_criteria_and_compute_refusals(world):
    criteria = PlatformCriteria.current()
    with pytest.raises(PermissionDenied):
        services.criteria_update(world.mona, version=criteria.version, min_size="")
    with pytest.raises(PermissionDenied):
        services.platforms_compute(world.rita, day=OCT)
    with pytest.raises(ValidationFailed):
        services.criteria_update(world.ada, version=criteria.version, industries=["nope"])
    with pytest.raises(ValidationFailed):
        services.criteria_update(world.ada, version=criteria.version, regions=[world.n1.pk])
    with pytest.raises(ValidationFailed):
        services.criteria_update(world.ada, version=criteria.version, min_size="giant")
    services.criteria_update(world.ada, version=criteria.version, regions=[world.north.pk])
    with pytest.raises(Conflict):
        services.criteria_update(world.ada, version=criteria.version, regions=[])


def test_the_command(org, capsys):
    build_platforms(org)
    call_command("compute_platforms", "--day", "2026-10-03")
    assert "2026-10: 6 accounts" in capsys.readouterr().out


def test_the_page_the_drill_down_and_exports(client, world, django_assert_max_num_queries):
    client.force_login(world.mona)
    url = reverse("keyaccounts_platforms")
    day = OCT.isoformat()
    client.get(url, {"day": day})
    with django_assert_max_num_queries(14):
        page = client.get(url, {"day": day})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="platforms-moves"' in html and "platforms-compute" in html
    assert "platforms-criteria" not in html
    export = client.get(url, {"day": day, "format": "xlsx"})
    funnel = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert [r[1] for r in funnel[1:]] == [1, 0, 3, 0]
    drill = reverse("keyaccounts_platform_accounts")
    client.get(drill, {"day": day, "platform": "sales"})
    with django_assert_max_num_queries(12):
        listed = client.get(drill, {"day": day, "platform": "sales", "from": "market"})
    assert listed.status_code == 200 and listed.content.decode().count("data-account=") == 1
    assert client.get(drill, {"platform": "moon"}).status_code == 422
    assert client.get(drill, {"day": day, "format": "xlsx"}).status_code == 200
    assert client.get(url, {"unit_id": world.s1.pk}).status_code == 404
    done = client.post(reverse("keyaccounts_platforms_compute"), {"day": day})
    assert done.status_code == 302
    client.force_login(world.ada)
    assert "platforms-criteria" in client.get(url).content.decode()
    saved = client.post(
        reverse("keyaccounts_platforms_criteria"),
        {
            "version": 1,
            "industries": ["power"],
            "min_size": "large",
            "min_buying_power": "100",
            "active_days": "60",
            "revenue_days": "365",
        },
    )
    assert saved.status_code == 302 and PlatformCriteria.current().industries == ["power"]


def test_the_api(client, world, token_for):
    mona = token_for(world.mona)
    body = client.get(API, {"day": OCT.isoformat()}, **mona).json()
    assert body["funnel"] == {"potential": 1, "market": 0, "sales": 3, "buying": 0}
    assert {"from_platform": "market", "to_platform": "sales", "accounts": 1} in body["moves"]
    assert body["teams"][0]["movement"] == {"up": 1, "down": 0, "same": 3, "new": 0}
    listed = client.get(
        f"{API}/accounts", {"day": OCT.isoformat(), "platform": "sales", "from": "market"}, **mona
    ).json()
    assert [a["name"] for a in listed["items"]] == ["P2"]
    assert client.get(f"{API}/accounts", {"platform": "moon"}, **mona).status_code == 422
    assert client.get(API, {"unit_id": world.s1.pk}, **mona).status_code == 404
    ran = client.post(f"{API}/runs", {"day": OCT.isoformat()}, content_type="application/json", **mona)
    assert ran.status_code == 200 and ran.json()["accounts"] == 6
    assert (
        client.post(f"{API}/runs", {}, content_type="application/json", **token_for(world.rita)).status_code
        == 403
    )
    ada = token_for(world.ada)
    got = client.get(f"{API}/criteria", **ada).json()
    assert got["min_size"] == "medium" and got["version"] == 1
    put = client.put(
        f"{API}/criteria", {"version": 1, "industries": ["power"]}, content_type="application/json", **ada
    )
    assert put.status_code == 200 and put.json()["industries"] == ["power"]
    stale = client.put(
        f"{API}/criteria", {"version": 1, "industries": []}, content_type="application/json", **ada
    )
    assert stale.status_code == 409
    bad = client.put(
        f"{API}/criteria", {"version": 2, "min_size": "giant"}, content_type="application/json", **ada
    )
    assert bad.status_code == 422


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_render_in_both_languages(client, world, language):
    from django.utils import translation

    client.force_login(world.ada)
    with translation.override(language):
        for name in (
            "keyaccounts_hub",
            "keyaccounts_platforms",
            "keyaccounts_platform_accounts",
            "keyaccounts_coverage",
            "keyaccounts_coverage_accounts",
            "keyaccounts_coverage_activation",
        ):
            page = client.get(reverse(name), {"day": OCT.isoformat()}, HTTP_ACCEPT_LANGUAGE=language)
            assert page.status_code == 200, name
            assert f'lang="{language[:2]}' in page.content.decode()[:500], name
