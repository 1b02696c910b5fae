"""Key-account management over the API: one router per part."""

from ninja import Router

routers: list[Router] = []

from kadence.keyaccounts.groups.api import router as groups_router  # noqa: E402

routers.append(groups_router)
