"""The expense flow (费用流, METHODOLOGY §6): budgets, logged spend and the warning the moment a
threshold is reached, the home page's expense warnings, and the cost of sale per rep and team;
services, API and pages, with the personas owner (rita), deal-team member (tom), manager (mona),
another team's rep (nick), the north director (dora), the other region's director (sven), admin (ada)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.deals.models import ControlPolicy, Expense, ExpenseBudget, ExpenseCategory
from kadence.deals.selectors.expenses import (
    cost_of_sale_report,
    expense_alerts,
    expense_page,
    expense_summary,
)
from kadence.deals.services import expenses as services
from kadence.pipeline import services as pipeline
from kadence.pipeline.models import DealRole, LossReason
from tests.versions import budget_version, opp_version

TODAY = timezone.localdate


def category(code: str) -> ExpenseCategory:
    return ExpenseCategory.objects.get(code=code)


def log(user, opp, code: str, amount, *, on: date | None = None, text: str = "出差"):
    return services.expense_log(
        user, opp.pk, category=code, amount=amount, spent_on=on or TODAY(), description=text
    )


@pytest.fixture
def team(org):
    """tom joins rita's deal as pre-sales; rita's deal has a travel budget of 10,000 and an
    entertainment budget of 5,000."""
    pipeline.opportunity_team_add(
        org.rita, org.opp.pk, user_id=org.tom.pk, role_id=DealRole.objects.get(code="presales").pk
    )
    services.expense_budget_set(
        org.rita, org.opp.pk, {"travel": "10000", "entertainment": 5000}, version=budget_version(org.opp.pk)
    )
    return org


# --- budgets ------------------------------------------------------------------------------------------


def test_owner_sets_budgets_by_code_or_id_and_it_is_audited(org):
    services.expense_budget_set(
        org.rita,
        org.opp.pk,
        {"travel": "10000.50", str(category("demo").pk): D(3000)},
        version=budget_version(org.opp.pk),
    )
    budgets = dict(ExpenseBudget.objects.filter(opportunity=org.opp).values_list("category__code", "amount"))
    assert budgets == {"travel": D("10000.50"), "demo": D("3000.00")}
    services.expense_budget_set(
        org.mona, org.opp.pk, {"travel": "12000", "demo": "0"}, version=budget_version(org.opp.pk)
    )
    budgets = dict(ExpenseBudget.objects.filter(opportunity=org.opp).values_list("category__code", "amount"))
    assert budgets == {"travel": D("12000.00")}  # 0 removes the budget
    fields = list(
        AuditEntry.objects.filter(entity_id=org.opp.pk, field__startswith="expense_budget.")
        .order_by("id")
        .values_list("field", "old_value", "new_value")
    )
    assert fields == [
        ("expense_budget.travel", "0", "10000.50"),
        ("expense_budget.demo", "0", "3000"),
        ("expense_budget.travel", "10000.50", "12000"),
        ("expense_budget.demo", "3000", "0"),
    ]


@pytest.mark.parametrize(
    "amounts, field",
    [
        ({"travel": "-1"}, "travel"),
        ({"travel": "abc"}, "travel"),
        ({"travel": "1.005"}, "travel"),
        ({"travel": "1e13"}, "travel"),
        ({"nope": "100"}, "nope"),
        ({}, "amounts"),
    ],
)
def test_budget_validation(org, amounts, field):
    with pytest.raises(ValidationFailed) as exc:
        services.expense_budget_set(org.rita, org.opp.pk, amounts, version=budget_version(org.opp.pk))
    assert field in exc.value.errors
    assert not ExpenseBudget.objects.exists()


def test_only_who_may_write_the_deal_sets_budgets(team):
    org = team
    with pytest.raises(PermissionDenied):
        services.expense_budget_set(org.tom, org.opp.pk, {"travel": "1"}, version=budget_version(org.opp.pk))
    for outsider in (org.nick, org.sven):
        with pytest.raises(NotFound):
            services.expense_budget_set(
                outsider, org.opp.pk, {"travel": "1"}, version=budget_version(org.opp.pk)
            )
    services.expense_budget_set(org.dora, org.opp.pk, {"travel": "11000"}, version=budget_version(org.opp.pk))


def test_a_budget_change_names_the_version_it_was_based_on(org):
    """Two people editing the budget at once: the second save is refused (409) and changes
    nothing, where the last save used to win silently; a save without a version is a 422."""
    assert budget_version(org.opp.pk) == 0
    services.expense_budget_set(org.rita, org.opp.pk, {"travel": "1000"}, version=0)
    assert budget_version(org.opp.pk) == 1
    with pytest.raises(Conflict) as stale:
        services.expense_budget_set(org.mona, org.opp.pk, {"travel": "2000"}, version=0)
    assert stale.value.extra["current_version"] == 1
    with pytest.raises(ValidationFailed) as missing:
        services.expense_budget_set(org.mona, org.opp.pk, {"travel": "2000"}, version=None)
    assert missing.value.code == "version_required"
    services.expense_budget_set(org.rita, org.opp.pk, {"travel": "1000"}, version=1)  # nothing changes
    assert budget_version(org.opp.pk) == 1
    assert ExpenseBudget.objects.get(opportunity=org.opp).amount == D(1000)


def test_an_inactive_category_takes_no_new_budget(org):
    ExpenseCategory.objects.filter(code="other").update(is_active=False)
    with pytest.raises(ValidationFailed):
        services.expense_budget_set(
            org.rita, org.opp.pk, {"other": "100"}, version=budget_version(org.opp.pk)
        )


# --- logging ------------------------------------------------------------------------------------------


def test_logging_returns_the_state_and_what_was_just_crossed(team):
    org = team
    first = log(org.tom, org.opp, "travel", "7999.99")
    assert first.category.state == "ok" and first.crossed == () and first.message == ""
    second = log(org.tom, org.opp, "travel", "0.01")  # exactly 80 %
    assert second.category.used_pct == D("80.0") and second.category.state == "warn"
    assert second.crossed == ("category",) and second.state == "warn"
    assert "80.0%" in second.message
    third = log(org.rita, org.opp, "travel", "2000")  # exactly 100 %
    assert third.category.state == "over" and third.crossed == ("category",)
    assert third.total.used_pct == D("66.6") and third.total.state == "ok"
    fourth = log(org.mona, org.opp, "entertainment", "2000")  # total 12,000 of 15,000 = 80 %
    assert fourth.category.state == "ok" and fourth.total.state == "warn" and fourth.crossed == ("total",)
    fifth = log(org.rita, org.opp, "demo", "100")  # no budget for demo
    assert (
        fifth.category.state == "over" and fifth.category.used_pct is None and fifth.crossed == ("category",)
    )
    assert AuditEntry.objects.filter(entity_id=org.opp.pk, field="expense").count() == 5


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"spent_on": None}, "spent_on"),
        ({"category": "nope"}, "category"),
        ({"description": "  "}, "description"),
    ],
)
def test_log_validation(team, kwargs, field):
    org = team
    values = {"category": "travel", "amount": "100", "spent_on": TODAY(), "description": "出差", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        services.expense_log(org.rita, org.opp.pk, **values)
    assert field in exc.value.errors
    assert not Expense.objects.exists()


def test_log_refuses_a_future_date_and_an_inactive_category(team):
    org = team
    with pytest.raises(ValidationFailed) as exc:
        log(org.rita, org.opp, "travel", "100", on=TODAY() + timedelta(days=1))
    assert "spent_on" in exc.value.errors
    ExpenseCategory.objects.filter(code="travel").update(is_active=False)
    with pytest.raises(ValidationFailed):
        log(org.rita, org.opp, "travel", "100")


def test_who_may_log(team):
    org = team
    for outsider in (org.nick, org.sven):
        with pytest.raises(NotFound):
            log(outsider, org.opp, "travel", "1")
    log(org.tom, org.opp, "travel", "1")
    log(org.dora, org.opp, "travel", "1")
    pipeline.opportunity_close_lost(
        org.rita, org.opp.pk, loss_reason_id=LossReason.objects.first().pk, version=opp_version(org.opp.pk)
    )
    log(org.rita, org.opp, "travel", "1")  # receipts come in after a deal closes


def test_who_may_delete(team):
    org = team
    toms = log(org.tom, org.opp, "travel", "300").expense
    ritas = log(org.rita, org.opp, "travel", "400").expense
    with pytest.raises(PermissionDenied):
        services.expense_delete(org.tom, org.opp.pk, ritas.pk)
    with pytest.raises(NotFound):
        services.expense_delete(org.nick, org.opp.pk, toms.pk)
    with pytest.raises(NotFound):  # an expense of another deal
        services.expense_delete(org.ada, org.sara_opp.pk, toms.pk)
    services.expense_delete(org.tom, org.opp.pk, toms.pk)
    services.expense_delete(org.mona, org.opp.pk, ritas.pk)
    assert not Expense.objects.exists()
    assert AuditEntry.objects.filter(entity_id=org.opp.pk, field="expense", new_value="").count() == 2


# --- reads --------------------------------------------------------------------------------------------


def test_summary_per_category_and_total(team, django_assert_max_num_queries):
    org = team
    log(org.tom, org.opp, "travel", "8500")
    log(org.tom, org.opp, "demo", "300")
    ExpenseCategory.objects.filter(code="demo").update(is_active=False)  # still shown: it has spend
    ExpenseCategory.objects.filter(code="other").update(is_active=False)  # hidden: nothing on it
    with django_assert_max_num_queries(7):  # the seventh reads the budget's version
        found = expense_summary(org.tom, org.opp.pk)
    assert found.budget_version == 1
    lines = {
        line.category.code: (line.usage.budget, line.usage.spent, line.usage.state) for line in found.lines
    }
    assert lines == {
        "travel": (D(10000), D(8500), "warn"),
        "entertainment": (D(5000), D(0), "ok"),
        "demo": (D(0), D(300), "over"),
        "bidding": (D(0), D(0), "none"),
        "consultant": (D(0), D(0), "none"),
    }
    assert (
        found.total.budget == D(15000) and found.total.spent == D(8800) and found.total.used_pct == D("58.6")
    )
    assert not found.can_set_budget
    assert expense_summary(org.rita, org.opp.pk).can_set_budget
    with pytest.raises(NotFound):
        expense_summary(org.nick, org.opp.pk)


def test_summary_follows_the_policy_thresholds(team):
    org = team
    log(org.rita, org.opp, "travel", "6000")
    assert expense_summary(org.rita, org.opp.pk).lines[0].usage.state == "ok"
    ControlPolicy.objects.filter(pk=1).update(expense_warn_pct=D(50), expense_limit_pct=D(60))
    assert expense_summary(org.rita, org.opp.pk).lines[0].usage.state == "over"


def test_expense_page_is_paginated_newest_first(team):
    org = team
    for i in range(30):
        log(org.rita, org.opp, "travel", "10", on=TODAY() - timedelta(days=i))
    page = expense_page(org.tom, org.opp.pk, 2, 25)
    assert page.count == 30 and page.pages == 2 and len(page.items) == 5
    assert page.items[-1].spent_on == TODAY() - timedelta(days=29)
    assert not any(e.can_delete for e in page.items)
    assert all(e.can_delete for e in expense_page(org.mona, org.opp.pk).items)


@pytest.fixture
def spend(team):
    """rita's deal: 12,000 of 15,000 (80 %, warn). sara's deal: 600 without budget (over). tom's own
    deal: 100 of 10,000 (ok). A lost deal of rita's at 200 %."""
    org = team
    log(org.rita, org.opp, "travel", "12000")
    org.tom_opp = pipeline.opportunity_create(
        org.tom,
        account_id=org.account.pk,
        name="tom deal",
        amount="100000",
        expected_close_date=TODAY() + timedelta(days=30),
    )
    services.expense_budget_set(
        org.tom, org.tom_opp.pk, {"travel": "10000"}, version=budget_version(org.tom_opp.pk)
    )
    log(org.tom, org.tom_opp, "travel", "100")
    log(org.sara, org.sara_opp, "entertainment", "600")
    org.lost_opp = pipeline.opportunity_create(
        org.rita,
        account_id=org.account.pk,
        name="lost deal",
        amount="100",
        expected_close_date=TODAY() + timedelta(days=30),
    )
    services.expense_budget_set(
        org.rita, org.lost_opp.pk, {"travel": "100"}, version=budget_version(org.lost_opp.pk)
    )
    log(org.rita, org.lost_opp, "travel", "200")
    pipeline.opportunity_close_lost(
        org.rita,
        org.lost_opp.pk,
        loss_reason_id=LossReason.objects.first().pk,
        version=opp_version(org.lost_opp.pk),
    )
    return org


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("rita", ["opp"]),
        ("tom", []),  # on rita's deal's team, but a seller's warnings are about the deals they own
        ("mona", ["opp"]),
        ("dora", ["opp"]),
        ("sven", ["sara_opp"]),
        ("ada", ["sara_opp", "opp"]),  # over first
    ],
)
def test_expense_alerts_per_persona(spend, persona, expected):
    org = spend
    alerts = expense_alerts(getattr(org, persona))
    assert [a.opp_id for a in alerts] == [getattr(org, name).pk for name in expected]
    states = {a.opp_id: (a.state, a.usage.used_pct) for a in alerts}
    if "opp" in expected:
        assert states[org.opp.pk] == ("warn", D("80.0"))
    if "sara_opp" in expected:
        assert states[org.sara_opp.pk] == ("over", None)


def test_expense_alerts_are_one_query_and_capped(spend, django_assert_max_num_queries):
    org = spend
    for i in range(5):
        opp = pipeline.opportunity_create(
            org.rita,
            account_id=org.account.pk,
            name=f"more {i}",
            amount="1000",
            expected_close_date=TODAY() + timedelta(days=30),
        )
        log(org.rita, opp, "travel", "50")
    admin = type(org.ada).objects.get(pk=org.ada.pk)
    with django_assert_max_num_queries(2):  # the policy row and the grouped aggregate
        alerts = expense_alerts(admin, limit=3)
    assert len(alerts) == 3 and all(a.state == "over" for a in alerts)


# --- cost of sale ---------------------------------------------------------------------------------------


@pytest.fixture
def sales(org, no_gates):
    """This year: rita won 1,200,000 and spent 36,000 (+ 500 dated last year); tom won 800,000 and
    spent nothing; nick spent 10,000 and won nothing; sara won 300,000 and spent 15,000. rita also
    sits on nick's deal team (that gives her no row of nick's)."""
    from kadence.accounts.services import account_create

    close = TODAY() + timedelta(days=30)
    tom_account = account_create(
        org.tom, name="北京地铁", industry_id=org.industry.pk, region_id=org.north.pk
    )
    org.tom_opp = pipeline.opportunity_create(
        org.tom, account_id=tom_account.pk, name="tom deal", amount="800000", expected_close_date=close
    )
    nick_account = account_create(
        org.nick, name="天津港", industry_id=org.industry.pk, region_id=org.north.pk
    )
    org.nick_opp = pipeline.opportunity_create(
        org.nick, account_id=nick_account.pk, name="nick deal", amount="450000", expected_close_date=close
    )
    pipeline.opportunity_team_add(
        org.nick, org.nick_opp.pk, user_id=org.rita.pk, role_id=DealRole.objects.get(code="consultant").pk
    )
    log(org.rita, org.opp, "travel", "30000")
    log(org.rita, org.opp, "entertainment", "6000")
    log(org.rita, org.opp, "travel", "500", on=date(TODAY().year - 1, 6, 1))
    log(org.nick, org.nick_opp, "demo", "10000")
    log(org.sara, org.sara_opp, "bidding", "15000")
    for user, opp in ((org.rita, org.opp), (org.tom, org.tom_opp), (org.sara, org.sara_opp)):
        pipeline.opportunity_close_won(user, opp.pk, closed_on=TODAY(), version=opp_version(opp.pk))
    return org


def _rows(rows):
    return {r.label: (r.expenses, r.won_amount, r.won_count, r.cost_pct) for r in rows}


@pytest.mark.parametrize(
    "persona, reps, teams",
    [
        ("rita", {"Rita"}, set()),
        ("tom", {"Tom"}, set()),
        ("mona", {"Rita", "Tom"}, {"north-1"}),
        ("dora", {"Rita", "Tom", "Nick"}, {"north-1", "north-2"}),
        ("sven", {"Sara"}, {"south-1"}),
        ("ada", {"Rita", "Tom", "Nick", "Sara"}, {"north-1", "north-2", "south-1"}),
    ],
)
def test_cost_of_sale_scope(sales, persona, reps, teams, client):
    start, end = date(TODAY().year, 1, 1), date(TODAY().year, 12, 31)
    report = cost_of_sale_report(getattr(sales, persona), start, end)
    assert set(_rows(report.reps)) == reps
    assert {r.label for r in report.teams} <= {"北一", "北二", "南一", "north-1", "north-2", "south-1"}
    assert len(report.teams) == len(teams)


def test_cost_of_sale_numbers(sales):
    start, end = date(TODAY().year, 1, 1), date(TODAY().year, 12, 31)
    report = cost_of_sale_report(sales.ada, start, end)
    assert _rows(report.reps) == {
        "Rita": (D(36000), D(1200000), 1, D("3.00")),
        "Tom": (D(0), D(800000), 1, D("0.00")),
        "Nick": (D(10000), D(0), 0, None),
        "Sara": (D(15000), D(300000), 1, D("5.00")),
    }
    assert [r.label for r in report.reps] == ["Rita", "Tom", "Sara", "Nick"]  # by won amount
    teams = {r.key: (r.expenses, r.won_amount, r.won_count, r.cost_pct) for r in report.teams}
    assert teams[sales.n1.pk] == (D(36000), D(2000000), 2, D("1.80"))
    assert teams[sales.s1.pk] == (D(15000), D(300000), 1, D("5.00"))
    assert (report.total.expenses, report.total.won_amount, report.total.won_count) == (
        D(61000),
        D(2300000),
        3,
    )
    last_year = cost_of_sale_report(sales.ada, date(TODAY().year - 1, 1, 1), date(TODAY().year - 1, 12, 31))
    assert _rows(last_year.reps) == {"Rita": (D(500), D(0), 0, None)}


def test_cost_of_sale_query_count(sales, django_assert_max_num_queries):
    admin = type(sales.ada).objects.get(pk=sales.ada.pk)
    with django_assert_max_num_queries(6):
        cost_of_sale_report(admin, date(TODAY().year, 1, 1), date(TODAY().year, 12, 31))
    director = type(sales.dora).objects.get(pk=sales.dora.pk)
    with django_assert_max_num_queries(8):  # + the director's scope
        cost_of_sale_report(director, date(TODAY().year, 1, 1), date(TODAY().year, 12, 31))


# --- API ----------------------------------------------------------------------------------------------


class Api:
    def __init__(self, token_for) -> None:
        self.client, self.token_for, self.headers = Client(), token_for, {}

    def call(self, method, path, user, body=None, expect=200, **params):
        headers = self.headers.setdefault(user.pk, self.token_for(user))
        if method == "get":
            response = self.client.get(path, params, **headers)
        else:
            data = body if isinstance(body, str) else json.dumps(body if body is not None else {})
            response = getattr(self.client, method)(
                path, data=data, content_type="application/json", **headers
            )
        assert response.status_code == expect, (response.status_code, response.content[:1500])
        return response.json() if response.content else None


@pytest.fixture
def api(token_for) -> Api:
    return Api(token_for)


def test_api_read_shape_and_visibility(api, team):
    org = team
    log(org.tom, org.opp, "travel", "8000")
    url = f"/api/opportunities/{org.opp.pk}/expenses"
    body = api.call("get", url, org.rita)
    assert (
        body["currency"] == "CNY"
        and body["budget"]["warn_pct"] == "80.0"
        and body["budget"]["limit_pct"] == "100.0"
    )
    travel = body["budget"]["categories"][0]
    assert (
        travel["category"]["code"] == "travel"
        and travel["budget"] == "10000.00"
        and travel["spent"] == "8000.00"
    )
    assert travel["used_pct"] == "80.0" and travel["state"] == "warn" and travel["remaining"] == "2000.00"
    assert body["budget"]["total"]["state"] == "ok" and body["budget"]["can_set_budget"] is True
    assert body["expenses"]["count"] == 1 and body["expenses"]["items"][0]["amount"] == "8000.00"
    assert body["expenses"]["items"][0]["logged_by"]["username"] == "tom"
    member = api.call("get", url, org.tom, page_size=1)
    assert member["budget"]["can_set_budget"] is False and member["budget"]["can_log"] is True
    api.call("get", url, org.nick, expect=404)
    api.call("get", url, org.sven, expect=404)
    api.call("get", url, org.rita, expect=422, page_size=0)


def test_api_categories(api, org):
    ExpenseCategory.objects.filter(code="other").update(is_active=False)
    codes = [c["code"] for c in api.call("get", "/api/expense-categories", org.tom)]
    assert codes == ["travel", "entertainment", "demo", "bidding", "consultant"]
    assert len(api.call("get", "/api/expense-categories", org.tom, include_inactive="true")) == 6


def test_api_budget(api, team):
    org = team
    url = f"/api/opportunities/{org.opp.pk}/expense-budget"
    version = api.call("get", f"/api/opportunities/{org.opp.pk}/expenses", org.rita)["budget"]["version"]
    body = api.call(
        "put",
        url,
        org.rita,
        {"version": version, "amounts": {"travel": "20000", str(category("demo").pk): 500}},
    )
    assert {c["category"]["code"]: c["budget"] for c in body["categories"]}["demo"] == "500.00"
    assert body["total"]["budget"] == "25500.00" and body["version"] == version + 1
    version += 1

    def put(amounts, **extra):
        return {"version": version, "amounts": amounts, **extra}

    api.call("put", url, org.tom, put({"travel": "1"}), expect=403)
    api.call("put", url, org.nick, put({"travel": "1"}), expect=404)
    api.call("put", url, org.rita, put({"travel": "-1"}), expect=422)
    api.call("put", url, org.rita, put({"nope": "1"}), expect=422)
    api.call("put", url, org.rita, ["travel"], expect=422)
    api.call("put", url, org.rita, put({"travel": "x"}), expect=422)
    api.call("put", url, org.rita, "{not json", expect=422)
    assert ExpenseBudget.objects.get(opportunity=org.opp, category__code="travel").amount == D(20000)


def test_api_budget_needs_the_version_read(api, team):
    """A budget change without a version is refused (422) and a stale one answers 409; neither
    changes anything (before, the last save silently won)."""
    org = team
    url = f"/api/opportunities/{org.opp.pk}/expense-budget"
    before = dict(ExpenseBudget.objects.filter(opportunity=org.opp).values_list("category__code", "amount"))
    version = budget_version(org.opp.pk)
    missing = api.call("put", url, org.rita, {"amounts": {"travel": "1"}}, expect=422)
    assert missing["code"] == "validation_failed" and "version" in missing["detail"]
    api.call("put", url, org.rita, {"travel": "1"}, expect=422)  # the old shape: no version
    stale = api.call("put", url, org.rita, {"version": version + 1, "amounts": {"travel": "1"}}, expect=409)
    assert stale["code"] == "conflict" and stale["current_version"] == version
    assert (
        dict(ExpenseBudget.objects.filter(opportunity=org.opp).values_list("category__code", "amount"))
        == before
    )
    assert budget_version(org.opp.pk) == version


def test_api_log_and_delete(api, team):
    org = team
    url = f"/api/opportunities/{org.opp.pk}/expenses"
    ok = api.call(
        "post",
        url,
        org.tom,
        {"category": "travel", "amount": "7000", "spent_on": TODAY().isoformat(), "description": "北京出差"},
        expect=201,
    )
    assert (
        ok["state"] == "ok"
        and ok["crossed"] == []
        and ok["message"] == ""
        and ok["category"]["used_pct"] == "70.0"
    )
    warn = api.call(
        "post",
        url,
        org.tom,
        {
            "category": str(category("travel").pk),
            "amount": "1000.00",
            "spent_on": TODAY().isoformat(),
            "description": "再次出差",
        },
        expect=201,
    )
    assert warn["state"] == "warn" and warn["crossed"] == ["category"] and "80.0%" in warn["message"]
    assert warn["expense"]["category"]["code"] == "travel" and warn["total"]["spent"] == "8000.00"
    future = (TODAY() + timedelta(days=1)).isoformat()
    for bad in (
        {"amount": "0"},
        {"amount": "-1"},
        {"spent_on": future},
        {"category": "nope"},
        {"description": ""},
        {"extra": 1},
    ):
        body = {
            "category": "travel",
            "amount": "1",
            "spent_on": TODAY().isoformat(),
            "description": "x",
            **bad,
        }
        api.call("post", url, org.rita, body, expect=422)
    api.call(
        "post",
        url,
        org.nick,
        {"category": "travel", "amount": "1", "spent_on": TODAY().isoformat(), "description": "x"},
        expect=404,
    )
    expense_id = ok["expense"]["id"]
    api.call("delete", f"{url}/{expense_id}", org.nick, expect=404)
    ritas = log(org.rita, org.opp, "travel", "10").expense
    api.call("delete", f"{url}/{ritas.pk}", org.tom, expect=403)
    api.call("delete", f"{url}/{expense_id}", org.tom, expect=204)
    api.call("delete", f"{url}/{expense_id}", org.tom, expect=404)
    assert Expense.objects.filter(opportunity=org.opp).count() == 2


def test_api_cost_of_sale(api, sales):
    url = "/api/reports/cost-of-sale"
    body = api.call("get", url, sales.rita)
    assert [r["name"] for r in body["reps"]] == ["Rita"] and body["teams"] == []
    assert body["reps"][0] == {
        "id": sales.rita.pk,
        "name": "Rita",
        "team": body["reps"][0]["team"],
        "expenses": "36000.00",
        "won_amount": "1200000.00",
        "won_count": 1,
        "cost_pct": "3.00",
    }
    assert body["date_from"] == f"{TODAY().year}-01-01" and body["date_to"] == f"{TODAY().year}-12-31"
    manager = api.call("get", url, sales.mona)
    assert {r["name"] for r in manager["reps"]} == {"Rita", "Tom"} and len(manager["teams"]) == 1
    assert manager["total"] == {
        "expenses": "36000.00",
        "won_amount": "2000000.00",
        "won_count": 2,
        "cost_pct": "1.80",
    }
    nick = api.call("get", url, sales.dora)["reps"]
    assert next(r for r in nick if r["name"] == "Nick")["cost_pct"] is None
    last_year = api.call(
        "get", url, sales.ada, date_from=f"{TODAY().year - 1}-01-01", date_to=f"{TODAY().year - 1}-12-31"
    )
    assert [r["expenses"] for r in last_year["reps"]] == ["500.00"]
    api.call("get", url, sales.ada, expect=422, date_from="2025-02-01", date_to="2025-01-01")
    api.call("get", url, sales.ada, expect=422, date_from="not-a-date")


# --- pages --------------------------------------------------------------------------------------------


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_page_budget_table_forms_and_link(browser, team):
    org = team
    log(org.tom, org.opp, "travel", "8500")
    log(org.tom, org.opp, "entertainment", "5000")
    browser.force_login(org.rita)
    response = browser.get(reverse("deal_expenses", args=[org.opp.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="budget-travel" data-state="warn"' in body
    assert 'data-testid="budget-entertainment" data-state="over"' in body
    assert 'data-testid="budget-total" data-state="warn"' in body and 'data-testid="budget-alert"' in body
    assert 'class="budget-bar state-warn"' in body and "width: 85.0%" in body
    assert 'data-testid="budget-form"' in body and 'data-testid="expense-form"' in body
    assert reverse("cost_of_sale") in body
    browser.force_login(org.tom)
    body = browser.get(reverse("deal_expenses", args=[org.opp.pk])).content.decode()
    assert 'data-testid="budget-form"' not in body and 'data-testid="expense-form"' in body
    browser.force_login(org.nick)
    assert browser.get(reverse("deal_expenses", args=[org.opp.pk])).status_code == 404


def test_page_log_warns_when_a_threshold_is_reached(browser, team):
    org = team
    browser.force_login(org.tom)
    url = reverse("deal_expense_log", args=[org.opp.pk])
    response = browser.post(
        url,
        {"category": "travel", "amount": "8000", "spent_on": TODAY().isoformat(), "description": "差旅"},
        follow=True,
    )
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert "Expense logged." in texts and any("80.0%" in t and "warning" in t for t in texts)
    response = browser.post(
        url,
        {"category": "travel", "amount": "0", "spent_on": TODAY().isoformat(), "description": "x"},
        follow=True,
    )
    assert response.status_code == 422
    response = browser.post(
        url,
        {
            "category": "travel",
            "amount": "5",
            "spent_on": (TODAY() + timedelta(days=2)).isoformat(),
            "description": "x",
        },
        follow=True,
    )
    assert response.status_code == 422 and "Use today or an earlier date." in response.content.decode()
    assert Expense.objects.count() == 1


def test_page_budget_and_delete(browser, team):
    org = team
    browser.force_login(org.tom)
    url = reverse("deal_expense_budget", args=[org.opp.pk])
    version = budget_version(org.opp.pk)
    assert browser.post(url, {"travel": "1", "budget_version": version}).status_code == 403
    browser.force_login(org.rita)
    assert browser.post(url, {"travel": "-5", "budget_version": version}, follow=True).status_code == 422
    assert (
        browser.post(url, {"travel": "5"}, follow=True).status_code == 422
    )  # the page always sends the version read
    assert browser.post(url, {"travel": "5", "budget_version": version + 1}, follow=True).status_code == 409
    response = browser.post(
        url, {"travel": "20000", "entertainment": "", "demo": "3000", "budget_version": version}
    )
    assert response.status_code == 302
    budgets = dict(ExpenseBudget.objects.filter(opportunity=org.opp).values_list("category__code", "amount"))
    assert budgets == {"travel": D(20000), "demo": D(3000)}  # the form holds every category: empty = none
    expense = log(org.tom, org.opp, "travel", "100").expense
    browser.force_login(org.nick)
    assert browser.post(reverse("deal_expense_delete", args=[org.opp.pk, expense.pk])).status_code == 404
    browser.force_login(org.rita)
    assert browser.post(reverse("deal_expense_delete", args=[org.opp.pk, expense.pk])).status_code == 302
    assert not Expense.objects.exists()


def test_cost_of_sale_page(browser, sales):
    browser.force_login(sales.rita)
    response = browser.get(reverse("cost_of_sale"))
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        f'data-testid="cost-reps-{sales.rita.pk}"' in body
        and f'data-testid="cost-reps-{sales.tom.pk}"' not in body
    )
    assert 'data-testid="cost-teams"' not in body
    browser.force_login(sales.mona)
    body = browser.get(reverse("cost_of_sale")).content.decode()
    assert (
        f'data-testid="cost-reps-{sales.tom.pk}"' in body
        and f'data-testid="cost-teams-{sales.n1.pk}"' in body
    )
    assert f'data-testid="cost-reps-{sales.nick.pk}"' not in body
    response = browser.get(
        reverse("cost_of_sale"), {"from": f"{TODAY().year - 1}-01-01", "to": f"{TODAY().year - 1}-12-31"}
    )
    assert response.context["report"].reps[0].expenses == D(500)
    response = browser.get(reverse("cost_of_sale"), {"from": "2025-13-45"})
    assert response.status_code == 422 and response.context["report"].date_from == date(TODAY().year, 1, 1)


def test_cost_of_sale_page_shows_the_reps_a_page_at_a_time(browser, sales, monkeypatch):
    """A company's thousands of reps: one page of them (REPS_PER_PAGE, here 2) with a pager; the
    total row stays the whole report's."""
    from kadence.deals.views import expenses as views

    monkeypatch.setattr(views, "REPS_PER_PAGE", 2)
    browser.force_login(sales.ada)
    first = browser.get(reverse("cost_of_sale"))
    everyone = [r.key for r in first.context["report"].reps]
    assert len(everyone) == 4 and first.context["reps_page"].count == 4
    body = first.content.decode()
    assert [k for k in everyone if f'data-testid="cost-reps-{k}"' in body] == everyone[:2]
    assert "page=2" in body and str(first.context["report"].total.won_count) in body
    last = browser.get(reverse("cost_of_sale"), {"page": "9"}).content.decode()  # beyond: the last page
    assert [k for k in everyone if f'data-testid="cost-reps-{k}"' in last] == everyone[2:]


def test_home_shows_expense_warnings(browser, spend):
    org = spend
    browser.force_login(org.rita)
    response = browser.get(reverse("home"))
    assert [a.opp_id for a in response.context["expense_alerts"]] == [org.opp.pk]
    assert f'data-testid="expense-alert-{org.opp.pk}" data-state="warn"' in response.content.decode()
    browser.force_login(org.sven)
    response = browser.get(reverse("home"))
    assert f'data-testid="expense-alert-{org.sara_opp.pk}" data-state="over"' in response.content.decode()
