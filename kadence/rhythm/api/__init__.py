"""The rhythm over the API: one router per part."""

from ninja import Router

from kadence.rhythm.notify.api import router as notify

routers: list[Router] = [notify]
