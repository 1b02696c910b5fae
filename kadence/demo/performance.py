"""The demo's targets and performance (issue 14): the company's target grid for this year, started from
the monthly targets the planning demo set; next year's grid in negotiation (三上三下: the top proposed
this year's figure + 15 %, the first region answered with a committed figure, the others have yet to); and
the KPI scorecards of the last twelve months and four quarters, so that the grid, the negotiation, the
cards, the team view and the annual ranking have figures on first look. Written through the performance
services, as a director and the nightly job would."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kadence.core.models import OrgUnit, User
from kadence.domain import grid as grid_rules
from kadence.domain.periods import add_months
from kadence.performance.grid.models import GridRow, TargetGrid
from kadence.performance.grid.services import CellEdit, cells_write, grid_create, row_spread
from kadence.performance.kpi.services import scorecards_compute
from kadence.performance.negotiation.models import NegotiationFigure
from kadence.performance.negotiation.services import negotiation_answer, negotiation_open


def load_demo_performance(today: date) -> dict[str, int]:
    """Returns the rows written: grids and scorecards."""
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    company = OrgUnit.objects.filter(kind=OrgUnit.Kind.COMPANY).order_by("pk").first()
    grids = 0
    negotiations = 0
    if admin is not None and company is not None and not TargetGrid.objects.exists():
        grid = grid_create(admin, root_id=company.pk, year=today.year, measure=TargetGrid.Measure.REVENUE)
        grids = 1
        negotiations = _next_year_in_negotiation(admin, company, grid, today.year + 1)
        grids += negotiations
    cards = 0
    for back in range(1, 13):  # the last twelve whole months (the nightly job scores from now on)
        cards += scorecards_compute(None, period="month", day=add_months(today, -back))
    for back in (3, 6, 9, 12):  # and the last four whole quarters
        cards += scorecards_compute(None, period="quarter", day=add_months(today, -back))
    return {
        "performance_targetgrid": grids,
        "performance_negotiation": negotiations,
        "performance_scorecard": cards,
    }


def _next_year_in_negotiation(admin: User, company: OrgUnit, this_year: TargetGrid, year: int) -> int:
    """Next year's grid: this year's company figure + 15 % spread down, a negotiation opened on it and
    the first region's answer (its lead commits the bottom-up figure Kadence shows, rounded to 10,000)."""
    top = GridRow.objects.get(grid=this_year, unit=company)
    figure = (grid_rules.period_value(top.months, "Y") * Decimal("1.15")).quantize(Decimal("10000"))
    if figure <= 0:
        return 0
    grid = grid_create(admin, root_id=company.pk, year=year, measure=TargetGrid.Measure.REVENUE)
    row = GridRow.objects.get(grid=grid, unit=company)
    cells_write(admin, grid.pk, [CellEdit(row.pk, "Y", figure, row.version)])
    row.refresh_from_db()
    row_spread(admin, grid.pk, row.pk, version=row.version)
    grid.refresh_from_db()
    negotiation = negotiation_open(admin, grid_id=grid.pk, version=grid.version)
    first = (
        NegotiationFigure.objects.filter(negotiation=negotiation)
        .select_related("party__unit")
        .order_by("party__position")[0]
    )
    lead = User.objects.filter(managed_units=first.party.unit, is_active=True).order_by("pk").first() or admin
    committed = (first.bottom_up or first.proposed).quantize(Decimal("10000"))
    negotiation_answer(
        lead,
        negotiation.pk,
        unit_id=first.party.unit_id,
        committed=max(committed, Decimal(0)),
        version=first.version,
    )
    return 1
