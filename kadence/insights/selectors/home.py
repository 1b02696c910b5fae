"""The home page's figures per role (METHODOLOGY §0): the seller's own open deals and due work, the
manager's, director's and admin's scope by team, this month's closing deals and the latest stage
changes. It reads across capabilities (deals, activities, deal tasks and expenses), so it lives in
the top layer with the other dashboards."""

from __future__ import annotations

from datetime import date

from kadence.activities.selectors import activities_due
from kadence.core.models import OrgUnit, User
from kadence.core.visibility import dashboard_opportunities, is_seller, visible_opportunities
from kadence.deals.selectors.expenses import expense_alerts
from kadence.deals.selectors.tasks import tasks_due
from kadence.domain.periods import month_bounds
from kadence.insights.home_slots import filled_slots
from kadence.pipeline.models import Opportunity, StageChange
from kadence.pipeline.selectors import open_totals


def home_dashboard(user: User, today: date) -> dict:
    """What the home page shows, in a fixed number of queries whatever the data volume.

    Sellers (rep, inside sales): their own open deals, totals and due activities. Managers,
    directors and admins: the same for everything they can see, totals by team from one grouped
    aggregate, this month's closing deals and the latest stage changes in scope. Everyone: the slots the
    apps above fill (kadence.insights.home_slots), the deals
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
    totals = open_totals(user, own=seller)[None]
    context = {
        "is_seller": seller,
        "deals": deals,
        "totals": totals,
        "due": activities_due(user, today),
        "expense_alerts": expense_alerts(user, limit=10),
        "overdue_tasks": tasks_due(user, today, limit=10),
        "today": today,
        "slots": filled_slots(user, today),
    }
    if seller:
        return context
    by_team = open_totals(user, by="team_id")
    labels = {unit.pk: unit.name for unit in OrgUnit.objects.filter(pk__in=list(by_team))}
    teams = [
        {"team_id": team_id, "label": labels.get(team_id, ""), **row} for team_id, row in by_team.items()
    ]
    teams.sort(key=lambda row: (-row["amount"], row["team_id"]))
    start, end = month_bounds(today)
    month = open_visible.filter(expected_close_date__gte=start, expected_close_date__lte=end)
    context.update(
        {
            "by_team": teams,
            "month_start": start,
            "month_end": end,
            "month_totals": open_totals(user, month=start)[None],
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
