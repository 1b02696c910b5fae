"""Insights over the API: forecast (work in progress)."""

from ninja import Router

router = Router(tags=["insights"])
