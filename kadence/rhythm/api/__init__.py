"""The rhythm over the API: one router per part."""

from ninja import Router

routers: list[Router] = []

from kadence.rhythm.plans.api import router as plans  # noqa: E402

routers.append(plans)
