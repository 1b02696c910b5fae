"""Insights over the API: funnel (work in progress)."""

from ninja import Router

router = Router(tags=["insights"])
