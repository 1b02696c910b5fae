"""Insights over the API: targets (work in progress)."""

from ninja import Router

router = Router(tags=["insights"])
