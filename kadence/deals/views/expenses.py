"""The expenses page of a deal (费用流, METHODOLOGY §6): budget against spend per category with the
warning and limit states, the log-expense form, the expenses list and, for who may write the deal,
the budget form; and the cost-of-sale report per rep and team (营销费用执行状况)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kadence.core.errors import DomainError
from kadence.core.pagination import page_of
from kadence.core.prg import rebase
from kadence.core.requests import PageRequest
from kadence.deals.forms.expenses import BudgetForm, ExpenseForm
from kadence.deals.models import ExpenseCategory
from kadence.deals.selectors.expenses import cost_of_sale_report, expense_page, expense_summary_of
from kadence.deals.services import expenses as services
from kadence.deals.views.common import FormMaker, deal_get, deal_post, period_from_query, render_deal

REPS_PER_PAGE = 50


def _budget_form(summary, data=None) -> BudgetForm:
    categories = [line.category for line in summary.lines if line.category.is_active or line.usage.budget > 0]
    return BudgetForm(
        data,
        categories=categories,
        version=summary.budget_version,
        budgets={line.category.pk: line.usage.budget for line in summary.lines if line.usage.budget > 0},
    )


def expenses_page(
    request: PageRequest, pk: int, *, error: DomainError | None = None, form: Any = None, status: int = 200
) -> HttpResponse:
    """The page; after a failed post the form that failed is shown again with its errors."""

    def build(opp, perms) -> dict[str, Any]:
        summary = expense_summary_of(request.user, opp)
        return {
            "summary": summary,
            "expenses": expense_page(
                request.user, opp.pk, request.GET.get("page"), request.GET.get("page_size")
            ),
            "expense_form": form if isinstance(form, ExpenseForm) else ExpenseForm(),
            "budget_form": (
                rebase(form, summary.budget_version, BudgetForm.VERSION_FIELD)
                if isinstance(form, BudgetForm)
                else _budget_form(summary)
            ),
        }

    return render_deal(request, pk, "expenses", "deals/expenses.html", build, status=status, error=error)


def _posted_budget_form(data: QueryDict) -> BudgetForm:
    categories = list(ExpenseCategory.objects.order_by("order", "code"))
    return BudgetForm(data, categories=[c for c in categories if c.code in data or c.is_active])


FORMS: dict[str, FormMaker] = {
    "deal_expense_log": lambda data, kwargs: (ExpenseForm(data), {}),
    "deal_expense_budget": lambda data, kwargs: (_posted_budget_form(data), {}),
}


@login_required
@require_GET
def deal_expenses(request: PageRequest, pk: int) -> HttpResponse:
    return deal_get(request, pk, expenses_page, FORMS)


@login_required
@require_POST
def deal_expense_log(request: PageRequest, pk: int) -> HttpResponse:
    form = ExpenseForm(request.POST)

    def run() -> None:
        data = form.cleaned_data
        logged = services.expense_log(
            request.user,
            pk,
            category=data["category"],
            amount=data["amount"],
            spent_on=data["spent_on"],
            description=data["description"],
        )
        if logged.crossed:
            messages.warning(request, logged.message)

    return deal_post(request, pk, run=run, done=_("Expense logged."), redirect_to="deal_expenses", form=form)


@login_required
@require_POST
def deal_expense_delete(request: PageRequest, pk: int, expense_id: int) -> HttpResponse:
    return deal_post(
        request,
        pk,
        run=lambda: services.expense_delete(request.user, pk, expense_id),
        done=_("Expense deleted."),
        redirect_to="deal_expenses",
    )


@login_required
@require_POST
def deal_expense_budget(request: PageRequest, pk: int) -> HttpResponse:
    form = _posted_budget_form(request.POST)

    def run() -> None:
        services.expense_budget_set(request.user, pk, form.amounts(), version=form.version())

    return deal_post(request, pk, run=run, done=_("Budget saved."), redirect_to="deal_expenses", form=form)


@login_required
@require_GET
def cost_of_sale(request: PageRequest) -> HttpResponse:
    """Cost of sale per rep and team over a period (?from=&to=, default this calendar year)."""
    date_from, date_to, error = period_from_query(request)
    report = cost_of_sale_report(request.user, date_from, date_to)
    # A company has thousands of reps: the page shows them a page at a time.
    reps = page_of(report.reps, request.GET.get("page"), REPS_PER_PAGE)
    return render(
        request,
        "deals/cost_of_sale.html",
        {"report": report, "reps_page": reps, "error": error},
        status=error.status if error else 200,
    )


urlpatterns = [
    path("opportunities/<int:pk>/expenses/", deal_expenses, name="deal_expenses"),
    path("opportunities/<int:pk>/expenses/log/", deal_expense_log, name="deal_expense_log"),
    path("opportunities/<int:pk>/expenses/budget/", deal_expense_budget, name="deal_expense_budget"),
    path(
        "opportunities/<int:pk>/expenses/<int:expense_id>/delete/",
        deal_expense_delete,
        name="deal_expense_delete",
    ),
    path("reports/cost-of-sale/", cost_of_sale, name="cost_of_sale"),
]
