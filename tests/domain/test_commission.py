"""Commission rules (kadence.domain.commission): a worked example per plan type with exact figures,
split credit, marginal tiers across a deal, the cap, the group split, and two properties — the lines add
up exactly to the payout, and more revenue never lowers the payout."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kadence.domain import commission as dc

TIERS = (dc.Tier(D(0), D(2)), dc.Tier(D(100), D(4)), dc.Tier(D(150), D(6)))


def credit(deal_id: int, amount: str, share: str = "100") -> dc.Credit:
    return dc.Credit(deal_id, f"deal {deal_id}", D(amount), D(share))


def test_salary_only_pays_the_salary_whatever_is_sold():
    result = dc.statement(
        dc.Terms("salary", salary=D("8000")), credits=[credit(1, "500000")], quota=D(100000)
    )
    assert result.payout == D("8000.00") and [line.kind for line in result.lines] == ["salary"]
    assert result.credited == D("500000.00") and result.attainment == D("500.00")


def test_straight_commission_with_an_accelerator_above_quota():
    # quota 100,000; won 60,000 then 70,000 (130 %): 100,000 at 2 % + 30,000 at 4 % = 2,000 + 1,200
    result = dc.statement(
        dc.Terms("commission", tiers=TIERS), credits=[credit(1, "60000"), credit(2, "70000")], quota=D(100000)
    )
    assert [(x.deal_id, x.base, x.rate, x.amount) for x in result.lines] == [
        (1, D("60000.00"), D(2), D("1200.00")),
        (2, D("40000.00"), D(2), D("800.00")),  # the deal crossing quota: one line per band
        (2, D("30000.00"), D(4), D("1200.00")),
    ]
    assert result.commission == result.payout == D("3200.00") and result.attainment == D("130.00")


def test_salary_plus_commission_with_a_cap():
    terms = dc.Terms("salary_commission", salary=D(5000), tiers=TIERS, cap=D(2500))
    result = dc.statement(terms, credits=[credit(1, "100000"), credit(2, "50000")], quota=D(100000))
    # 2,000 on the first deal; the second would pay 2,000 more (4 %) but the cap leaves 500
    assert [x.amount for x in result.lines] == [D(5000), D("2000.00"), D("500.00")]
    assert result.lines[-1].capped and not result.lines[1].capped
    assert result.payout == D("7500.00")


def test_commission_plus_approved_expenses_up_to_the_expense_cap():
    terms = dc.Terms("commission_expenses", tiers=(dc.Tier(D(0), D("3.5")),), expense_cap=D(1000))
    expenses = [dc.ExpenseItem(7, 1, "taxi", D("300.50")), dc.ExpenseItem(8, 1, "dinner", D("900"))]
    result = dc.statement(terms, credits=[credit(1, "10000")], expenses=expenses)
    assert [(x.kind, x.amount, x.capped) for x in result.lines] == [
        ("commission", D("350.00"), False),
        ("expense", D("300.50"), False),
        ("expense", D("699.50"), True),
    ]
    assert result.expenses == D("1000.00") and result.payout == D("1350.00")
    assert result.attainment is None  # no quota: the first band's rate on every cent


def test_salary_plus_group_commission_splits_the_pool_evenly():
    terms = dc.Terms("salary_group", salary=D(6000), group_rate=D(1))
    # the team booked 100,000.00 → a pool of 1,000.00 for 3 members: 333.34, 333.33, 333.33
    shares = [dc.statement(terms, group=dc.Group(D(100000), 3, i)).group for i in range(3)]
    assert shares == [D("333.34"), D("333.33"), D("333.33")] and sum(shares) == D("1000.00")
    assert dc.statement(terms, group=dc.Group(D(100000), 3, 0)).payout == D("6333.34")


def test_split_credit_gives_members_their_share_and_the_owner_the_rest():
    assert dc.credit_shares([D(20), D(10)]) == (D(70), [D(20), D(10)])
    assert dc.credit_shares([D(80), D(40)]) == (D(0), [D(80), D(20)])  # never more than 100 % in all
    assert credit(1, "33333.33", "30").credited == D("10000.00")  # half up to the cent


def test_rounding_on_the_running_total_keeps_lines_exact():
    terms = dc.Terms("commission", tiers=(dc.Tier(D(0), D("3.3333")),))
    result = dc.statement(terms, credits=[credit(i, "10.01") for i in range(1, 8)])
    assert sum(x.amount for x in result.lines) == result.payout == dc.round2(D("70.07") * D("3.3333") / 100)


def test_terms_that_cannot_apply_are_refused():
    for terms in (
        dc.Terms("commission"),
        dc.Terms("commission", tiers=(dc.Tier(D(10), D(1)),)),
        dc.Terms("commission", tiers=(dc.Tier(D(0), D(-1)),)),
        dc.Terms("salary", salary=D(-1)),
    ):
        with pytest.raises(dc.PlanError):
            dc.check_terms(terms)


money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=50, places=4, allow_nan=False, allow_infinity=False)


@st.composite
def plans(draw):
    kind = draw(st.sampled_from(dc.PLAN_KINDS))
    starts = sorted(set(draw(st.lists(st.decimals(min_value=1, max_value=300, places=2), max_size=3))))
    tiers = tuple(dc.Tier(s, draw(rates)) for s in [D(0), *starts])
    cap = draw(st.none() | money)
    return dc.Terms(
        kind,
        salary=draw(money),
        tiers=tiers,
        cap=cap,
        group_rate=draw(rates),
        expense_cap=draw(st.none() | money),
    )


@given(
    plans(),
    st.lists(st.tuples(money, st.decimals(min_value=0, max_value=100, places=2)), max_size=8),
    st.none() | money,
    st.lists(money, max_size=4),
    money,
)
def test_lines_add_up_exactly_to_the_payout(terms, deals, quota, expense_amounts, group_revenue):
    credits = [dc.Credit(i, "d", amount, share) for i, (amount, share) in enumerate(deals)]
    expenses = [dc.ExpenseItem(i, None, "e", a) for i, a in enumerate(expense_amounts)]
    result = dc.statement(
        terms, credits=credits, quota=quota, expenses=expenses, group=dc.Group(group_revenue, 4, 1)
    )
    assert sum((x.amount for x in result.lines), D(0)) == result.payout
    assert result.payout == result.salary + result.commission + result.group + result.expenses
    assert all(x.amount == x.amount.quantize(dc.CENT) for x in result.lines)
    if terms.cap is not None:
        assert result.commission + result.group <= terms.cap


@given(plans(), st.lists(money, min_size=1, max_size=6), money, st.none() | money)
def test_more_revenue_never_lowers_the_payout(terms, amounts, extra, quota):
    before = dc.statement(terms, credits=[credit(i, str(a)) for i, a in enumerate(amounts)], quota=quota)
    bigger = [*amounts[:-1], amounts[-1] + extra]
    after = dc.statement(terms, credits=[credit(i, str(a)) for i, a in enumerate(bigger)], quota=quota)
    assert after.payout >= before.payout
    added = dc.statement(
        terms, credits=[credit(i, str(a)) for i, a in enumerate([*amounts, extra])], quota=quota
    )
    assert added.payout >= before.payout
