"""Key-account management over the API: one router per part."""

from ninja import Router

routers: list[Router] = []
