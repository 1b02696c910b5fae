"""Key-account management over the API: one router per part."""

from ninja import Router

routers: list[Router] = []

from kadence.keyaccounts.plans.api import router as plans_router  # noqa: E402

routers.append(plans_router)
