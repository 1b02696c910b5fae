"""The rhythm over the API: one router per part."""

from ninja import Router

from kadence.rhythm.inbox.api import router as inbox_router
from kadence.rhythm.pack.api import router as pack_router

routers: list[Router] = [inbox_router, pack_router]
