"""Deal control over the API: a deal's expense budget and logged spend (费用流, METHODOLOGY §6), and the
cost-of-sale report per rep and team. Reads and writes go through kadence.deals.selectors.expenses
and kadence.deals.services.expenses."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.responses import Status, codes_4xx

from kadence.core.errors import ValidationFailed
from kadence.core.schemas import MAX_ID, ErrorOut, PageQuery, page_out, text_problem
from kadence.deals.models import ExpenseCategory
from kadence.deals.schemas.expenses import (
    BudgetIn,
    BudgetSummaryOut,
    CostOfSaleOut,
    CostOfSaleQuery,
    DealExpensesOut,
    ExpenseCategoryOut,
    ExpenseIn,
    ExpenseLoggedOut,
)
from kadence.deals.selectors.expenses import (
    CostRow,
    ExpenseSummary,
    cost_of_sale_report,
    expense_page,
    expense_summary,
    year_bounds,
)
from kadence.deals.services import expenses as services
from kadence.domain.expenses import Usage

router = Router(tags=["deal control"])

OppId = Path[int, {"ge": 1, "le": MAX_ID}]
ExpenseId = Path[int, {"ge": 1, "le": MAX_ID}]


def _named(row: Any) -> dict[str, Any]:
    return {"id": row.pk, "code": row.code, "name": row.name, "name_zh": row.name_zh, "name_en": row.name_en}


def _usage(line: Usage) -> dict[str, Any]:
    return {
        "budget": line.budget,
        "spent": line.spent,
        "remaining": line.remaining,
        "used_pct": line.used_pct,
        "state": line.state,
    }


def _summary_out(found: ExpenseSummary) -> dict[str, Any]:
    return {
        "warn_pct": found.thresholds.warn_pct,
        "limit_pct": found.thresholds.limit_pct,
        "categories": [{"category": _named(line.category), **_usage(line.usage)} for line in found.lines],
        "total": _usage(found.total),
        "can_set_budget": found.can_set_budget,
        "can_log": True,  # whoever sees a deal may log its expenses
        "version": found.budget_version,
    }


def _expense_out(expense: Any) -> dict[str, Any]:
    return {
        "id": expense.pk,
        "category": _named(expense.category),
        "amount": expense.amount,
        "spent_on": expense.spent_on,
        "description": expense.description,
        "logged_by": expense.logged_by,
        "logged_at": expense.logged_at,
    }


@router.get("/expense-categories", response={200: list[ExpenseCategoryOut], codes_4xx: ErrorOut})
def list_categories(request: HttpRequest, include_inactive: bool = False) -> Any:
    """The expense categories a budget and an expense name (by code or id)."""
    qs = ExpenseCategory.objects.order_by("order", "code")
    return qs if include_inactive else qs.filter(is_active=True)


@router.get("/opportunities/{opp_id}/expenses", response={200: DealExpensesOut, codes_4xx: ErrorOut})
def list_expenses(request: HttpRequest, opp_id: OppId, query: Query[PageQuery]) -> dict[str, Any]:
    """The deal's budget against its spend per category and in total (with states at the policy's
    thresholds), and its expenses, newest first, one page."""
    found = expense_summary(request.auth, opp_id)
    page = expense_page(request.auth, opp_id, query.page, query.page_size)
    return {
        "opportunity_id": found.opp.pk,
        "currency": found.opp.currency,
        "budget": _summary_out(found),
        "expenses": {**page_out(page), "items": [_expense_out(e) for e in page.items]},
    }


@router.put("/opportunities/{opp_id}/expense-budget", response={200: BudgetSummaryOut, codes_4xx: ErrorOut})
def set_budget(request: HttpRequest, opp_id: OppId, payload: BudgetIn) -> dict[str, Any]:
    """Set the budget of the categories named (`amounts`: {"travel": "20000", "3": "5000"}, category
    code or id → amount ≥ 0; 0 removes it); the others keep theirs. `version` is the budget's version
    you read (409 `conflict` when someone changed it since). Only who may change the deal (403
    otherwise)."""
    problem = text_problem(list(payload.amounts))
    if problem:
        raise ValidationFailed(problem.message())
    services.expense_budget_set(request.auth, opp_id, payload.amounts, version=payload.version)
    return _summary_out(expense_summary(request.auth, opp_id))


@router.post("/opportunities/{opp_id}/expenses", response={201: ExpenseLoggedOut, codes_4xx: ErrorOut})
def log_expense(request: HttpRequest, opp_id: OppId, payload: ExpenseIn) -> Status[dict[str, Any]]:
    """Log an expense (the owner, a manager or the deal team). The answer holds the budget after it;
    `crossed` and `message` say when it just reached the warning or the limit."""
    logged = services.expense_log(request.auth, opp_id, **payload.dict())
    return Status(
        201,
        {
            "expense": _expense_out(logged.expense),
            "category": _usage(logged.category),
            "total": _usage(logged.total),
            "state": logged.state,
            "crossed": list(logged.crossed),
            "message": logged.message,
        },
    )


@router.delete("/opportunities/{opp_id}/expenses/{expense_id}", response={204: None, codes_4xx: ErrorOut})
def delete_expense(request: HttpRequest, opp_id: OppId, expense_id: ExpenseId) -> Status[None]:
    """Delete an expense (who logged it, or who may change the deal)."""
    services.expense_delete(request.auth, opp_id, expense_id)
    return Status(204, None)


def _cost_row(row: CostRow) -> dict[str, Any]:
    return {
        "id": row.key,
        "name": row.label,
        "team": row.team,
        "expenses": row.expenses,
        "won_amount": row.won_amount,
        "won_count": row.won_count,
        "cost_pct": row.cost_pct,
    }


@router.get("/reports/cost-of-sale", response={200: CostOfSaleOut, codes_4xx: ErrorOut})
def cost_of_sale(request: HttpRequest, query: Query[CostOfSaleQuery]) -> dict[str, Any]:
    """Cost of sale (营销费用执行状况) per rep and team over a period (default: this calendar year):
    expenses dated in it on the deals they own, the amount and number of deals closed won in it, and
    expenses ÷ won amount. A rep sees their own row; a manager their team(s); a director their
    region(s); an admin everyone."""
    start, end = year_bounds(timezone.localdate())
    date_from, date_to = query.date_from or start, query.date_to or end
    if date_from > date_to:
        raise ValidationFailed(
            _("The period ends before it starts."), {"date_to": [_("Use a date after the start.")]}
        )
    report = cost_of_sale_report(request.auth, date_from, date_to)
    total = report.total
    return {
        "date_from": report.date_from,
        "date_to": report.date_to,
        "reps": [_cost_row(r) for r in report.reps],
        "teams": [_cost_row(r) for r in report.teams],
        "total": {
            "expenses": total.expenses,
            "won_amount": total.won_amount,
            "won_count": total.won_count,
            "cost_pct": total.cost_pct,
        },
    }
