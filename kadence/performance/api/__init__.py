"""Targets and performance over the API: one router per part."""

from ninja import Router

from kadence.performance.commission.api import router as commission
from kadence.performance.dashboard.api import router as dashboard
from kadence.performance.grid.api import router as grid
from kadence.performance.kpi.api import router as kpi
from kadence.performance.negotiation.api import router as negotiation
from kadence.performance.position.api import router as position
from kadence.performance.sizing.api import router as sizing

routers: list[Router] = [grid, position, kpi, sizing, negotiation, commission, dashboard]
