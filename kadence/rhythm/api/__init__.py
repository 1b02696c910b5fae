"""The rhythm over the API: one router per part."""

from ninja import Router

routers: list[Router] = []

from kadence.rhythm.quotas.api import router as quotas  # noqa: E402

routers.append(quotas)
