"""Reads of the expense flow (费用流, METHODOLOGY §6): a deal's budget against its spend per category and
in total, its expenses page by page, the deals whose spend reached a threshold (for the home page),
and the cost of sale per rep and team (营销费用执行状况). Sums are SQL aggregates; the states come from
kadence.domain.expenses with the policy's thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from kadence.core.i18n import in_language
from kadence.core.models import OrgUnit, User
from kadence.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from kadence.core.visibility import (
    access_opportunity,
    can_write_opportunity,
    dashboard_opportunities,
    is_seller,
    report_opportunities,
)
from kadence.deals.models import ControlPolicy, Expense, ExpenseBudget, ExpenseBudgetVersion, ExpenseCategory
from kadence.domain import expenses as domain
from kadence.pipeline.models import Opportunity

MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")
ZERO = Value(Decimal(0), output_field=MONEY)


def cents(value: Decimal | None) -> Decimal:
    """A sum as money: SQLite answers sums without a fixed scale ("8000"), PostgreSQL with ("8000.00")."""
    return Decimal(value or 0).quantize(CENT)


def thresholds(policy: ControlPolicy | None = None) -> domain.Thresholds:
    """The policy's expense warning and limit (percent of budget)."""
    policy = policy or ControlPolicy.current()
    return domain.Thresholds(Decimal(policy.expense_warn_pct), Decimal(policy.expense_limit_pct))


def budget_version(opp_id: int) -> int:
    """The version of the deal's expense budget as a whole (0 before it was first set)."""
    return (
        ExpenseBudgetVersion.objects.filter(opportunity_id=opp_id).values_list("version", flat=True).first()
        or 0
    )


@dataclass
class CategoryLine:
    category: ExpenseCategory
    usage: domain.Usage


@dataclass
class ExpenseSummary:
    """A deal's budget and spend per category (active categories, and any other with a budget or
    spend) and in total, with the thresholds used and what the user may do."""

    opp: Opportunity
    lines: list[CategoryLine]
    total: domain.Usage
    thresholds: domain.Thresholds
    can_set_budget: bool
    budget_version: int = 0  # what a budget change names (kadence.deals.services.expenses.budget_version)


def expense_summary(user: User, opp_id: int) -> ExpenseSummary:
    """Budget against spend for one deal the user can see: seven queries at most."""
    return expense_summary_of(user, access_opportunity(user, opp_id))


def expense_summary_of(user: User, opp: Opportunity) -> ExpenseSummary:
    """expense_summary of a deal the caller got from access_opportunity."""
    can_edit = can_write_opportunity(user, opp)
    limits = thresholds(ControlPolicy.current())
    budgets = {
        c: cents(a)
        for c, a in ExpenseBudget.objects.filter(opportunity=opp).values_list("category_id", "amount")
    }
    spent = {
        c: cents(a)
        for c, a in Expense.objects.filter(opportunity=opp)
        .order_by()
        .values("category_id")
        .annotate(total=Sum("amount"))
        .values_list("category_id", "total")
    }
    categories = ExpenseCategory.objects.filter(Q(is_active=True) | Q(pk__in=[*budgets, *spent])).order_by(
        "order", "code"
    )
    zero = cents(None)
    amounts = [
        (c, domain.CategoryAmounts(c.code, budgets.get(c.pk, zero), spent.get(c.pk, zero)))
        for c in categories
    ]
    result = domain.summary([a for _c, a in amounts], limits)
    lines = [CategoryLine(c, line.usage) for (c, _a), line in zip(amounts, result.categories, strict=True)]
    return ExpenseSummary(
        opp,
        lines,
        result.total,
        limits,
        can_edit,
        budget_version(opp.pk),
    )


def expense_page(
    user: User, opp_id: int, page: int | str | None = 1, page_size: int | str | None = DEFAULT_PAGE_SIZE
) -> Page:
    """The deal's expenses, newest first, one page (two queries after the access check). Each item
    carries `can_delete` for the user."""
    opp = access_opportunity(user, opp_id)
    can_edit = can_write_opportunity(user, opp)
    result = paginate(
        Expense.objects.filter(opportunity=opp)
        .select_related("category", "logged_by")
        .order_by("-spent_on", "-id"),
        page,
        page_size,
    )
    for expense in result.items:
        expense.can_delete = can_edit or expense.logged_by_id == user.pk
    return result


# --- alerts ------------------------------------------------------------------------------------------


@dataclass
class ExpenseAlert:
    """An open deal whose total spend reached the warning or the limit of its total budget (or was
    spent without any budget)."""

    opp_id: int
    name: str
    account: str
    owner: str
    usage: domain.Usage

    @property
    def state(self) -> str:
        return self.usage.state


def expense_alerts(user: User, limit: int = 10) -> list[ExpenseAlert]:
    """Open deals whose spend reached the policy's warning threshold of their total budget, "over"
    first, then by spend: for a seller the deals they own, for a manager, director or admin the
    deals they can see. One grouped aggregate over the expenses with the budget as a subquery (plus
    the policy row), capped at `limit`."""
    limits = thresholds(ControlPolicy.current())
    deals = dashboard_opportunities(user).filter(status=Opportunity.Status.OPEN)
    budget = (
        ExpenseBudget.objects.filter(opportunity_id=OuterRef("opportunity_id"))
        .order_by()
        .values("opportunity_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    rows = (
        Expense.objects.filter(opportunity__in=deals)
        .order_by()
        .values(
            "opportunity_id",
            "opportunity__name",
            "opportunity__account__name",
            "opportunity__owner__display_name",
            "opportunity__owner__username",
        )
        .annotate(spent=Sum("amount"), budget=Coalesce(Subquery(budget, output_field=MONEY), ZERO))
        .annotate(spent_x100=F("spent") * 100)
        # domain.state_of's comparisons, multiplied out so no database divides (SQLite divides integers)
        .filter(Q(budget__lte=0) | Q(spent_x100__gte=F("budget") * limits.warn_pct))
        .annotate(
            severity=Case(
                When(Q(budget__lte=0) | Q(spent_x100__gte=F("budget") * limits.limit_pct), then=Value(2)),
                default=Value(1),
            )
        )
        .order_by("-severity", "-spent", "opportunity_id")[:limit]
    )
    alerts = []
    for row in rows:
        line = domain.usage(cents(row["budget"]), cents(row["spent"]), limits)
        if line.state in (domain.WARN, domain.OVER):
            alerts.append(
                ExpenseAlert(
                    row["opportunity_id"],
                    row["opportunity__name"],
                    row["opportunity__account__name"],
                    row["opportunity__owner__display_name"] or row["opportunity__owner__username"],
                    line,
                )
            )
    return alerts


# --- cost of sale ------------------------------------------------------------------------------------


@dataclass
class CostRow:
    """One rep's or team's cost of sale over the period: expenses dated in it on the deals they own,
    the amount and number of deals closed won in it, and expenses ÷ won amount in percent (None when
    nothing was won)."""

    key: int
    label: str
    team: str
    expenses: Decimal
    won_amount: Decimal
    won_count: int

    @property
    def cost_pct(self) -> Decimal | None:
        return domain.cost_of_sale_pct(self.expenses, self.won_amount)


@dataclass
class CostOfSaleReport:
    date_from: date
    date_to: date
    reps: list[CostRow]
    teams: list[CostRow]
    total: CostRow


def year_bounds(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year, 12, 31)


def _rows(expense_rows, won_rows, labels: dict[int, tuple[str, str]]) -> list[CostRow]:
    spent = {r["key"]: cents(r["total"]) for r in expense_rows}
    won = {r["key"]: (cents(r["total"]), r["n"]) for r in won_rows}
    rows = [
        CostRow(
            key,
            *labels.get(key, (str(key), "")),
            spent.get(key, cents(None)),
            *won.get(key, (cents(None), 0)),
        )
        for key in {*spent, *won}
    ]
    return sorted(rows, key=lambda r: (-r.won_amount, -r.expenses, r.label))


def cost_of_sale_report(user: User, date_from: date, date_to: date) -> CostOfSaleReport:
    """Cost of sale per rep (the deals' owner) and per team (the deal's team) over [date_from,
    date_to]. Four grouped aggregates and two label lookups, whatever the volume. Amounts are added
    as stored, in the deals' currencies."""
    deals = report_opportunities(user)
    expenses = Expense.objects.filter(
        opportunity__in=deals, spent_on__gte=date_from, spent_on__lte=date_to
    ).order_by()
    won = deals.filter(
        status=Opportunity.Status.WON, closed_on__gte=date_from, closed_on__lte=date_to
    ).order_by()

    rep_expenses = expenses.values(key=F("opportunity__owner_id")).annotate(total=Sum("amount"))
    rep_won = won.values(key=F("owner_id")).annotate(total=Sum("amount"), n=Count("id"))
    rep_expenses, rep_won = list(rep_expenses), list(rep_won)
    rep_ids = {r["key"] for r in rep_expenses} | {r["key"] for r in rep_won}
    rep_labels = {
        r["id"]: (
            r["display_name"] or r["username"],
            in_language(r["org_unit__name_zh"], r["org_unit__name_en"]),
        )
        for r in User.objects.filter(pk__in=rep_ids).values(
            "id", "display_name", "username", "org_unit__name_zh", "org_unit__name_en"
        )
    }
    reps = _rows(rep_expenses, rep_won, rep_labels)

    teams: list[CostRow] = []
    if not is_seller(user):
        team_expenses = list(expenses.values(key=F("opportunity__team_id")).annotate(total=Sum("amount")))
        team_won = list(won.values(key=F("team_id")).annotate(total=Sum("amount"), n=Count("id")))
        team_ids = {r["key"] for r in team_expenses} | {r["key"] for r in team_won}
        team_labels = {
            r["id"]: (in_language(r["name_zh"], r["name_en"]), "")
            for r in OrgUnit.objects.filter(pk__in=team_ids).values("id", "name_zh", "name_en")
        }
        teams = _rows(team_expenses, team_won, team_labels)
    total = CostRow(
        0,
        "",
        "",
        sum((r.expenses for r in reps), cents(None)),
        sum((r.won_amount for r in reps), cents(None)),
        sum(r.won_count for r in reps),
    )
    return CostOfSaleReport(date_from, date_to, reps, teams, total)
