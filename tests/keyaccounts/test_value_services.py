"""The value part's services and selectors on the database: the set-based computes agree with the pure rules,
BP history and 409s, the bulk write, scopes per persona, the ABC reclassification within a scope."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kadence.accounts.models import Account
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import AuditEntry
from kadence.core.visibility import kam_value_scope
from kadence.domain.kam import value as dv
from kadence.keyaccounts.revenue import won_revenue
from kadence.keyaccounts.value import selectors, services
from kadence.keyaccounts.value.models import AbcClass, BuyingPower, BuyingPowerHistory, RadCell
from kadence.keyaccounts.value.tasks import years_due
from tests.keyaccounts.value_world import YEAR, build

pytestmark = pytest.mark.django_db


def test_the_compute_places_each_account_as_the_rules_do(org):
    w = build(org)
    cells = dict(RadCell.objects.filter(year=YEAR).values_list("account_id", "cell"))
    assert cells == {w.g.pk: "R1", w.b.pk: "D2", w.c.pk: "A3"}
    assert dict(RadCell.objects.filter(year=2025).values_list("account_id", "cell")) == {
        w.g.pk: "A1",
        w.b.pk: "A2",
        w.c.pk: "A3",
    }
    g = RadCell.objects.get(year=YEAR, account=w.g)
    assert (g.bp, g.revenue, g.remaining, g.sow) == (D(2000000), D(1200000), D(800000), D("0.6"))
    # the SQL agrees with the pure rule for every account
    revenue = won_revenue(None, selectors.date(YEAR, 1, 1), selectors.date(YEAR, 12, 31))
    for row in RadCell.objects.filter(year=YEAR):
        assert row.cell == dv.rad_cell(revenue.get(row.account_id, D(0)), row.bp)


def test_abc_stored_classes_match_the_pure_rule(org):
    w = build(org)
    stored = {
        basis: dict(AbcClass.objects.filter(year=YEAR, basis=basis).values_list("account_id", "klass"))
        for basis in ("revenue", "profit", "volume")
    }
    values = dict(AbcClass.objects.filter(year=YEAR, basis="revenue").values_list("account_id", "value"))
    assert {r.key: r.klass for r in dv.abc_classes(values)} == stored["revenue"]
    assert stored["revenue"][w.g.pk] == "A" and stored["revenue"][w.b.pk] == "B"
    assert stored["volume"][w.g.pk] == "A" and stored["volume"][w.b.pk] == "A"
    profit = AbcClass.objects.get(year=YEAR, basis="profit", account=w.g)
    assert profit.value == D(360000)  # 30 % default margin
    services.margin_set(org.ada, industry_id=org.industry.pk, margin_pct="50")
    services.value_compute(org.ada, year=YEAR, rad=False)
    assert AbcClass.objects.get(year=YEAR, basis="profit", account=w.g).value == D(600000)
    assert AbcClass.objects.filter(year=YEAR).count() == 3 * Account.objects.count()


def test_scopes_follow_the_report_rule(org):
    build(org)

    def total(user, **kw):
        return selectors.matrix(kam_value_scope(user, **kw), YEAR).total

    assert total(org.ada) == 3 and total(org.mona) == 3 and total(org.dora) == 3
    assert total(org.rita) == 2 and total(org.tom) == 1 and total(org.sam) == 0
    assert total(org.ada, owner_id=org.tom.pk) == 1
    with pytest.raises(NotFound):
        kam_value_scope(org.sam, unit_id=org.n1.pk)
    m = selectors.matrix(kam_value_scope(org.ada), YEAR)
    assert (m.cells["R1"].accounts, m.cells["R1"].remaining) == (1, D(800000))


def test_movements_and_focus(org):
    w = build(org)
    moves = {(m.before, m.after): m.accounts for m in selectors.transitions(kam_value_scope(org.ada), YEAR)}
    assert moves == {("A1", "R1"): 1, ("A2", "D2"): 1, ("A3", "A3"): 1}
    focus = {f.owner.pk: f for f in selectors.focus(kam_value_scope(org.ada), YEAR)}
    assert (focus[org.rita.pk].r_count, focus[org.rita.pk].d_count) == (1, 1)
    assert focus[org.rita.pk].flags == ("few_r", "few_d")
    services.policy_update(org.ada, version=selectors.policy().version, focus_low=1, focus_high=1)
    assert selectors.focus(kam_value_scope(org.ada), YEAR)[-1].flags == ()
    assert w


def test_abc_is_reclassified_within_a_scope(org):
    w = build(org)
    company = selectors.abc(kam_value_scope(org.ada), YEAR, "revenue")
    assert [(c.klass, c.accounts) for c in company.classes] == [("A", 1), ("B", 1), ("C", 2)]
    assert company.pareto[-1][1] == 100.0
    tom = selectors.abc(kam_value_scope(org.tom), YEAR, "revenue")
    assert [(c.klass, c.accounts) for c in tom.classes] == [("A", 0), ("B", 0), ("C", 1)]
    page = selectors.abc_accounts(kam_value_scope(org.rita), YEAR, "revenue")
    assert [(r.account_id, r.klass) for r in page.items][:2] == [(w.g.pk, "A"), (w.b.pk, "B")]
    only_b = selectors.abc_accounts(kam_value_scope(org.ada), YEAR, "revenue", "B")
    assert only_b.count == 1 and only_b.items[0].account_id == w.b.pk


def test_account_value_and_group(org):
    w = build(org)
    v = selectors.account_value(org.rita, w.g.pk, YEAR)
    assert (v.bp, v.bp_source, v.revenue, v.sow, v.remaining, v.cell) == (
        D(2000000),
        "entry",
        D(1200000),
        D("0.6"),
        D(800000),
        "R1",
    )
    assert (v.group.units, v.group.covered) == (3, 2)
    assert v.group.soa == D(2) / D(3)
    assert (v.group.revenue, v.group.bp, v.group.remaining) == (D(1300000), D(3100000), D(1800000))
    fallback = selectors.account_value(org.rita, w.g.pk, 2025)
    assert (fallback.bp, fallback.bp_source, fallback.cell) == (D(5000000), "account", "A1")
    with pytest.raises(NotFound):
        selectors.account_value(org.sara, w.g.pk, YEAR)


def test_bp_history_versions_and_permissions(org):
    w = build(org, compute=False)
    row = BuyingPower.objects.get(account=w.g, year=YEAR)
    with pytest.raises(ValidationFailed):
        services.buying_power_set(org.rita, w.g.pk, year=YEAR, amount="3000000")  # no version
    services.buying_power_set(org.rita, w.g.pk, year=YEAR, amount="3000000", version=row.version)
    with pytest.raises(Conflict):
        services.buying_power_set(org.rita, w.g.pk, year=YEAR, amount="4000000", version=row.version)
    history = list(
        BuyingPowerHistory.objects.filter(account=w.g)
        .order_by("at", "id")
        .values_list("old_amount", "new_amount")
    )
    assert history == [(None, D(2000000)), (D(2000000), D(3000000))]
    assert AuditEntry.objects.filter(entity="keyaccounts.buyingpower", field="amount").count() == 2
    with pytest.raises(NotFound):
        services.buying_power_set(org.sara, w.g.pk, year=YEAR, amount="1")
    with pytest.raises(ValidationFailed):
        services.buying_power_set(org.rita, w.g.pk, year=1800, amount="1")
    with pytest.raises(ValidationFailed):
        services.buying_power_set(org.rita, w.g.pk, year=YEAR, amount="-5", version=2)
    with pytest.raises(PermissionDenied):
        services.value_compute(org.mona, year=YEAR)


def test_bulk_bp_is_all_or_nothing(org):
    w = build(org, compute=False)
    rows = [
        {"account_id": w.g.pk, "year": YEAR, "amount": "2500000"},
        {"account_id": w.b.pk, "year": 2025, "amount": "700000", "note": "estimate"},
        {"account_id": w.b.pk, "year": YEAR, "amount": "800000"},
    ]
    with pytest.raises(ValidationFailed) as refused:
        services.buying_power_bulk(
            org.rita, [*rows, {"account_id": org.sara_account.pk, "year": YEAR, "amount": "1"}]
        )
    assert "rows.3" in refused.value.errors
    assert BuyingPower.objects.count() == 1
    result = services.buying_power_bulk(org.mona, rows)
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert services.buying_power_bulk(org.mona, rows).unchanged == 3
    assert BuyingPowerHistory.objects.filter(account=w.b).count() == 2
    assert BuyingPower.objects.get(account=w.g, year=YEAR).version == 2


def test_policy_validation_and_the_nightly_years(org):
    p = selectors.policy()
    with pytest.raises(PermissionDenied):
        services.policy_update(org.mona, version=p.version, sow_high_pct=40)
    with pytest.raises(ValidationFailed):
        services.policy_update(org.ada, version=p.version, sow_low_pct=60)
    services.policy_update(org.ada, version=p.version, sow_high_pct=40)
    with pytest.raises(Conflict):
        services.policy_update(org.ada, version=p.version, sow_high_pct=45)
    assert years_due(selectors.date(2026, 1, 15)) == [2025, 2026]
    assert years_due(selectors.date(2026, 2, 2)) == [2026]
    assert years_due(selectors.date(2026, 1, 1)) == [2025]


def test_coverage_per_territory(org):
    from kadence.activities.models import Activity

    w = build(org, compute=False)
    Activity.objects.create(
        account=w.g, owner=org.rita, team=org.n1, subject="visit", kind=Activity.Kind.choices[0][0]
    )
    rows = {t.unit_id: t for t in selectors.coverage(kam_value_scope(org.ada))}
    assert (rows[org.n1.pk].accounts, rows[org.n1.pk].covered) == (3, 1) and rows[org.s1.pk].accounts == 1
    assert rows[org.n1.pk].rate == D(1) / D(3)
    by_region = {t.unit_id: t for t in selectors.coverage(kam_value_scope(org.ada), by="region")}
    assert by_region[org.north.pk].accounts == 3


def test_recomputing_last_year_keeps_this_years_movements_right(org):
    w = build(org)
    services.buying_power_set(org.ada, w.g.pk, year=2025, amount="150000")  # 2025: SOW 67 %, BP < 500K → R3
    services.value_compute(org.ada, year=2025)
    assert RadCell.objects.get(year=YEAR, account=w.g).previous_cell == "R3"
    company = selectors.abc(kam_value_scope(org.ada), YEAR, "revenue")
    narrowed = selectors.abc(kam_value_scope(org.ada, unit_id=org.company.pk), YEAR, "revenue")
    assert [(c.klass, c.accounts, c.value) for c in company.classes] == [
        (c.klass, c.accounts, c.value) for c in narrowed.classes
    ]
    assert [(r, round(v, 2)) for r, v in company.pareto] == [(r, round(v, 2)) for r, v in narrowed.pareto]
