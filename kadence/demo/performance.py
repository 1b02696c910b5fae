"""The demo's targets and performance (issue 14): the company's target grid for this year, started from
the monthly targets the planning demo set, and the KPI scorecards of the last twelve months and four
quarters, so that the grid, the cards, the team view and the annual ranking have figures on first look.
Written through the performance services, as a director and the nightly job would."""

from __future__ import annotations

from datetime import date

from kadence.core.models import OrgUnit, User
from kadence.domain.periods import add_months
from kadence.performance.grid.models import TargetGrid
from kadence.performance.grid.services import grid_create
from kadence.performance.kpi.services import scorecards_compute


def load_demo_performance(today: date) -> dict[str, int]:
    """Returns the rows written: grids and scorecards."""
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    company = OrgUnit.objects.filter(kind=OrgUnit.Kind.COMPANY).order_by("pk").first()
    grids = 0
    if admin is not None and company is not None and not TargetGrid.objects.exists():
        grid_create(admin, root_id=company.pk, year=today.year, measure=TargetGrid.Measure.REVENUE)
        grids = 1
    cards = 0
    for back in range(1, 13):  # the last twelve whole months (the nightly job scores from now on)
        cards += scorecards_compute(None, period="month", day=add_months(today, -back))
    for back in (3, 6, 9, 12):  # and the last four whole quarters
        cards += scorecards_compute(None, period="quarter", day=add_months(today, -back))
    return {"performance_targetgrid": grids, "performance_scorecard": cards}
