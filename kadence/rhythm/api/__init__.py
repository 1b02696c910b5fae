"""The rhythm over the API: one router per part."""

from ninja import Router

from kadence.rhythm.cadence.api import router as cadence

routers: list[Router] = [cadence]
