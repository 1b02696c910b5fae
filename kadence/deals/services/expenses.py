"""The expense flow of a deal (费用流, METHODOLOGY §6): budgets per expense category, logged spend, and
the warning the moment spend reaches the policy's thresholds (及时预警).

Who may do what:
- set budgets: whoever may write the deal (its owner, a manager, director or admin in scope), naming
  the budget's version they read;
- log an expense: whoever may contribute (writers and the deal team);
- delete an expense: who logged it, or whoever may write the deal.
Money is a Decimal with at most two decimals, below 10¹²; spend is logged whatever the deal's status
(receipts come in after a deal closes). Every change is audited on the opportunity (fields
"expense_budget" and "expense").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.validation import CENT, clean_money, clean_text, not_in_future, parse_int
from kadence.core.visibility import (
    access_opportunity,
    can_write_opportunity,
)
from kadence.deals.models import Expense, ExpenseBudget, ExpenseBudgetVersion, ExpenseCategory
from kadence.deals.selectors.expenses import budget_version, thresholds
from kadence.domain import expenses as domain
from kadence.pipeline.models import Opportunity

ENTITY = "pipeline.opportunity"


def _money(value: Any, field: str, *, positive: bool) -> Decimal:
    """An expense (positive) or a budget line (zero or more): the one money rule, at most two decimals."""
    return clean_money(value, field, positive=positive, exact=True)


def _category(key: Any, field: str, categories: Mapping[str, ExpenseCategory]) -> ExpenseCategory:
    """A category by code, or by id (an int or a string of digits)."""
    text = str(key).strip() if not isinstance(key, bool) else ""
    found = categories.get(text)
    pk = parse_int(text) if found is None else None
    if pk is not None:
        found = next((c for c in categories.values() if c.pk == pk), None)
    if found is None:
        raise ValidationFailed(
            _("Unknown expense category: %(key)s.") % {"key": text[:60]},
            {field: [_("Choose an expense category.")]},
        )
    return found


def _amounts(opp: Opportunity, category_id: int) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(category budget, category spent, total budget, total spent) of the deal, in two aggregates."""
    budgets = ExpenseBudget.objects.filter(opportunity=opp).aggregate(
        total=Sum("amount"), mine=Sum("amount", filter=Q(category_id=category_id))
    )
    spent = Expense.objects.filter(opportunity=opp).aggregate(
        total=Sum("amount"), mine=Sum("amount", filter=Q(category_id=category_id))
    )

    def money(value: Decimal | None) -> Decimal:  # SQLite sums have no fixed scale
        return Decimal(value or 0).quantize(CENT)

    return money(budgets["mine"]), money(spent["mine"]), money(budgets["total"]), money(spent["total"])


# --- budgets -----------------------------------------------------------------------------------------


@transaction.atomic
def expense_budget_set(
    user: User, opp_id: int, amounts: Mapping[Any, Any], *, version: int
) -> list[ExpenseBudget]:
    """Set the deal's budget of each category named in `amounts` ({category code or id: amount ≥ 0});
    categories not named keep theirs. A budget of 0 means none (the row is removed). Inactive
    categories take no new budget. `version` is the budget's version read (see budget_version); a
    stale one is a Conflict (409) and changes nothing. Returns the deal's budget rows.

    The deal is locked first, so parallel first saves are serialised: one creates the rows, the
    others find the version moved on (409), never a duplicate key."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValidationFailed(
            _("Say which version of the budget you are changing (the version you read)."),
            {"version": [_("This field is required.")]},
            code="version_required",
        )
    opp = access_opportunity(user, opp_id, for_write=True, lock=True)
    current_version = budget_version(opp.pk)
    if version != current_version:
        raise Conflict(
            _(
                "This budget was changed by someone else (version %(current)s, you edited version %(yours)s). "
                "Reload it and apply your change again."
            )
            % {"current": current_version, "yours": version},
            current_version=current_version,
        )
    if not isinstance(amounts, Mapping) or not amounts:
        raise ValidationFailed(_("Give at least one category's budget."), {"amounts": [_("Required.")]})
    categories = {c.code: c for c in ExpenseCategory.objects.all()}
    wanted: dict[int, tuple[ExpenseCategory, Decimal]] = {}
    for key, value in amounts.items():
        category = _category(key, str(key)[:60], categories)
        amount = _money(value, category.code, positive=False)
        if category.pk in wanted and wanted[category.pk][1] != amount:
            raise ValidationFailed(
                _("The category %(code)s is given twice.") % {"code": category.code},
                {category.code: [_("Given twice.")]},
            )
        wanted[category.pk] = (category, amount)
    current = {b.category_id: b for b in ExpenseBudget.objects.select_for_update().filter(opportunity=opp)}
    now = timezone.now()
    changes: dict[str, tuple[Any, Any]] = {}
    for category, amount in wanted.values():
        row = current.get(category.pk)
        old = row.amount if row else Decimal(0)
        if old == amount:
            continue
        if not category.is_active and amount > 0:
            raise ValidationFailed(
                _("The category %(code)s is no longer used.") % {"code": category.code},
                {category.code: [_("Inactive category.")]},
            )
        if amount == 0 and row:
            ExpenseBudget.objects.filter(pk=row.pk).delete()
        elif row:
            ExpenseBudget.objects.filter(pk=row.pk).update(amount=amount, updated_by=user, updated_at=now)
        else:
            ExpenseBudget.objects.create(
                opportunity=opp, category=category, amount=amount, updated_by=user, updated_at=now
            )
        changes[f"expense_budget.{category.code}"[:60]] = (old, amount)
    if changes:
        ExpenseBudgetVersion.objects.update_or_create(
            opportunity=opp, defaults={"version": current_version + 1, "updated_by": user, "updated_at": now}
        )
    audit_changes(ENTITY, opp.pk, changes, user)
    return list(ExpenseBudget.objects.filter(opportunity=opp).select_related("category"))


# --- expenses ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenseLogged:
    """A new expense and what it did to the budget: the category's and the total's use after it, and
    which of the two just reached the warning or the limit (`crossed`: "category", "total")."""

    expense: Expense
    category: domain.Usage
    total: domain.Usage
    crossed: tuple[str, ...]

    @property
    def state(self) -> str:
        """The worse of the category's and the total's state."""
        return max((self.category.state, self.total.state), key=lambda s: domain.SEVERITY[s])

    @property
    def message(self) -> str:
        """The threshold just reached, in words ("" when none was)."""
        parts = []
        for name in self.crossed:
            line = self.category if name == "category" else self.total
            what = self.expense.category.name if name == "category" else _("the deal's total budget")
            if line.used_pct is None:
                parts.append(_("%(what)s: spent without a budget") % {"what": what})
            elif line.state == domain.OVER:
                parts.append(
                    _("%(what)s: %(pct)s%% of the budget used, the limit is reached")
                    % {"what": what, "pct": line.used_pct}
                )
            else:
                parts.append(
                    _("%(what)s: %(pct)s%% of the budget used, the warning threshold is reached")
                    % {"what": what, "pct": line.used_pct}
                )
        return "; ".join(parts)


@transaction.atomic
def expense_log(
    user: User, opp_id: int, *, category: Any, amount: Any, spent_on: date | None, description: str
) -> ExpenseLogged:
    """Log money spent on the deal (owner, deal team, manager): amount > 0, a date not in the future,
    an active category, a description. Returns the budget state after it, so that a page or client
    can say "80 % reached" at once."""
    # The deal's lock serialises concurrent logs on it, so each sees the spend before it (one
    # warning, not two).
    opp = access_opportunity(user, opp_id, lock=True)
    categories = {c.code: c for c in ExpenseCategory.objects.filter(is_active=True)}
    found = _category(category, "category", categories)
    value = _money(amount, "amount", positive=True)
    if spent_on is None or not isinstance(spent_on, date) or isinstance(spent_on, datetime):
        raise ValidationFailed(_("Enter the date of the expense."), {"spent_on": [_("Enter a valid date.")]})
    not_in_future(spent_on, timezone.localdate(), "spent_on")
    description = clean_text(description, "description", 300).strip()
    if not description:
        raise ValidationFailed(_("Describe the expense."), {"description": [_("Required.")]})
    limits = thresholds()
    cat_budget, cat_spent, total_budget, total_spent = _amounts(opp, found.pk)
    expense = Expense.objects.create(
        opportunity=opp,
        category=found,
        amount=value,
        spent_on=spent_on,
        description=description,
        logged_by=user,
        logged_at=timezone.now(),
    )
    before_cat = domain.usage(cat_budget, cat_spent, limits)
    before_total = domain.usage(total_budget, total_spent, limits)
    after_cat = domain.usage(cat_budget, cat_spent + value, limits)
    after_total = domain.usage(total_budget, total_spent + value, limits)
    crossed = tuple(
        name
        for name, before, after in (("category", before_cat, after_cat), ("total", before_total, after_total))
        if domain.crossed(before.state, after.state)
    )
    audit_changes(
        ENTITY,
        opp.pk,
        {"expense": ("", f"{expense.pk}:{found.code}:{value}:{spent_on.isoformat()}")},
        user,
        description,
    )
    return ExpenseLogged(expense, after_cat, after_total, crossed)


@transaction.atomic
def expense_delete(user: User, opp_id: int, expense_id: int) -> None:
    """Delete a logged expense (who logged it, or whoever may write the deal)."""
    opp = access_opportunity(user, opp_id, lock=True)
    expense = Expense.objects.filter(pk=expense_id, opportunity=opp).select_related("category").first()
    if expense is None:
        raise NotFound(_("Expense not found."))
    if expense.logged_by_id != user.pk and not can_write_opportunity(user, opp):
        raise PermissionDenied(_("Only who logged the expense or who may change the deal can delete it."))
    expense.delete()
    audit_changes(
        ENTITY,
        opp.pk,
        {
            "expense": (
                f"{expense_id}:{expense.category.code}:{expense.amount}:{expense.spent_on.isoformat()}",
                "",
            )
        },
        user,
    )
