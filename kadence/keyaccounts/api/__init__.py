"""Key-account management over the API: one router per part."""

from ninja import Router

routers: list[Router] = []

from kadence.keyaccounts.value.api import router as value  # noqa: E402

routers.append(value)
