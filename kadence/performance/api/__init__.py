"""Targets and performance over the API: one router per part."""

from ninja import Router

from kadence.performance.kpi.api import router as kpi

routers: list[Router] = [kpi]
