"""Insights over the API: stalled (work in progress)."""

from ninja import Router

router = Router(tags=["insights"])
