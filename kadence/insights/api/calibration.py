"""Insights over the API: calibration (work in progress)."""

from ninja import Router

router = Router(tags=["insights"])
