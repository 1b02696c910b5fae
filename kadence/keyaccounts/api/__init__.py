"""Key-account management over the API: one router per part."""

from ninja import Router

routers: list[Router] = []

from kadence.keyaccounts.coverage.api import router as coverage  # noqa: E402

routers.append(coverage)

from kadence.keyaccounts.platforms.api import router as platforms  # noqa: E402

routers.append(platforms)
