"""Insights pages: stalled (work in progress)."""

urlpatterns: list = []
