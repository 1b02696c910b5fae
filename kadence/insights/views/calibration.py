"""Insights pages: calibration (work in progress)."""

urlpatterns: list = []
