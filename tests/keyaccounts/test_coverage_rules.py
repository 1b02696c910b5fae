"""Worked examples of the pure coverage and platform rules (kadence.domain.kam), exact results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from kadence.domain.kam import coverage as c
from kadence.domain.kam import platforms as p

AS_OF = date(2026, 10, 31)


def test_neglect_window_is_inclusive_of_its_first_day():
    assert c.neglect_cutoff(AS_OF, 90) == date(2026, 8, 2)
    assert not c.is_neglected(date(2026, 8, 2), AS_OF, 90)
    assert c.is_neglected(date(2026, 8, 1), AS_OF, 90)
    assert c.is_neglected(None, AS_OF, 90)


def test_coverage_counts_and_rate_for_six_accounts():
    counts = c.count_coverage(
        [
            (True, date(2026, 10, 1)),  # covered
            (True, date(2026, 7, 1)),  # owned, neglected
            (False, date(2026, 10, 10)),  # unowned, worked
            (False, None),  # unowned, neglected
            (True, date(2026, 8, 2)),  # covered (first day of the window)
            (True, None),  # owned, neglected
        ],
        AS_OF,
        90,
    )
    assert counts == c.CoverageCounts(total=6, unowned=2, neglected=3, covered=2)
    assert counts.rate == D("33.3")
    assert (counts + c.CoverageCounts(1, 0, 1, 0)).rate == D("28.6")
    assert c.ZERO.rate is None


def test_ownership_needs_an_active_seller():
    assert c.is_owned(True, True)
    assert not c.is_owned(False, True)  # left
    assert not c.is_owned(True, False)  # a manager's pool


def test_load_against_the_limit():
    limits = c.Limits(outside=20, inside=200)
    assert limits.of(c.OUTSIDE) == 20 and limits.of(c.INSIDE) == 200
    assert not c.Load(20, 20).over
    after = c.load_after(18, 5, 20)
    assert after.accounts == 23 and after.over and after.excess == 3 and after.used_pct == D("115.0")


def test_activation_conversion_and_median():
    result = c.activation(
        [
            (date(2026, 10, 5), date(2026, 10, 15)),  # 10 days
            (date(2026, 10, 10), date(2026, 10, 30)),  # 20 days
            (date(2026, 10, 20), None),  # not yet
            (date(2026, 10, 3), date(2026, 9, 20)),  # an opportunity before: not a new customer
        ]
    )
    assert result == c.Activation(accounts=3, converted=2, median_days=D("15.0"))
    assert result.rate == D("66.7")
    odd = c.activation(
        [
            (date(2026, 1, 1), date(2026, 1, 2)),
            (date(2026, 1, 1), date(2026, 1, 4)),
            (date(2026, 1, 1), date(2026, 1, 31)),
        ]
    )
    assert odd.median_days == D("3.0") and odd.rate == D("100.0")
    assert c.activation([]) == c.Activation(0, 0, None)


WALL = p.WallCriteria(
    industries=frozenset({"power", "telecom"}),
    min_size="medium",
    min_buying_power=D(500000),
    regions=frozenset({7}),
)


def facts(**kw):
    base = {"industry": "power", "size": "large", "buying_power": D(800000), "region_id": 7}
    return p.AccountFacts(**{**base, **kw})


def test_the_wall():
    assert p.passes_wall(facts(), WALL)
    assert not p.passes_wall(facts(industry="bank"), WALL)
    assert not p.passes_wall(facts(size="small"), WALL)
    assert p.passes_wall(facts(size="medium"), WALL)
    assert not p.passes_wall(facts(buying_power=D("499999.99")), WALL)
    assert p.passes_wall(facts(buying_power=D(500000)), WALL)
    assert not p.passes_wall(facts(region_id=8), WALL)
    assert p.passes_wall(
        facts(industry="bank", size="small", buying_power=D(0), region_id=8), p.WallCriteria()
    )


def test_each_account_stands_on_the_highest_platform_it_meets():
    assert p.platform_of(facts(size="small"), WALL, AS_OF, 90) == p.POTENTIAL
    assert p.platform_of(facts(), WALL, AS_OF, 90) == p.MARKET
    assert p.platform_of(facts(size="small", open_opportunity=True), WALL, AS_OF, 90) == p.SALES
    assert p.platform_of(facts(size="small", last_activity=date(2026, 8, 2)), WALL, AS_OF, 90) == p.SALES
    assert p.platform_of(facts(size="small", last_activity=date(2026, 8, 1)), WALL, AS_OF, 90) == p.POTENTIAL
    assert p.platform_of(facts(size="small", won=D("0.01")), WALL, AS_OF, 90) == p.BUYING


def test_funnel_and_transitions():
    before = {1: p.POTENTIAL, 2: p.MARKET, 3: p.SALES, 4: p.BUYING}
    after = {1: p.POTENTIAL, 2: p.SALES, 3: p.SALES, 4: p.SALES, 5: p.MARKET}
    assert p.funnel(after.values()) == {"potential": 1, "market": 1, "sales": 3, "buying": 0}
    assert p.transitions(before, after) == {
        ("potential", "potential"): 1,
        ("market", "sales"): 1,
        ("sales", "sales"): 1,
        ("buying", "sales"): 1,
        ("new", "market"): 1,
    }
    assert [
        p.movement(*m)
        for m in (("market", "sales"), ("buying", "sales"), ("sales", "sales"), ("new", "market"))
    ] == [
        "up",
        "down",
        "same",
        "new",
    ]
