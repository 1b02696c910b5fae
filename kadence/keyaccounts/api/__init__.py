"""Key-account management over the API: one router per part."""

from ninja import Router

routers: list[Router] = []

from kadence.keyaccounts.plans.api import router as plans_router  # noqa: E402

routers.append(plans_router)
from kadence.keyaccounts.importance.api import router as importance_router  # noqa: E402

routers.append(importance_router)

from kadence.keyaccounts.kam.api import router as kam_router  # noqa: E402

routers.append(kam_router)
