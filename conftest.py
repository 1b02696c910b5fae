"""Shared test fixtures: a small named organisation so that visibility is obvious in every test.

company
├── north (region)  director: dora
│   ├── north-1 (team)  manager: mona; reps: rita (owner of most things), tom (teammate)
│   └── north-2 (team)  rep: nick
└── south (region)  director: sven
    └── south-1 (team)  manager: sam; rep: sara
admin: ada
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from kadence.core.models import ApiToken, OrgUnit, User

# Property tests check rules, not speed: no per-example deadline and no "too slow" health check, which
# fail on a loaded machine (a test's own @settings still sets its number of examples).
hypothesis_settings.register_profile("kadence", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("kadence")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language, whatever an earlier one activated (a test that reads
    English says so with translation.override("en") or an Accept-Language header)."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty local-memory cache: cached report inputs (the time-aware model's
    stays are kept for the hour) must not carry one test's data into the next. A shared cache (Redis) is
    left alone."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["default"]
    if isinstance(cache, LocMemCache):
        cache.clear()


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(settings, tmp_path_factory):
    """Uploaded files (imports, evidence) go to a directory of the test run, not the project's var/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create and log in many users; the production hasher's million iterations only slow them."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """pytest-django runs the database tests, then the transactional ones, then the rest; within the
    first group, the tests that ask for `org` go last: the organisation they share is committed once
    (see `_org_pks`), and the tests before them start from the empty database they expect."""

    def group(item: pytest.Item) -> int:
        fixtures = getattr(item, "fixturenames", ())
        marker = item.get_closest_marker("django_db")
        transactional = (
            "transactional_db" in fixtures
            or "live_server" in fixtures
            or (
                marker is not None
                and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
            )
        )
        if transactional:
            return 2
        if marker is None and "db" not in fixtures:
            return 3
        return 1 if "org" in fixtures else 0

    items.sort(key=group)


def _unit(kind: str, code: str, zh: str, parent: OrgUnit | None = None) -> OrgUnit:
    unit = OrgUnit.objects.create(kind=kind, code=code, name_zh=zh, name_en=code, parent=parent)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def _user(username: str, role: str, unit: OrgUnit, manages: list[OrgUnit] | None = None) -> User:
    user = User.objects.create_user(
        username=username,
        password="pw-" + username,
        role=role,
        org_unit=unit,
        display_name=username.capitalize(),
    )
    if role == User.Role.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save()
    if manages:
        user.managed_units.set(manages)
    return user


def _build_org() -> SimpleNamespace:
    """The organisation above plus one account and one opportunity each for rita and sara."""
    from kadence.accounts.models import Industry
    from kadence.accounts.services import account_create
    from kadence.pipeline.services import opportunity_create

    company = _unit("company", "co", "公司")
    north = _unit("region", "north", "华北", company)
    south = _unit("region", "south", "华南", company)
    n1 = _unit("team", "north-1", "北一", north)
    n2 = _unit("team", "north-2", "北二", north)
    s1 = _unit("team", "south-1", "南一", south)
    ns = SimpleNamespace(company=company, north=north, south=south, n1=n1, n2=n2, s1=s1)
    ns.ada = _user("ada", User.Role.ADMIN, company)
    ns.dora = _user("dora", User.Role.DIRECTOR, north, [north])
    ns.sven = _user("sven", User.Role.DIRECTOR, south, [south])
    ns.mona = _user("mona", User.Role.MANAGER, n1, [n1])
    ns.sam = _user("sam", User.Role.MANAGER, s1, [s1])
    ns.rita = _user("rita", User.Role.REP, n1)
    ns.tom = _user("tom", User.Role.REP, n1)
    ns.nick = _user("nick", User.Role.REP, n2)
    ns.sara = _user("sara", User.Role.REP, s1)
    ns.industry = Industry.objects.get(code="power")
    ns.account = account_create(
        ns.rita, name="国网江苏电力", industry_id=ns.industry.pk, region_id=north.pk, buying_power="5000000"
    )
    ns.opp = opportunity_create(
        ns.rita,
        account_id=ns.account.pk,
        name="变电站自动化改造",
        amount="1200000",
        expected_close_date=date.today() + timedelta(days=90),
    )
    ns.sara_account = account_create(
        ns.sara, name="广东移动", industry_id=Industry.objects.get(code="telecom").pk, region_id=south.pk
    )
    ns.sara_opp = opportunity_create(
        ns.sara,
        account_id=ns.sara_account.pk,
        name="机房动环监控",
        amount="300000",
        expected_close_date=date.today() + timedelta(days=60),
    )
    return ns


UNITS = ("company", "north", "south", "n1", "n2", "s1")
USERS = ("ada", "dora", "sven", "mona", "sam", "rita", "tom", "nick", "sara")
DEALS = (("account", "opp"), ("sara_account", "sara_opp"))


def _load_org(pks: dict[str, int]) -> SimpleNamespace | None:
    """The organisation built by `_build_org`, read back as fresh instances (five queries), with the
    relations `_build_org`'s objects carry already attached, so that a test counting queries counts
    the same; None when its rows are gone (a transactional test flushed the database)."""
    from kadence.accounts.models import Account, Industry
    from kadence.pipeline.models import Opportunity

    users = User.objects.in_bulk([pks[name] for name in USERS])
    if len(users) != len(USERS):
        return None
    units = OrgUnit.objects.in_bulk([pks[name] for name in UNITS])
    accounts = Account.objects.in_bulk([pks[account] for account, _opp in DEALS])
    opps = Opportunity.objects.select_related("template", "stage__default_level", "level").in_bulk(
        [pks[opp] for _account, opp in DEALS]
    )
    if len(units) != len(UNITS) or len(accounts) != len(DEALS) or len(opps) != len(DEALS):
        return None
    ns = SimpleNamespace(**{name: units[pks[name]] for name in UNITS})
    for unit in units.values():
        unit.parent = units.get(unit.parent_id)
    for name in USERS:
        user = users[pks[name]]
        user.org_unit = units[user.org_unit_id]
        setattr(ns, name, user)
    ns.industry = Industry.objects.get(pk=pks["industry"])
    for account_name, opp_name in DEALS:
        account, opp = accounts[pks[account_name]], opps[pks[opp_name]]
        opp.account = copy.copy(account)  # as the service read it: a separate instance
        account.owner = users[account.owner_id]
        opp.owner = users[opp.owner_id]
        setattr(ns, account_name, account)
        setattr(ns, opp_name, opp)
    return ns


@pytest.fixture(scope="session")
def _org_pks(django_db_setup, django_db_blocker) -> dict[str, int]:
    """The organisation, built once for the whole run and committed: each test that asks for `org`
    reads it back inside its own rolled-back transaction instead of building it again (a hundred
    queries). Only the tests that ask for `org` may see these rows: the root `pytest_collection_modifyitems`
    runs every other database test first."""
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        ns = _build_org()  # with the hasher the tests log in with (`_fast_password_hashing`)
    return {name: obj.pk for name, obj in vars(ns).items()}


@pytest.fixture
def org(db, _org_pks):
    """The organisation above plus one account and one opportunity owned by rita (and one owned by
    sara): fresh instances for each test, of rows shared by the run. A transactional test flushes the
    database after it runs; the next one then builds the organisation for itself."""
    from kadence.accounts.models import Account

    ns = _load_org(_org_pks)
    if ns is None:
        ns = _build_org()
        _org_pks.update({name: obj.pk for name, obj in vars(ns).items()})
    ns.Account = Account
    return ns


@pytest.fixture
def token_for(db):
    """token_for(user) → an Authorization header dict for the API."""

    def make(user: User) -> dict[str, str]:
        _row, token = ApiToken.issue(user, "test")
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return make


@pytest.fixture
def no_gates(db):
    """Switch every exit criterion off, for tests about moving deals rather than about gates."""
    from kadence.pipeline.models import ExitCriterion

    ExitCriterion.objects.update(is_active=False)
