"""The home page's figures per role (METHODOLOGY §0): the seller's own open deals and due work, the
manager's, director's and admin's scope by team, this month's closing deals and the latest stage
changes. It reads across capabilities (deals, activities, deal tasks and expenses), so it lives in
the top layer with the other dashboards."""

from __future__ import annotations

import calendar
from datetime import date

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from kadence.activities.selectors import activities_due
from kadence.core.i18n import in_language
from kadence.core.models import User
from kadence.core.visibility import dashboard_opportunities, is_seller, visible_opportunities
from kadence.deals.selectors.expenses import expense_alerts
from kadence.deals.selectors.tasks import tasks_due
from kadence.pipeline.expressions import WEIGHTED
from kadence.pipeline.models import ForecastCategory, Opportunity, StageChange
from kadence.pipeline.selectors import ZERO, OpportunityFilters, opportunity_totals


def _month_bounds(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def _unit_label(row: dict) -> str:
    return in_language(row["team__name_zh"], row["team__name_en"])


def _month_totals(qs) -> dict:
    row = qs.aggregate(
        n=Count("id"),
        total=Coalesce(Sum("amount"), ZERO),
        total_weighted=Coalesce(Sum(WEIGHTED), ZERO),
        committed=Count("id", filter=Q(forecast_category=ForecastCategory.COMMIT)),
    )
    return {
        "count": row["n"],
        "amount": row["total"],
        "weighted": row["total_weighted"],
        "committed": row["committed"],
    }


def home_dashboard(user: User, today: date) -> dict:
    """What the home page shows, in a fixed number of queries whatever the data volume.

    Sellers (rep, inside sales): their own open deals, totals and due activities. Managers,
    directors and admins: the same for everything they can see, totals by team from one grouped
    aggregate, this month's closing deals and the latest stage changes in scope. Everyone: the deals
    whose expenses reached the warning or the limit of their budget (their own for a seller, their
    scope for the others) and their own overdue deal tasks."""
    visible = visible_opportunities(user)
    open_visible = visible.filter(status=Opportunity.Status.OPEN)
    seller = is_seller(user)
    deals_qs = dashboard_opportunities(user).filter(status=Opportunity.Status.OPEN)
    deals = list(
        deals_qs.select_related("account", "owner", "stage", "level").order_by("expected_close_date", "id")[
            :10
        ]
    )
    totals = opportunity_totals(user, OpportunityFilters(status=Opportunity.Status.OPEN, mine=seller))
    context = {
        "is_seller": seller,
        "deals": deals,
        "totals": totals,
        "due": activities_due(user, today),
        "expense_alerts": expense_alerts(user, limit=10),
        "overdue_tasks": tasks_due(user, today, limit=10),
        "today": today,
    }
    if seller:
        return context
    # Aliases must not shadow the `amount` column that WEIGHTED reads.
    by_team = [
        {
            "team_id": row["team_id"],
            "label": _unit_label(row),
            "count": row["n"],
            "amount": row["total"],
            "weighted": row["total_weighted"],
        }
        for row in open_visible.order_by()
        .values("team_id", "team__name_zh", "team__name_en")
        .annotate(
            n=Count("id"), total=Coalesce(Sum("amount"), ZERO), total_weighted=Coalesce(Sum(WEIGHTED), ZERO)
        )
        .order_by("-total", "team_id")
    ]
    start, end = _month_bounds(today)
    month = open_visible.filter(expected_close_date__gte=start, expected_close_date__lte=end)
    context.update(
        {
            "by_team": by_team,
            "month_start": start,
            "month_end": end,
            "month_totals": _month_totals(month),
            "month_deals": list(
                month.select_related("account", "owner", "stage", "level").order_by(
                    "expected_close_date", "-amount", "id"
                )[:20]
            ),
            "recent_changes": list(
                StageChange.objects.filter(opportunity__in=visible)
                .select_related("opportunity", "from_stage", "to_stage", "to_level", "changed_by")
                .order_by("-changed_at", "-id")[:10]
            ),
        }
    )
    return context
