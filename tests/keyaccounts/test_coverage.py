"""Coverage of the account pool (issue 15 §9): the territory aggregate against the worked example, loads,
bulk assignment (limits, scope, atomicity, audit through the account service), activation; pages and API
with their query counts and bad input."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kadence.accounts.models import Account
from kadence.core.errors import NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.keyaccounts.coverage import selectors, services
from kadence.keyaccounts.coverage.models import CoveragePolicy
from tests.keyaccounts.coverage_world import AS_OF, build_activation, build_coverage

pytestmark = pytest.mark.django_db
API = "/api/key-accounts/coverage"
DAY = AS_OF.isoformat()


@pytest.fixture
def world(org):
    return build_coverage(org)


def counts(c):
    return (c.total, c.unowned, c.neglected, c.covered, c.rate)


def test_the_territory_figures_of_the_worked_example(world):
    report = selectors.coverage_report(world.ada, as_of=AS_OF)
    teams = {row.unit.code: counts(row.counts) for row in report.teams}
    assert teams == {"north-1": (6, 2, 3, 2, D("33.3")), "south-1": (1, 0, 1, 0, D("0.0"))}
    assert {row.unit.code: counts(row.counts) for row in report.regions} == {
        "north": (6, 2, 3, 2, D("33.3")),
        "south": (1, 0, 1, 0, D("0.0")),
    }
    assert counts(report.total) == (7, 2, 4, 2, D("28.6"))
    mona = selectors.coverage_report(world.mona, as_of=AS_OF)
    assert counts(mona.total) == (6, 2, 3, 2, D("33.3"))
    rita = selectors.coverage_report(world.rita, as_of=AS_OF)
    assert counts(rita.total) == (2, 0, 1, 1, D("50.0"))
    with pytest.raises(NotFound):
        selectors.coverage_report(world.mona, unit_id=world.s1.pk)


def test_the_lists(world):
    def names(kind, user=world.ada):
        return [a.name for a in selectors.account_rows(user, kind=kind, as_of=AS_OF)]

    assert names("unowned") == ["A3 pool", "A4 left"]
    assert names("neglected") == ["A2 stale", "A4 left", "A6 later", "广东移动"]
    assert names("covered") == ["A5 edge", "国网江苏电力"]
    rows = {a.name: a.last_activity for a in selectors.account_rows(world.ada, as_of=AS_OF)}
    assert str(rows["A6 later"]) == "None" and str(rows["A2 stale"]) == "2026-07-01"
    with pytest.raises(ValidationFailed):
        selectors.account_rows(world.ada, kind="lost")


def test_loads_flag_the_sellers_over_their_limit(world):
    policy = CoveragePolicy.current()
    services.policy_update(world.ada, version=policy.version, outside_limit=1, inside_limit=1)
    report = selectors.coverage_report(world.mona, as_of=AS_OF)
    loads = {r.seller.username: (r.kind, r.load.accounts, r.load.limit, r.load.over) for r in report.loads}
    assert loads == {
        "rita": ("outside", 2, 1, True),
        "tom": ("outside", 1, 1, False),
        "ivy": ("inside", 1, 1, False),
    }
    assert [r.seller.username for r in report.over_limit] == ["rita"]


def test_bulk_assign_moves_the_accounts_through_the_account_service(world):
    result = services.bulk_assign(
        world.mona,
        owner_id=world.tom.pk,
        account_ids=[world.a3.pk, world.a4.pk, world.a6.pk],
        reason="re-cut",
    )
    assert (result.assigned, result.unchanged, result.load.accounts) == (2, 1, 3)
    moved = Account.objects.filter(pk__in=[world.a3.pk, world.a4.pk])
    assert {a.owner_id for a in moved} == {world.tom.pk} and {a.team_id for a in moved} == {world.n1.pk}
    assert all(a.version == 2 for a in moved)
    entries = AuditEntry.objects.filter(entity="accounts.account", field="owner_id", reason="re-cut")
    assert sorted(e.entity_id for e in entries) == sorted([world.a3.pk, world.a4.pk])
    report = selectors.coverage_report(world.mona, as_of=AS_OF)
    assert report.total.unowned == 0


def test_bulk_assign_of_a_whole_list_and_across_teams(world):
    result = services.bulk_assign(world.dora, owner_id=world.nick.pk, kind="unowned", unit_id=world.n1.pk)
    assert result.assigned == 2
    a3 = Account.objects.get(pk=world.a3.pk)
    assert a3.owner_id == world.nick.pk and a3.team_id == world.n2.pk  # the team follows the owner


def test_bulk_assign_respects_the_limit_unless_confirmed(world):
    policy = CoveragePolicy.current()
    services.policy_update(world.ada, version=policy.version, outside_limit=2)
    with pytest.raises(ValidationFailed) as refused:
        services.bulk_assign(world.mona, owner_id=world.tom.pk, account_ids=[world.a3.pk, world.a4.pk])
    assert refused.value.code == "over_limit" and refused.value.extra["load"] == 3
    assert Account.objects.get(pk=world.a3.pk).owner_id == world.mona.pk  # nothing moved
    result = services.bulk_assign(
        world.mona, owner_id=world.tom.pk, account_ids=[world.a3.pk, world.a4.pk], confirm_over_limit=True
    )
    assert result.load.over and result.load.excess == 1


def test_bulk_assign_refusals(world):
    with pytest.raises(PermissionDenied):
        services.bulk_assign(world.rita, owner_id=world.tom.pk, account_ids=[world.a3.pk])
    with pytest.raises(ValidationFailed):  # a seller outside mona's units
        services.bulk_assign(world.mona, owner_id=world.sara.pk, account_ids=[world.a3.pk])
    with pytest.raises(ValidationFailed):  # not a seller
        services.bulk_assign(world.mona, owner_id=world.mona.pk, account_ids=[world.a3.pk])
    with pytest.raises(NotFound):  # sara's account is not mona's to see: all or nothing
        services.bulk_assign(
            world.mona, owner_id=world.tom.pk, account_ids=[world.a3.pk, world.sara_account.pk]
        )
    assert Account.objects.get(pk=world.a3.pk).owner_id == world.mona.pk
    with pytest.raises(ValidationFailed):
        services.bulk_assign(world.mona, owner_id=world.tom.pk, account_ids=[])
    with pytest.raises(ValidationFailed):
        services.bulk_assign(world.mona, owner_id=world.tom.pk, kind="all")


def test_the_policy_is_an_admins_and_versioned(world):
    policy = CoveragePolicy.current()
    with pytest.raises(PermissionDenied):
        services.policy_update(world.mona, version=policy.version, neglect_days=30)
    services.policy_update(world.ada, version=policy.version, neglect_days=30)
    from kadence.core.errors import Conflict

    with pytest.raises(Conflict):
        services.policy_update(world.ada, version=policy.version, neglect_days=60)
    with pytest.raises(ValidationFailed):
        services.policy_update(world.ada, version=policy.version + 1, neglect_days="x")
    assert CoveragePolicy.current().neglect_days == 30


def test_activation_of_the_worked_example(org):
    build_activation(org)
    report = selectors.activation_report(org.mona, period="month", day=AS_OF)
    rows = {r.seller.username: r.figures for r in report.rows}
    assert set(rows) == {"ivy"}
    assert (rows["ivy"].accounts, rows["ivy"].converted, rows["ivy"].rate, rows["ivy"].median_days) == (
        3,
        2,
        D("66.7"),
        D("15.0"),
    )
    cohort = {a.name: a.days for a in selectors.activation_cohort(report)}
    assert cohort == {"B1": 10, "B2": 20, "B3": None}
    assert selectors.activation_report(org.sam, day=AS_OF).total.accounts == 0
    with pytest.raises(ValidationFailed):
        selectors.activation_report(org.mona, period="week", day=AS_OF)


# --- pages ---------------------------------------------------------------------------------------


def test_the_coverage_page_and_its_export(client, world, django_assert_max_num_queries):
    client.force_login(world.mona)
    url = reverse("keyaccounts_coverage")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(14):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="coverage-territories"' in html
    assert 'data-testid="coverage-rate">33.3<' in html and "coverage-policy" not in html
    export = client.get(url, {"day": DAY, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[-1][3:8] == (6, 2, 3, 2, 33.3)
    assert client.get(url, {"unit_id": world.s1.pk}).status_code == 404
    assert client.get(url, {"day": "31-10-2026"}).status_code == 422
    client.force_login(world.ada)
    assert 'data-testid="coverage-policy"' in client.get(url).content.decode()


def test_the_list_page_and_bulk_assign_from_it(client, world, django_assert_max_num_queries):
    client.force_login(world.mona)
    url = reverse("keyaccounts_coverage_accounts")
    client.get(url, {"kind": "unowned", "day": DAY})
    with django_assert_max_num_queries(16):
        page = client.get(url, {"kind": "neglected", "day": DAY})
    html = page.content.decode()
    assert page.status_code == 200 and html.count('name="account_ids"') == 3
    assert client.get(url, {"kind": "lost"}).status_code == 422
    back = f"{url}?kind=unowned"
    done = client.post(
        reverse("keyaccounts_coverage_assign"),
        {"owner_id": world.tom.pk, "account_ids": [world.a3.pk, world.a4.pk], "next": back},
    )
    assert done.status_code == 302 and done["Location"] == back
    assert Account.objects.filter(owner=world.tom).count() == 3
    refused = client.post(
        reverse("keyaccounts_coverage_assign"),
        {"owner_id": world.sara.pk, "account_ids": [world.a5.pk], "next": "https://evil.example/"},
        follow=True,
    )
    assert refused.status_code == 200 and Account.objects.get(pk=world.a5.pk).owner_id == world.ivy.pk
    client.force_login(world.rita)
    assert 'name="account_ids"' not in client.get(url).content.decode()
    export = client.get(url, {"kind": "all", "format": "xlsx"})
    assert export.status_code == 200


def test_the_activation_page(client, org, django_assert_max_num_queries):
    build_activation(org)
    client.force_login(org.mona)
    url = reverse("keyaccounts_coverage_activation")
    client.get(url, {"day": DAY})
    with django_assert_max_num_queries(14):
        page = client.get(url, {"day": DAY})
    html = page.content.decode()
    assert 'data-testid="activation-total">3<' in html and "66.7" in html and "15.0" in html
    export = client.get(url, {"day": DAY, "format": "xlsx"})
    sheets = load_workbook(io.BytesIO(export.content)).worksheets
    assert list(sheets[0].iter_rows(values_only=True))[1] == ("Ivy", 3, 2, 66.7, 15)
    assert client.get(url, {"period": "week"}).status_code == 422


# --- API -----------------------------------------------------------------------------------------


def test_the_api(client, world, token_for):
    mona = token_for(world.mona)
    body = client.get(API, {"day": DAY}, **mona).json()
    assert body["total"] == {"total": 6, "unowned": 2, "neglected": 3, "covered": 2, "rate": "33.3"}
    assert client.get(API, {"unit_id": world.s1.pk}, **mona).status_code == 404
    assert client.get(API, {"day": "nope"}, **mona).status_code == 422
    listed = client.get(f"{API}/accounts", {"kind": "unowned", "day": DAY}, **mona).json()
    assert [a["name"] for a in listed["items"]] == ["A3 pool", "A4 left"] and listed["count"] == 2
    assert client.get(f"{API}/accounts", {"kind": "x"}, **mona).status_code == 422
    over = client.put(
        f"{API}/policy",
        {"version": 1, "outside_limit": 2},
        content_type="application/json",
        **token_for(world.ada),
    )
    assert over.status_code == 200 and over.json()["outside_limit"] == 2
    stale = client.put(
        f"{API}/policy",
        {"version": 1, "outside_limit": 3},
        content_type="application/json",
        **token_for(world.ada),
    )
    assert stale.status_code == 409
    assert (
        client.put(
            f"{API}/policy", {"version": 2, "inside_limit": 9}, content_type="application/json", **mona
        ).status_code
        == 403
    )
    payload = {"owner_id": world.tom.pk, "account_ids": [world.a3.pk, world.a4.pk]}
    refused = client.post(f"{API}/assign", payload, content_type="application/json", **mona)
    assert refused.status_code == 422 and refused.json()["code"] == "over_limit"
    done = client.post(
        f"{API}/assign", {**payload, "confirm_over_limit": True}, content_type="application/json", **mona
    )
    assert done.json() == {
        "owner_id": world.tom.pk,
        "assigned": 2,
        "unchanged": 0,
        "load": 3,
        "limit": 2,
        "over": True,
    }
    bad = client.post(
        f"{API}/assign",
        {"owner_id": world.tom.pk, "account_ids": ["x"]},
        content_type="application/json",
        **mona,
    )
    assert bad.status_code == 422
    rep = client.post(f"{API}/assign", payload, content_type="application/json", **token_for(world.rita))
    assert rep.status_code == 403
    assert client.get(f"{API}/policy", **mona).json()["outside_limit"] == 2


def test_the_activation_api(client, org, token_for):
    build_activation(org)
    body = client.get(f"{API}/activation", {"day": DAY}, **token_for(org.mona)).json()
    assert body["rows"][0]["accounts"] == 3 and body["rows"][0]["rate"] == "66.7"
    assert body["rows"][0]["median_days"] == "15.0" and len(body["accounts"]) == 3
    assert client.get(f"{API}/activation", {"period": "week"}, **token_for(org.mona)).status_code == 422


def test_reading_never_writes_the_configuration(client, world, token_for):
    from kadence.keyaccounts.platforms.models import PlatformCriteria

    CoveragePolicy.objects.all().delete()
    PlatformCriteria.objects.all().delete()
    client.force_login(world.ada)
    assert client.get(reverse("keyaccounts_coverage")).status_code == 200
    assert client.get(reverse("keyaccounts_platforms")).status_code == 200
    assert client.get(f"{API}/policy", **token_for(world.ada)).json()["neglect_days"] == 90
    assert not CoveragePolicy.objects.exists() and not PlatformCriteria.objects.exists()
    services.policy_update(world.ada, version=1, neglect_days=45)
    assert CoveragePolicy.objects.get().neglect_days == 45


def test_the_pages_cost_the_same_with_more_accounts_and_sellers(client, world, django_assert_max_num_queries):
    from datetime import timedelta

    from kadence.core.models import User
    from tests.keyaccounts.coverage_world import account, activity, person

    sellers = [
        person(world, f"extra{i}", User.Role.INSIDE if i % 2 else User.Role.REP, world.n2) for i in range(6)
    ]
    for i in range(40):
        acc = account(world, f"Extra {i:02d}", sellers[i % 6])
        activity(acc, sellers[i % 6], AS_OF - timedelta(days=i * 5))
    client.force_login(world.dora)
    for url, params in (
        (reverse("keyaccounts_coverage"), {"day": DAY}),
        (reverse("keyaccounts_coverage_accounts"), {"kind": "neglected", "day": DAY}),
        (reverse("keyaccounts_coverage_activation"), {"day": DAY}),
    ):
        client.get(url, params)
        with django_assert_max_num_queries(16):
            assert client.get(url, params).status_code == 200


def test_assigning_a_whole_list_from_the_page(client, world):
    client.force_login(world.mona)
    done = client.post(
        reverse("keyaccounts_coverage_assign"),
        {"owner_id": world.ivy.pk, "scope": "list", "kind": "unowned", "unit_id": world.n1.pk},
    )
    assert done.status_code == 302
    assert set(Account.objects.filter(owner=world.ivy).values_list("name", flat=True)) == {
        "A3 pool",
        "A4 left",
        "A5 edge",
    }
