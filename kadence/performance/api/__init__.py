"""Targets and performance over the API: one router per part."""

from ninja import Router

from kadence.performance.grid.api import router as grid

routers: list[Router] = [grid]
